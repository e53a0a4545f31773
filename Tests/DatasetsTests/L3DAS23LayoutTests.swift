import Datasets
import Foundation
import Testing

@Suite("L3DAS23 folder names and label files")
struct L3DAS23LayoutTests {
  @Test(
    "Kaggle and renamed L3DAS23 folder names parse; the images folders are assets, not splits",
    arguments: [
      ("L3DAS23_Task1_train_100", Split.train100, nil as Int?),
      ("L3DAS23_Task1_train100", .train100, nil),
      ("L3DAS23_Task1_train_360_part1", .train360, 1),
      ("L3DAS23_Task1_train_360_part2", .train360, 2),
      ("L3DAS23_Task1_train360_2", .train360, 2),
      ("L3DAS23_Task1_dev", .dev, nil),
      ("L3DAS23_Task2_train", .train, nil),
      ("L3DAS23_Task2_dev", .dev, nil),
    ])
  func folderNames(name: String, split: Split, part: Int?) throws {
    let parsed = try #require(SplitFolderName(name))
    #expect(parsed.edition == .l3das23 && parsed.split == split && parsed.part == part)
  }

  @Test("not splits: images folders, other tails")
  func notSplits() {
    for name in ["L3DAS23_Task1_images", "L3DAS23_Task2_images", "L3DAS23_Task1_train_360_partX", "L3DAS23_Task2_train_100"] {
      #expect(SplitFolderName(name) == nil, "\(name)")
    }
    #expect(SplitFolderName.imagesFolderTask("L3DAS23_Task1_images") == .speechEnhancement)
    #expect(SplitFolderName.imagesFolderTask("L3DAS23_Task2_images") == .soundEventLocalizationDetection)
    #expect(SplitFolderName.imagesFolderTask("L3DAS22_Task2_images") == nil)
  }

  @Test("the edition carries threshold, coordinates, scale and frames in one place")
  func edition() {
    #expect(Edition(rawValue: "2023") == .l3das23)
    #expect(Edition.l3das23.task2Threshold == 1.75 && Edition.l3das22.task2Threshold == 2)
    #expect(Edition.l3das23.coordinates == .cylindrical && Edition.l3das21.coordinates == .cartesian)
    #expect(Edition.l3das23.task2LabelScale == 360 && Edition.l3das22.task2LabelScale == 2)
    #expect(Edition.l3das23.task2FrameCount == 300)
  }

  @Test("rho,theta,z label files read as Cartesian positions, keep their values, and write back")
  func cylindricalLabels() throws {
    let text = "Start,End,Class,rho,theta,z\n0.5,1.2,Knock,2,90,0.25\n3,4,7,1,-360,0\n"
    let events = try Task2Labels.parse(text, path: "label.csv")
    #expect(events.count == 2)
    #expect(abs(events[0].position.x + 2) < 1e-12 && abs(events[0].position.y) < 1e-12 && events[0].position.z == 0.25)
    #expect(events[0].cylindrical == [2, 90, 0.25] && events[1].cylindrical == [1, -360, 0])
    let written = Task2Labels.csvText(events, coordinates: .cylindrical)
    #expect(written == "Start,End,Class,rho,theta,z\n0.5,1.2,Knock,2,90,0.25\n3,4,Knock,1,-360,0\n")
    #expect(try Task2Labels.parse(written, path: "again.csv") == events)
    // Negative rho and mixed headers are errors naming the line.
    let negative = #expect(throws: DatasetError.self) {
      try Task2Labels.parse("Start,End,Class,rho,theta,z\n0,1,Knock,-1,0,0\n", path: "n.csv")
    }
    #expect(negative?.line == 2)
    #expect(throws: DatasetError.self) { try Task2Labels.parse("Start,End,Class,X,Y,rho,theta,z\n", path: "m.csv") }
    #expect(throws: DatasetError.self) { try Task2Labels.parse("Start,End,Class,rho,z\n", path: "t.csv") }
  }
}

@Suite("L3DAS23 images: audio_image.csv and the images folders")
struct L3DAS23ImagesTests {
  @Test("audio_image.csv has no header; items are found by name or by mic file; a conflicting pair is an error")
  func pairs() throws {
    let pairs = try AudioImagePairs.parse("split0_ov1_1,house_3.png\r\nsplit0_ov2_1,house_3.png\n\n", path: "a.csv")
    #expect(pairs.images.count == 2)
    #expect(pairs.image(for: "split0_ov1_1_A.wav") == "house_3.png" && pairs.image(for: "split0_ov2_1") == "house_3.png")
    #expect(pairs.image(for: "split9_ov1_1") == nil)
    #expect(pairs.csvText == "split0_ov1_1,house_3.png\nsplit0_ov2_1,house_3.png\n")
    let conflict = #expect(throws: DatasetError.self) { try AudioImagePairs.parse("a,x.png\na,y.png\n", path: "c.csv") }
    #expect(conflict?.line == 2)
    #expect(throws: DatasetError.self) { try AudioImagePairs.parse("a,x.png,extra\n", path: "d.csv") }
  }
}
