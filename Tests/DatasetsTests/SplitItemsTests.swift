import AudioIO
import Datasets
import Foundation
import Testing
import _TestSupport

@Suite("Split items and checks")
struct SplitItemsTests {
  /// A Task 2 dev split with three complete items and assorted clutter.
  func task2Split(_ dir: TemporaryDirectory) throws -> SplitLocation {
    let root = try FakeDataset.makeRoot(dir.path("L3DAS22_Task2_dev/L3DAS22_Task2_dev"))
    for id in ["split4_ov2_10", "split4_ov1_2", "split4_ov1_0"] {
      try FakeDataset.writeTask2Item(id, root: root)
    }
    try FakeDataset.touch(root.appendingPathComponent("data/.DS_Store"))
    try FakeDataset.touch(root.appendingPathComponent("data/._split4_ov1_9_A.wav"))
    return try SplitLocation(folder: dir.path("L3DAS22_Task2_dev"))
  }

  @Test("Task 2 enumeration yields one item per _A.wav, skipping hidden files")
  func task2Items() throws {
    let dir = try TemporaryDirectory()
    let location = try task2Split(dir)
    let items = try location.task2Items()
    #expect(
      items.sortedIDs().map(\.description) == ["split4_ov1_0", "split4_ov1_2", "split4_ov2_10"])
    #expect(Array(items).count == 3)
    #expect(Array(items).count == 3, "each pass starts afresh")
    let first = try #require(items.sortedItems().first)
    let root = location.roots[0]
    #expect(first.micA.path == root.appendingPathComponent("data/split4_ov1_0_A.wav").path)
    #expect(first.micB.path == root.appendingPathComponent("data/split4_ov1_0_B.wav").path)
    #expect(first.labels.path == root.appendingPathComponent("labels/label_split4_ov1_0.csv").path)
    #expect(location.check().isEmpty)
  }

  @Test("a Task 2 item loads its 8-channel recording and its labels")
  func task2Load() throws {
    let dir = try TemporaryDirectory()
    let item = try #require(try task2Split(dir).task2Items().sortedItems().last)
    let recording = try item.loadRecording()
    #expect(recording.audio.channelCount == 8)
    #expect(recording.audio.frameCount == 100)
    #expect(recording.audio.sampleRate == 32_000)
    #expect(try item.loadRecording(frames: 10..<30).audio.frameCount == 20)
    #expect(try item.loadLabels() == FakeDataset.sampleEvents)
  }

  @Test("Task 1 enumeration walks every sub-root and loads clean speech and trimmed transcripts")
  func task1Items() throws {
    let dir = try TemporaryDirectory()
    let a = try FakeDataset.makeRoot(dir.path("L3DAS_Task1_dev/1272/128104"))
    let b = try FakeDataset.makeRoot(dir.path("L3DAS_Task1_dev/84/121123"))
    try FakeDataset.writeTask1Item("1272-128104-0000", root: a)
    try FakeDataset.writeTask1Item("1272-128104-0001", root: a, frameCount: 160)
    try FakeDataset.writeTask1Item("84-121123-0000", root: b)
    let location = try SplitLocation(folder: dir.path("L3DAS_Task1_dev"))
    let items = try location.task1Items()
    #expect(
      items.sortedIDs().map(\.rawValue) == [
        "1272-128104-0000", "1272-128104-0001", "84-121123-0000",
      ])
    let item = try #require(items.sortedItems().dropFirst().first)
    #expect(item.clean.path == a.appendingPathComponent("labels/1272-128104-0001.wav").path)
    #expect(item.transcript.path == a.appendingPathComponent("labels/1272-128104-0001.txt").path)
    #expect(try item.loadTranscript() == "HELLO WORLD")
    let clean = try item.loadClean()
    #expect(clean.channelCount == 1 && clean.frameCount == 160 && clean.sampleRate == 16_000)
    #expect(try item.loadRecording().audio.channelCount == 8)
    #expect(location.check().isEmpty)
  }

  @Test("items of the wrong task are refused")
  func wrongTask() throws {
    let dir = try TemporaryDirectory()
    let error = #expect(throws: DatasetError.self) { try task2Split(dir).task1Items() }
    #expect(error?.code == .invalidValue)
  }

  @Test("missing partners, labels and odd names are reported, hidden files are not")
  func task2Problems() throws {
    let dir = try TemporaryDirectory()
    let location = try task2Split(dir)
    let root = location.roots[0]
    try FakeDataset.writeTask2Item("split4_ov3_1", root: root, micB: false)
    try FakeDataset.writeTask2Item("split4_ov3_2", root: root, label: false)
    try FakeDataset.writeAudio(
      root.appendingPathComponent("data/split4_ov3_3_B.wav"), frameCount: 100, sampleRate: 32_000)
    try FakeDataset.touch(root.appendingPathComponent("data/README.txt"))
    try FakeDataset.touch(root.appendingPathComponent("data/scene_A.wav"))
    let problems = location.check()
    let found = Set(
      problems.map { "\($0.kind.rawValue) \(URL(fileURLWithPath: $0.path).lastPathComponent)" })
    #expect(
      found == [
        "missingPartner split4_ov3_1_A.wav", "missingLabel split4_ov3_2_A.wav",
        "missingPartner split4_ov3_3_B.wav", "unrecognizedFile README.txt",
        "unrecognizedFile scene_A.wav",
      ])
    #expect(problems.count == 5)
    let partner = try #require(problems.first { $0.path.hasSuffix("split4_ov3_1_A.wav") })
    #expect(partner.message.contains("split4_ov3_1_B.wav"))
    // Enumeration still yields the incomplete items; loading them fails.
    let items = try location.task2Items()
    #expect(items.sortedIDs().count == 5)
    let lonely = try #require(items.first { $0.id.description == "split4_ov3_1" })
    #expect(throws: AudioIOError.self) { try lonely.loadRecording() }
    let unlabelled = try #require(items.first { $0.id.description == "split4_ov3_2" })
    let error = #expect(throws: DatasetError.self) { try unlabelled.loadLabels() }
    #expect(error?.code == .missingFile)
  }

  @Test("Task 1 items missing clean speech or transcript are reported")
  func task1Problems() throws {
    let dir = try TemporaryDirectory()
    let root = try FakeDataset.makeRoot(dir.path("L3DAS22_Task1_dev"))
    try FakeDataset.writeTask1Item("1-2-3", root: root, clean: false)
    try FakeDataset.writeTask1Item("1-2-4", root: root, transcript: nil)
    try FakeDataset.writeTask1Item("1-2-5", root: root)
    try FakeDataset.writeAudio(
      root.appendingPathComponent("data/1_2_A.wav"), frameCount: 10, sampleRate: 16_000)
    let location = try SplitLocation(folder: root)
    let kinds = location.check().map {
      "\($0.kind.rawValue) \(URL(fileURLWithPath: $0.path).lastPathComponent)"
    }
    #expect(
      kinds.sorted() == [
        "missingCleanSpeech 1-2-3_A.wav", "missingTranscript 1-2-4_A.wav",
        "unrecognizedFile 1_2_A.wav",
      ])
    #expect(try location.task1Items().sortedIDs().map(\.rawValue) == ["1-2-3", "1-2-4", "1-2-5"])
    let item = try #require(try location.task1Items().first { $0.id.rawValue == "1-2-4" })
    let error = #expect(throws: DatasetError.self) { try item.loadTranscript() }
    #expect(error?.code == .missingFile)
  }

  @Test("label files without their recording are reported, for both tasks")
  func orphanLabels() throws {
    let dir = try TemporaryDirectory()
    let task2 = try FakeDataset.makeRoot(dir.path("L3DAS22_Task2_dev"))
    let labels2 = task2.appendingPathComponent("labels")
    try Data("File,Start,End,Class,X,Y,Z\n".utf8).write(
      to: labels2.appendingPathComponent("label_split4_ov3_7.csv"))
    try Data("notes".utf8).write(to: labels2.appendingPathComponent("README.md"))
    let found2 = try SplitLocation(folder: task2).check()
    #expect(found2.map(\.kind) == [.orphanLabel])
    #expect(found2.first?.path.hasSuffix("labels/label_split4_ov3_7.csv") == true)
    #expect(found2.first?.message.contains("data/split4_ov3_7_A.wav") == true)

    let task1 = try FakeDataset.makeRoot(dir.path("L3DAS22_Task1_dev"))
    try FakeDataset.writeTask1Item("1-2-3", root: task1)
    let labels1 = task1.appendingPathComponent("labels")
    try Data("HELLO".utf8).write(to: labels1.appendingPathComponent("9-9-9.txt"))
    try FileManager.default.copyItem(
      at: labels1.appendingPathComponent("1-2-3.wav"), to: labels1.appendingPathComponent("9-9-9.wav"))
    let found1 = try SplitLocation(folder: task1).check()
    #expect(found1.map(\.kind) == [.orphanLabel, .orphanLabel])
    #expect(Set(found1.map { URL(fileURLWithPath: $0.path).lastPathComponent }) == ["9-9-9.txt", "9-9-9.wav"])
  }

  @Test(
    "a labelled split without labels/ is reported once; a test split is not",
    arguments: [Split.dev, .test])
  func labelsFolder(split: Split) throws {
    let dir = try TemporaryDirectory()
    let name = split.folderName(task: .soundEventLocalizationDetection, edition: .l3das22)
    let root = try FakeDataset.makeRoot(dir.path(name), labels: false)
    try FakeDataset.writeTask2Item("split0_ov1_0", root: root, label: false)
    try FakeDataset.writeTask2Item("split0_ov1_1", root: root, label: false)
    let problems = try SplitLocation(folder: root).check()
    #expect(problems.map(\.kind) == (split == .test ? [] : [.missingLabelsFolder]))
  }
}
