import Datasets
import Foundation
import Testing
import _TestSupport

@Suite("Dataset layout discovery")
struct DatasetLayoutTests {
  @Test(
    "official split folder names are recognised",
    arguments: [
      (
        "L3DAS_Task1_train100",
        SplitFolderName(edition: .l3das21, task: .speechEnhancement, split: .train100)
      ),
      (
        "L3DAS_Task2_dev",
        SplitFolderName(edition: .l3das21, task: .soundEventLocalizationDetection, split: .dev)
      ),
      (
        "L3DAS22_Task2_train",
        SplitFolderName(edition: .l3das22, task: .soundEventLocalizationDetection, split: .train)
      ),
      (
        "L3DAS22_Task1_test",
        SplitFolderName(edition: .l3das22, task: .speechEnhancement, split: .test)
      ),
      (
        "L3DAS22_Task1_train360_1",
        SplitFolderName(edition: .l3das22, task: .speechEnhancement, split: .train360, part: 1)
      ),
      (
        "L3DAS22_Task1_train360_2",
        SplitFolderName(edition: .l3das22, task: .speechEnhancement, split: .train360, part: 2)
      ),
    ])
  func recognises(name: String, expected: SplitFolderName) {
    #expect(SplitFolderName(name) == expected)
    #expect(expected.description == name)
  }

  @Test(
    "other folder names are not split folders",
    arguments: [
      "L3DAS24_Task1_dev", "L3DAS23_Task1_images", "L3DAS22_Task2_train100", "L3DAS22_Task1_train", "L3DAS22_Task3_dev",
      "L3DAS22_Task1_dev_1", "L3DAS22_Task1_train360_0", "L3DAS22_Task1_train360_",
      "l3das22_task1_dev",
      "L3DAS22_Task1_dev.zip", "L3DAS22_Task01_dev", "data",
    ])
  func rejects(name: String) {
    #expect(SplitFolderName(name) == nil)
  }

  @Test("a plain split folder holds data/ directly")
  func plain() throws {
    let dir = try TemporaryDirectory()
    let folder = try FakeDataset.makeRoot(dir.path("L3DAS_Task2_dev"))
    let location = try SplitLocation(folder: folder)
    #expect(location.edition == .l3das21)
    #expect(location.task == .soundEventLocalizationDetection)
    #expect(location.split == .dev)
    #expect(location.name == "L3DAS_Task2_dev")
    #expect(location.roots.map(\.path) == [folder.path])
  }

  @Test("the doubly nested Kaggle form X/X/data is found")
  func doublyNested() throws {
    let dir = try TemporaryDirectory()
    try FakeDataset.makeRoot(dir.path("L3DAS22_Task2_dev/L3DAS22_Task2_dev"))
    let layout = try DatasetLayout.discover(at: dir.url)
    #expect(layout.splits.count == 1)
    let location = try #require(layout.location(of: .dev, task: .soundEventLocalizationDetection))
    #expect(location.edition == .l3das22)
    #expect(location.folders.map(\.lastPathComponent) == ["L3DAS22_Task2_dev"])
    #expect(location.roots.map(\.path) == [dir.path("L3DAS22_Task2_dev/L3DAS22_Task2_dev").path])
  }

  @Test("the L3DAS21 Task 1 form with two extra levels yields every sub-root, sorted")
  func l3das21TwoLevels() throws {
    let dir = try TemporaryDirectory()
    for sub in ["b/x", "a/y", "a/x"] {
      try FakeDataset.makeRoot(dir.path("L3DAS_Task1_dev/\(sub)"))
    }
    try FakeDataset.touch(dir.path("L3DAS_Task1_dev/readme.txt"))
    try FileManager.default.createDirectory(
      at: dir.path("L3DAS_Task1_dev/.cache/z/data"), withIntermediateDirectories: true)
    let location = try SplitLocation(folder: dir.path("L3DAS_Task1_dev"))
    #expect(location.task == .speechEnhancement)
    #expect(location.edition == .l3das21)
    #expect(
      location.roots.map(\.path)
        == ["a/x", "a/y", "b/x"].map { dir.path("L3DAS_Task1_dev/\($0)").path })
  }

  @Test("L3DAS22 train360 in two parts is one split with both folders")
  func train360Parts() throws {
    let dir = try TemporaryDirectory()
    for part in ["L3DAS22_Task1_train360_2", "L3DAS22_Task1_train360_1"] {
      try FakeDataset.makeRoot(dir.path("\(part)/\(part)"))
    }
    let layout = try DatasetLayout.discover(at: dir.url)
    #expect(layout.splits.count == 1)
    let location = try #require(
      layout.location(of: .train360, task: .speechEnhancement, edition: .l3das22))
    #expect(location.name == "L3DAS22_Task1_train360")
    #expect(
      location.folders.map(\.lastPathComponent) == [
        "L3DAS22_Task1_train360_1", "L3DAS22_Task1_train360_2",
      ])
    #expect(
      location.roots.map { $0.pathComponents.suffix(2).joined(separator: "/") } == [
        "L3DAS22_Task1_train360_1/L3DAS22_Task1_train360_1",
        "L3DAS22_Task1_train360_2/L3DAS22_Task1_train360_2",
      ])
    #expect(layout.location(of: .train360, task: .speechEnhancement, edition: .l3das21) == nil)
  }

  @Test("a dataset root lists its splits in edition, task, split order and ignores other entries")
  func wholeRoot() throws {
    let dir = try TemporaryDirectory()
    for name in [
      "L3DAS22_Task2_dev", "L3DAS22_Task1_dev", "L3DAS_Task2_train", "L3DAS22_Task1_train100",
    ] {
      try FakeDataset.makeRoot(dir.path("\(name)/\(name)"))
    }
    try FileManager.default.createDirectory(
      at: dir.path("notes"), withIntermediateDirectories: true)
    try FakeDataset.touch(dir.path("L3DAS22_Task1_test"), "a file, not a folder")
    try FakeDataset.touch(dir.path("L3DAS22_Task2_dev.zip"))
    let layout = try DatasetLayout.discover(at: dir.url)
    #expect(layout.root == dir.url)
    #expect(
      layout.splits.map(\.name) == [
        "L3DAS_Task2_train", "L3DAS22_Task1_train100", "L3DAS22_Task1_dev", "L3DAS22_Task2_dev",
      ])
  }

  @Test("pointing at one split folder gives just that split")
  func pointedAtSplit() throws {
    let dir = try TemporaryDirectory()
    try FakeDataset.makeRoot(dir.path("L3DAS22_Task1_dev/L3DAS22_Task1_dev"))
    try FakeDataset.makeRoot(dir.path("L3DAS22_Task2_dev"))
    let layout = try DatasetLayout.discover(at: dir.path("L3DAS22_Task1_dev"))
    #expect(layout.splits.map(\.name) == ["L3DAS22_Task1_dev"])
    #expect(
      layout.splits.first?.roots.map(\.path) == [
        dir.path("L3DAS22_Task1_dev/L3DAS22_Task1_dev").path
      ])
  }

  @Test("a missing root is notFound")
  func missingRoot() throws {
    let dir = try TemporaryDirectory()
    let error = #expect(throws: DatasetError.self) {
      try DatasetLayout.discover(at: dir.path("nowhere"))
    }
    #expect(error?.code == .notFound)
    #expect(error?.path == dir.path("nowhere").path)
  }

  @Test("a folder without split folders is an unrecognised layout that says what it found")
  func unrecognisedRoot() throws {
    let dir = try TemporaryDirectory()
    try FileManager.default.createDirectory(at: dir.path("foo"), withIntermediateDirectories: true)
    let error = #expect(throws: DatasetError.self) { try DatasetLayout.discover(at: dir.url) }
    #expect(error?.code == .unrecognizedLayout)
    #expect(error?.message.contains("found foo") == true)
  }

  @Test("a split folder under another name is recognised as such but rejected")
  func unnamedSplit() throws {
    let dir = try TemporaryDirectory()
    try FakeDataset.makeRoot(dir.path("my_dev"))
    let error = #expect(throws: DatasetError.self) {
      try DatasetLayout.discover(at: dir.path("my_dev"))
    }
    #expect(error?.code == .unrecognizedLayout)
    #expect(error?.message.contains("looks like a single split") == true)
    let direct = #expect(throws: DatasetError.self) {
      try SplitLocation(folder: dir.path("my_dev"))
    }
    #expect(direct?.code == .unrecognizedLayout)
    let explicit = try SplitLocation(
      edition: .l3das22, task: .speechEnhancement, split: .dev, folders: [dir.path("my_dev")])
    #expect(explicit.roots.map(\.path) == [dir.path("my_dev").path])
  }

  @Test("a split folder without data/ within three levels is rejected")
  func noData() throws {
    let dir = try TemporaryDirectory()
    try FileManager.default.createDirectory(
      at: dir.path("L3DAS22_Task2_dev/a/b/c/d/data"), withIntermediateDirectories: true)
    let error = #expect(throws: DatasetError.self) { try DatasetLayout.discover(at: dir.url) }
    #expect(error?.code == .unrecognizedLayout)
    #expect(error?.path == dir.path("L3DAS22_Task2_dev").path)
    try FileManager.default.createDirectory(
      at: dir.path("L3DAS22_Task2_dev/a/b/c/data"), withIntermediateDirectories: true)
    #expect(
      try SplitLocation(folder: dir.path("L3DAS22_Task2_dev")).roots.map(\.path) == [
        dir.path("L3DAS22_Task2_dev/a/b/c").path
      ])
  }

  @Test("a split that does not belong to the task is refused")
  func wrongSplitForTask() throws {
    let dir = try TemporaryDirectory()
    try FakeDataset.makeRoot(dir.path("x"))
    let error = #expect(throws: DatasetError.self) {
      try SplitLocation(
        edition: .l3das22, task: .soundEventLocalizationDetection, split: .train100,
        folders: [dir.path("x")])
    }
    #expect(error?.code == .invalidValue)
  }
}
