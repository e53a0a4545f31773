import AudioIO
import Datasets
import Foundation
import Synthesis
import Testing
import _TestSupport

/// One small synthetic dataset shared by the verify tests (generated once).
private let synthetic: Result<TemporaryDirectory, any Error> = Result {
  let dir = try TemporaryDirectory(prefix: "l3das-verify")
  var configuration = SyntheticDataset.Configuration()
  configuration.task1Splits = [.dev]
  configuration.task1ItemsPerSplit = 2
  configuration.task2Splits = [.dev]
  configuration.task2ItemsPerSplit = 2
  configuration.task2SceneSeconds = 2
  configuration.kaggleNesting = true
  try SyntheticDataset.generate(configuration, at: dir.url)
  return dir
}

@Suite("l3das verify: deep dataset checks")
struct VerifyTests {
  /// A fresh copy of the synthetic dataset.
  func copy() throws -> (TemporaryDirectory, URL) {
    let source = try synthetic.get()
    let dir = try TemporaryDirectory(prefix: "l3das-verify-copy")
    let root = dir.path("data")
    try FileManager.default.copyItem(at: source.url, to: root)
    return (dir, root)
  }

  func file(_ root: URL, _ suffix: String) throws -> URL {
    let path = try #require(tree(root).first { $0.hasSuffix(suffix) })
    return root.appendingPathComponent(path)
  }

  @Test("the synthetic dataset passes, with headers only and with --deep")
  func clean() throws {
    let (directory, root) = try copy()
    defer { withExtendedLifetime(directory) {} }
    for deep in [false, true] {
      var options = DatasetVerifier.Options()
      options.deep = deep
      let report = DatasetVerifier.verify(root: root, options: options)
      #expect(report.isValid, "\(report.text)")
      #expect(report.splits.map(\.name) == ["L3DAS22_Task1_dev", "L3DAS22_Task2_dev"])
      #expect(report.splits.map(\.itemCount) == [2, 2])
    }
  }

  enum Damage: String, CaseIterable, Sendable {
    case deletedMicB, threeChannels, resampled, unknownClass
  }

  @Test("each kind of damage is reported exactly, and nothing else", arguments: Damage.allCases)
  func damage(_ damage: Damage) throws {
    let (directory, root) = try copy()
    defer { withExtendedLifetime(directory) {} }
    let expected: VerificationProblem.Kind
    let damaged: URL
    switch damage {
    case .deletedMicB:
      let micB = try file(root, "split4_ov1_1_B.wav")
      try FileManager.default.removeItem(at: micB)
      damaged = try file(root, "split4_ov1_1_A.wav")
      expected = .missingPartner
    case .threeChannels:
      damaged = try file(root, "split4_ov1_1_A.wav")
      let audio = try AudioFile.read(damaged)
      try AudioFile.write(audio.channels(0..<3), to: damaged, format: .pcm16)
      expected = .channelCount
    case .resampled:
      let stem = try #require(
        tree(root).first { $0.contains("Task1_dev") && $0.hasSuffix("_B.wav") })
      damaged = root.appendingPathComponent(stem)
      let audio = try AudioFile.read(damaged)
      let halved = audio.channelArrays.map { channel in
        stride(from: 0, to: channel.count, by: 2).map { channel[$0] }
      }
      try AudioFile.write(
        AudioBuffer(channels: halved, sampleRate: 8_000), to: damaged, format: .pcm16)
      expected = .sampleRate
    case .unknownClass:
      damaged = try file(root, "label_split4_ov1_1.csv")
      var lines = try String(contentsOf: damaged, encoding: .utf8).components(separatedBy: "\n")
      var fields = lines[1].components(separatedBy: ",")
      let classColumn = try #require(lines[0].components(separatedBy: ",").firstIndex(of: "Class"))
      fields[classColumn] = "Didgeridoo"
      lines[1] = fields.joined(separator: ",")
      try lines.joined(separator: "\n").write(to: damaged, atomically: true, encoding: .utf8)
      expected = .labelFile
    }
    let report = DatasetVerifier.verify(root: root)
    #expect(report.problems.map(\.kind) == [expected], "\(report.text)")
    #expect(report.problems.first?.path == damaged.path)
    if damage == .unknownClass {
      #expect(report.problems.first?.line == 2)
      #expect(report.problems.first?.message.contains("Didgeridoo") == true)
    }
  }

  @Test("published split sizes are checked and an unrecognised folder is one layout problem")
  func countsAndLayout() throws {
    let (dir, root) = try copy()
    var options = DatasetVerifier.Options()
    options.expectedItemCounts = ["L3DAS22_Task2_dev": 150]
    let report = DatasetVerifier.verify(root: root, options: options)
    #expect(report.problems.map(\.kind) == [.itemCount])
    #expect(report.splits.last?.expectedItemCount == 150)
    try FileManager.default.createDirectory(
      at: dir.path("empty"), withIntermediateDirectories: true)
    #expect(DatasetVerifier.verify(root: dir.path("empty")).problems.map(\.kind) == [.layout])
  }
}
