import Datasets
import Foundation
import Metrics
import NumPyIO
import Pipelines
import Synthesis
import Testing
import TensorModule
import _TestSupport

/// A transcriber that "recognises" by item id and role, so Task 1 tests need no ASR.
private struct EchoTranscriber: Transcriber {
  var identifier: String { "echo" }
  func transcribe(_ request: TranscriptionRequest) throws -> String {
    let id = request.itemID ?? ""
    // Every other estimate loses a word, so WERs differ between items.
    if request.role == .reference { return "ONE TWO THREE \(id)" }
    return id.utf8.reduce(0) { $0 + Int($1) } % 2 == 0 ? "ONE TWO \(id)" : "ONE TWO THREE \(id)"
  }
}

/// Random frame rows: up to three events per frame, positions in the room box.
private func randomRows(frames: Int, using rng: inout SplitMix64) -> [DetectionRow] {
  var rows: [DetectionRow] = []
  for frame in 0..<frames {
    for _ in 0..<Int.random(in: 0...3, using: &rng) {
      let position = SIMD3(
        Double.random(in: -2...2, using: &rng), Double.random(in: -2...2, using: &rng),
        Double.random(in: -1...1, using: &rng))
      rows.append(
        DetectionRow(
          frame: frame, soundClass: SoundClass.allCases.randomElement(using: &rng)!, position: position))
    }
  }
  return rows
}

private func writeRows(_ rows: [DetectionRow], to url: URL) throws {
  let text = rows.map { "\($0.frame),\($0.soundClass.rawValue),\($0.position.x),\($0.position.y),\($0.position.z)" }
    .joined(separator: "\n")
  try (text.isEmpty ? "" : text + "\n").write(to: url, atomically: true, encoding: .utf8)
}

/// A truth folder of frame-row CSVs and a submission that matches some rows, moves some and
/// adds false ones; `names` chosen so that sorting by id and by file name differ.
private func makeTask2(files: Int, frames: Int, seed: UInt64) throws -> (TemporaryDirectory, URL, URL) {
  let dir = try TemporaryDirectory()
  let truth = dir.path("truth")
  let submission = dir.path("submission")
  for folder in [truth, submission] {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  }
  var rng = SplitMix64(seed: seed)
  for index in 0..<files {
    let id = index % 3 == 0 ? "scene\(index)" : "scene\(index / 3)-\(index)"
    let reference = randomRows(frames: frames, using: &rng)
    var prediction = reference.filter { _ in Double.random(in: 0..<1, using: &rng) < 0.7 }.map { row in
      var moved = row
      moved.position += SIMD3(Double.random(in: -2...2, using: &rng), 0, 0)
      return moved
    }
    prediction += randomRows(frames: frames, using: &rng).filter { _ in Double.random(in: 0..<1, using: &rng) < 0.3 }
    try writeRows(reference, to: truth.appendingPathComponent("\(id).csv"))
    try writeRows(prediction, to: submission.appendingPathComponent("\(id).csv"))
  }
  return (dir, truth, submission)
}

@Suite("Sharded runs merge to the single-machine result")
struct ShardingTests {
  @Test("K/N parses, selects every Nth item from the Kth, and malformed shards are refused")
  func shardParsing() throws {
    let shard = try Shard(parsing: "2/3")
    #expect(shard.index == 2 && shard.count == 3 && shard.description == "2/3")
    #expect(shard.select(Array(0..<8)) == [1, 4, 7])
    #expect(Shard.all.select(Array(0..<4)) == [0, 1, 2, 3])
    var covered: [Int] = []
    for k in 1...3 { covered += try Shard(index: k, count: 3).select(Array(0..<10)) }
    #expect(covered.sorted() == Array(0..<10), "the shards partition the items")
    for bad in ["0/3", "4/3", "1/0", "2", "a/b", "1/2/3", "-1/2", ""] {
      #expect(throws: ShardError.self, "\(bad)") { try Shard(parsing: bad) }
    }
    let decoded = try JSONDecoder().decode(Shard.self, from: Data(#"{"index":3,"count":4}"#.utf8))
    #expect(decoded == (try Shard(index: 3, count: 4)))
    #expect(throws: (any Error).self) { try JSONDecoder().decode(Shard.self, from: Data(#"{"index":5,"count":4}"#.utf8)) }
  }

  @Test("a set of shards must be 1/N … N/N once each", arguments: [
    (["1/3", "2/3"], "missing shard 3/3"),
    (["1/2", "1/2", "2/2"], "both shard 1/2"),
    (["1/2", "2/3", "2/2"], "same N"),
  ])
  func incompleteShards(shards: [String], message: String) throws {
    let parsed = try shards.map(Shard.init(parsing:))
    let error = #expect(throws: ShardError.self) {
      try Shard.checkComplete(parsed, names: shards.enumerated().map { "part\($0.offset)" })
    }
    #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
  }

  @Test("Task 2: shards merged equal the unsharded report exactly (DCASE-style sums included)",
    arguments: [1, 2, 3, 5, 12])
  func task2MergeIsExact(shardCount: Int) throws {
    let (dir, truth, submission) = try makeTask2(files: 9, frames: 40, seed: 31)
    defer { withExtendedLifetime(dir) {} }
    for matching in LocationSensitiveDetection.Matching.allCases {
      let options = Task2Scoring.Options(threshold: 1.5, matching: matching, frameCount: 40)
      let whole = try Task2Scoring.score(submission: submission, truth: truth, options: options)
      #expect(whole.perFile.count == 9 && whole.total.truePositives > 0 && whole.total.falsePositives > 0)
      var partials: [ScorePartial] = []
      for k in 1...shardCount {
        let shard = try Shard(index: k, count: shardCount)
        let files = try Task2Scoring.partial(
          submission: submission, truth: truth, options: options, shard: shard)
        let partial = ScorePartial(
          shard: shard, submission: submission.path, truth: truth.path, truthItemCount: 9,
          task2: .init(options: options, files: files))
        // Through the file format, as between machines.
        let url = dir.path("part-\(k).json")
        try partial.write(to: url)
        partials.append(try ScorePartial.read(url))
      }
      // Merge order does not matter.
      guard case .task2(let merged) = try ScorePartial.merge(partials.reversed(), names: (1...shardCount).map { "p\($0)" }) else {
        Issue.record("expected a Task 2 result")
        return
      }
      #expect(merged == whole)
      #expect(merged.dcaseStyle?.totalLocalizationError == whole.dcaseStyle?.totalLocalizationError)
    }
  }

  @Test("Task 1: shards merged equal the unsharded report exactly")
  func task1MergeIsExact() throws {
    let dir = try TemporaryDirectory()
    defer { withExtendedLifetime(dir) {} }
    var configuration = SyntheticDataset.Configuration()
    configuration.task1Splits = [.test]
    configuration.task1ItemsPerSplit = 5
    configuration.task2Splits = []
    try SyntheticDataset.generate(configuration, at: dir.path("data"))
    let truth = dir.path("data/L3DAS22_Task1_test")
    let submission = dir.path("submission")
    try FileManager.default.createDirectory(at: submission, withIntermediateDirectories: true)
    for item in try SplitLocation(folder: truth).task1Items().sortedItems() {
      let mixture = try item.loadRecording(frames: nil)
      try NumPyFile.write(
        Array(mixture.audio.channel(0)), shape: [mixture.audio.frameCount],
        to: submission.appendingPathComponent("\(item.id).npy"))
    }
    let options = Task1Scoring.Options(transcriber: EchoTranscriber())
    let whole = try Task1Scoring.score(submission: submission, truth: truth, options: options)
    #expect(whole.items.count == 5 && whole.stoi > 0 && whole.stoi < 1)
    for shardCount in [2, 3, 7] {
      var partials: [ScorePartial] = []
      for k in 1...shardCount {
        let shard = try Shard(index: k, count: shardCount)
        let items = try Task1Scoring.partial(submission: submission, truth: truth, options: options, shard: shard)
        let url = dir.path("part-\(k).json")
        try ScorePartial(
          shard: shard, submission: submission.path, truth: truth.path, truthItemCount: 5,
          task1: .init(transcriber: "echo", emptyReference: .skip, items: items)
        ).write(to: url)
        partials.append(try ScorePartial.read(url))
      }
      guard case .task1(let merged, let transcriber) = try ScorePartial.merge(partials, names: (1...shardCount).map { "p\($0)" }) else {
        Issue.record("expected a Task 1 result")
        return
      }
      #expect(merged == whole && transcriber == "echo")
    }
  }

  @Test("partials of different runs, settings or item sets are refused with the reason")
  func mismatchedPartials() throws {
    let (dir, truth, submission) = try makeTask2(files: 4, frames: 20, seed: 7)
    defer { withExtendedLifetime(dir) {} }
    func part(_ k: Int, of n: Int, threshold: Double = 2, submission sub: URL? = nil) throws -> ScorePartial {
      let shard = try Shard(index: k, count: n)
      let options = Task2Scoring.Options(threshold: threshold, frameCount: 20)
      let files = try Task2Scoring.partial(submission: sub ?? submission, truth: truth, options: options, shard: shard)
      return ScorePartial(
        shard: shard, submission: (sub ?? submission).path, truth: truth.path, truthItemCount: 4,
        task2: .init(options: options, files: files))
    }
    func message(_ partials: [ScorePartial]) -> String {
      do {
        _ = try ScorePartial.merge(partials, names: partials.indices.map { "p\($0 + 1)" })
        return "merged"
      } catch { return "\(error)" }
    }
    #expect(message([try part(1, of: 2), try part(2, of: 2, threshold: 1)]).contains("scoring options"))
    #expect(message([try part(1, of: 2)]).contains("missing shard 2/2"))
    var doubled = try part(2, of: 2)
    doubled.task2?.files += try part(1, of: 2).task2?.files ?? []
    #expect(message([try part(1, of: 2), doubled]).contains("scored by two shards"))
    var short = try part(2, of: 2)
    short.truthItemCount = 5
    #expect(message([try part(1, of: 2), short]).contains("same run"))

    let url = dir.path("not-partial.json")
    try Data(#"{"format":"something-else","version":1}"#.utf8).write(to: url)
    #expect(throws: ShardError.self) { try ScorePartial.read(url) }
    try Data("{ truncated".utf8).write(to: url)
    #expect(throws: ShardError.self) { try ScorePartial.read(url) }
  }

  @Test("a missing file is reported by the shard that owns it only")
  func missingFileBelongsToItsShard() throws {
    let (dir, truth, submission) = try makeTask2(files: 4, frames: 20, seed: 3)
    defer { withExtendedLifetime(dir) {} }
    let names = try FileManager.default.contentsOfDirectory(atPath: truth.path).sorted()
    try FileManager.default.removeItem(at: submission.appendingPathComponent(names[0]))
    let options = Task2Scoring.Options(frameCount: 20)
    #expect(throws: ScoringError.self) {
      try Task2Scoring.partial(submission: submission, truth: truth, options: options, shard: try Shard(index: 1, count: 2))
    }
    let other = try Task2Scoring.partial(submission: submission, truth: truth, options: options, shard: try Shard(index: 2, count: 2))
    #expect(other.map(\.file) == [names[1], names[3]])
  }
}
