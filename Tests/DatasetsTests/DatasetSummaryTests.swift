import AudioIO
import Datasets
import Foundation
import L3DASCore
import Testing
import _TestSupport

/// Records every progress event.
final class RecordingProgress: ProgressReporter, @unchecked Sendable {
  private let lock = NSLock()
  private var storage: [(completed: Int, total: Int, label: String)] = []

  func report(completed: Int, total: Int, label: String) {
    lock.withLock { storage.append((completed, total, label)) }
  }

  var events: [(completed: Int, total: Int, label: String)] { lock.withLock { storage } }
}

@Suite("Dataset summaries")
struct DatasetSummaryTests {
  /// L3DAS22 Task 1 dev (2 items, info.csv, one transcript missing) and Task 2 dev (3 items
  /// of 100, 200 and 300 frames, one label missing), both doubly nested.
  func makeDataset(_ dir: TemporaryDirectory) throws {
    let task1 = try FakeDataset.makeRoot(dir.path("L3DAS22_Task1_dev/L3DAS22_Task1_dev"))
    try FakeDataset.writeTask1Item("1-1-0", root: task1, frameCount: 160)
    try FakeDataset.writeTask1Item("1-1-1", root: task1, frameCount: 320, transcript: nil)
    try FakeDataset.touch(
      task1.appendingPathComponent("info.csv"), "id,text\n1-1-0,HELLO\n1-1-1,\"A, B\"\n")
    let task2 = try FakeDataset.makeRoot(dir.path("L3DAS22_Task2_dev/L3DAS22_Task2_dev"))
    try FakeDataset.writeTask2Item("split4_ov1_0", root: task2, frameCount: 100)
    try FakeDataset.writeTask2Item("split4_ov1_1", root: task2, frameCount: 200)
    try FakeDataset.writeTask2Item("split4_ov2_0", root: task2, frameCount: 300, label: false)
  }

  @Test("counts, durations and formats are summarised per split from file headers")
  func summary() throws {
    let dir = try TemporaryDirectory()
    try makeDataset(dir)
    let summary = try DatasetSummary.summarize(root: dir.url, progress: nil)
    #expect(summary.root == dir.url.path)
    #expect(summary.splits.map(\.name) == ["L3DAS22_Task1_dev", "L3DAS22_Task2_dev"])
    let task1 = summary.splits[0]
    #expect(task1.task == .speechEnhancement && task1.edition == .l3das22 && task1.split == .dev)
    #expect(task1.itemCount == 2)
    #expect(abs(task1.totalSeconds - 480.0 / 16_000) < 1e-12)
    #expect(task1.minimumItemSeconds == 0.01)
    #expect(task1.maximumItemSeconds == 0.02)
    #expect(task1.sampleRates == [16_000])
    #expect(task1.labelFileCount == 2)
    #expect(task1.transcriptFileCount == 1)
    #expect(task1.infoRowCount == 2)
    #expect(task1.problemCount == 1)
    #expect(task1.problems.first?.contains("1-1-1.txt") == true)

    let task2 = summary.splits[1]
    #expect(task2.itemCount == 3)
    #expect(abs(task2.totalSeconds - 600.0 / 32_000) < 1e-12)
    #expect(task2.minimumItemSeconds == 100.0 / 32_000)
    #expect(task2.maximumItemSeconds == 300.0 / 32_000)
    #expect(task2.sampleRates == [32_000])
    #expect(task2.channelCounts == [4])
    #expect(task2.sampleFormats == ["pcm16"])
    #expect(task2.labelFileCount == 2)
    #expect(task2.transcriptFileCount == 0)
    #expect(task2.infoRowCount == nil)
    #expect(task2.problemCount == 1)
    #expect(task2.problems.first?.contains("label_split4_ov2_0.csv") == true)
    #expect(task2.roots == [dir.path("L3DAS22_Task2_dev/L3DAS22_Task2_dev").path])
  }

  @Test("mismatched pairs and unreadable files are counted, not thrown")
  func badFiles() throws {
    let dir = try TemporaryDirectory()
    let root = try FakeDataset.makeRoot(dir.path("L3DAS_Task2_train"))
    try FakeDataset.writeTask2Item("split0_ov1_0", root: root)
    try FakeDataset.writeAudio(
      root.appendingPathComponent("data/split0_ov1_0_B.wav"), frameCount: 99, sampleRate: 32_000)
    try FakeDataset.writeTask2Item("split0_ov1_1", root: root)
    try FakeDataset.touch(root.appendingPathComponent("data/split0_ov1_1_A.wav"), "not audio")
    let summary = try DatasetSummary.summarize(root: dir.path("L3DAS_Task2_train"))
    let split = try #require(summary.splits.first)
    #expect(split.itemCount == 2)
    #expect(split.problemCount == 2)
    #expect(split.problems.contains { $0.contains("do not match") })
    #expect(split.problems.contains { $0.contains("split0_ov1_1_A.wav") })
    #expect(
      split.totalSeconds == 100.0 / 32_000, "the mismatched item still counts by its mic A header")
  }

  @Test("progress counts every item against the total")
  func progress() throws {
    let dir = try TemporaryDirectory()
    try makeDataset(dir)
    let reporter = RecordingProgress()
    _ = try DatasetSummary.summarize(root: dir.url, progress: reporter)
    let events = reporter.events
    #expect(events.map(\.completed) == [1, 2, 3, 4, 5])
    #expect(events.allSatisfy { $0.total == 5 })
    #expect(events.first?.label.hasPrefix("L3DAS22_Task1_dev/1-1-") == true)
  }

  @Test("only the first few problems are kept, with the full count")
  func problemSample() throws {
    let dir = try TemporaryDirectory()
    let root = try FakeDataset.makeRoot(dir.path("L3DAS22_Task2_train"))
    for index in 0..<7 {
      try FakeDataset.writeTask2Item("split1_ov1_\(index)", root: root, label: false)
    }
    let summary = try DatasetSummary.summarize(root: root)
    let split = try #require(summary.splits.first)
    #expect(split.problemCount == 7)
    #expect(split.problems.count == DatasetSummary.problemSampleLimit)
    let text = summary.renderText()
    #expect(text.contains("L3DAS22_Task2_train: 7 problems"))
    #expect(text.contains("… and 2 more"))
  }

  @Test("the summary round-trips through JSON")
  func json() throws {
    let dir = try TemporaryDirectory()
    try makeDataset(dir)
    let summary = try DatasetSummary.summarize(root: dir.url)
    let data = try JSONEncoder().encode(summary)
    #expect(try JSONDecoder().decode(DatasetSummary.self, from: data) == summary)
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let splits = try #require(object["splits"] as? [[String: Any]])
    #expect(splits.first?["itemCount"] as? Int == 2)
    #expect(splits.first?["split"] as? String == "dev")
  }

  @Test("renderText aligns one row per split under the header")
  func text() throws {
    let dir = try TemporaryDirectory()
    try makeDataset(dir)
    let lines = try DatasetSummary.summarize(root: dir.url).renderText().split(
      separator: "\n", omittingEmptySubsequences: false)
    #expect(lines[0] == "Dataset \(dir.url.path)")
    #expect(
      lines[1].hasPrefix("Split              Items    Total  Min s  Max s  Rate Hz  Ch  Format"))
    #expect(lines[2].hasPrefix("L3DAS22_Task1_dev      2  0:00:00   0.01   0.02  16000"))
    #expect(lines[3].hasPrefix("L3DAS22_Task2_dev      3  0:00:00   0.00   0.01  32000"))
    #expect(lines.contains("L3DAS22_Task2_dev: 1 problem"))
  }

  @Test("an unrecognised root is an error")
  func unrecognised() throws {
    let dir = try TemporaryDirectory()
    let error = #expect(throws: DatasetError.self) { try DatasetSummary.summarize(root: dir.url) }
    #expect(error?.code == .unrecognizedLayout)
  }
}
