import Datasets
import Foundation
#if canImport(FoundationXML)
  import FoundationXML
#endif
import Metrics
import NumPyIO
import Pipelines
import Reports
import Synthesis
import TensorModule
import Testing
import ZIPFoundation
import _TestSupport

/// A transcriber that "recognises" by item id and role, so Task 1 boards need no ASR.
struct EchoTranscriber: Transcriber {
  var identifier: String { "echo" }
  func transcribe(_ request: TranscriptionRequest) throws -> String {
    let id = request.itemID ?? ""
    return request.role == .reference ? "ONE TWO THREE \(id)" : "ONE TWO \(id)"
  }
}

/// A Task 2 test split of three 6 s scenes and five submissions: perfect, the perfect one
/// zipped, half of the rows, empty, and one with a header line (invalid).
final class Task2Board: @unchecked Sendable {
  let dir: TemporaryDirectory
  let truth: URL
  let submissions: [Leaderboard.Submission]
  let options = Leaderboard.Options(
    task: .soundEventLocalizationDetection, task2: .init(threshold: 2, frameCount: 60))

  init() throws {
    let dir = try TemporaryDirectory()
    self.dir = dir
    var configuration = SyntheticDataset.Configuration()
    configuration.task1Splits = []
    configuration.task2Splits = [.test]
    configuration.task2ItemsPerSplit = 3
    configuration.task2SceneSeconds = 6
    configuration.seed = 4
    try SyntheticDataset.generate(configuration, at: dir.path("data"))
    let truth = dir.path("data/L3DAS22_Task2_test")
    self.truth = truth
    let items = try SplitLocation(folder: truth).task2Items().sortedItems()
    let names = ["perfect", "half", "empty", "headed"]
    for name in names {
      try FileManager.default.createDirectory(at: dir.path(name), withIntermediateDirectories: true)
    }
    var zipEntries: [(String, Data)] = []
    for item in items {
      let rows = Task2Rows.frames(from: try item.loadLabels(), frameCount: 60, sceneSeconds: 6)
      func text(_ rows: [DetectionRow]) -> String {
        rows.map { "\($0.frame),\($0.soundClass.officialName),\($0.position.x),\($0.position.y),\($0.position.z)\n" }.joined()
      }
      let perfect = text(rows)
      try perfect.write(to: dir.path("perfect/\(item.id).csv"), atomically: true, encoding: .utf8)
      zipEntries.append(("\(item.id).csv", Data(perfect.utf8)))
      try text(rows.enumerated().filter { $0.offset % 2 == 0 }.map(\.element))
        .write(to: dir.path("half/\(item.id).csv"), atomically: true, encoding: .utf8)
      try "".write(to: dir.path("empty/\(item.id).csv"), atomically: true, encoding: .utf8)
      try ("frame,class,x,y,z\n" + perfect).write(to: dir.path("headed/\(item.id).csv"), atomically: true, encoding: .utf8)
    }
    let archive = try Archive(url: dir.path("perfect.zip"), accessMode: .create)
    for (path, data) in zipEntries {
      try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) {
        position, size in data.subdata(in: Int(position)..<Int(position) + size)
      }
    }
    submissions =
      names.map { Leaderboard.Submission(name: $0, url: dir.path($0)) }
      + [Leaderboard.Submission(argument: "zipped=" + dir.path("perfect.zip").path)]
  }
}

@Suite("Leaderboard")
struct LeaderboardTests {
  @Test("submissions are ranked by F, equal scores share a rank, invalid ones stay unranked with their problems")
  func task2Ranking() throws {
    let board = try Task2Board()
    let result = try Leaderboard.run(submissions: board.submissions, truth: board.truth, options: board.options)
    #expect(result.entries.map(\.name) == ["perfect", "zipped", "half", "empty", "headed"])
    #expect(result.entries.map(\.rank) == [1, 1, 3, 4, nil])
    let perfect = try #require(result.entries[0].task2)
    #expect(abs(perfect.total.fScore - 1) < 1e-12)
    #expect(result.entries[1].task2 == perfect, "the zip scores exactly like its folder")
    #expect((result.entries[2].score ?? 0) > 0.3 && (result.entries[2].score ?? 1) < 0.9)
    #expect(result.entries[3].score == 0)
    let headed = result.entries[4]
    #expect(headed.score == nil && headed.task2 == nil && headed.errors.count == 3)
    #expect(headed.errors.allSatisfy { $0.message.contains("header") })
  }

  @Test("a ranked submission's warning texts are in the Markdown, CSV and HTML reports, not only counted")
  func warningTexts() throws {
    let board = try Task2Board()
    let warned = board.dir.path("warned")
    try FileManager.default.copyItem(at: board.dir.path("perfect"), to: warned)
    let file = try #require(try FileManager.default.contentsOfDirectory(atPath: warned.path).sorted().first)
    let text = try String(contentsOf: warned.appendingPathComponent(file), encoding: .utf8)
    let firstRow = try #require(text.split(separator: "\n").first)
    try (text + firstRow + "\n").write(to: warned.appendingPathComponent(file), atomically: true, encoding: .utf8)
    let result = try Leaderboard.run(
      submissions: [board.submissions[0], .init(name: "warned", url: warned)], truth: board.truth, options: board.options)
    #expect(result.entries.allSatisfy { $0.rank != nil }, "a warning does not unrank")
    let out = board.dir.path("reports")
    let page = try LeaderboardReport.write(result, to: out)
    let markdown = try String(contentsOf: out.appendingPathComponent("leaderboard.md"), encoding: .utf8)
    #expect(markdown.contains("## Warnings") && markdown.contains("**warned**") && markdown.contains("the same row as line"))
    let csv = try String(contentsOf: out.appendingPathComponent("leaderboard.csv"), encoding: .utf8)
    #expect(csv.split(separator: "\n").contains { $0.contains("warned") && $0.contains("the same row as line") })
    let html = try String(contentsOf: page, encoding: .utf8)
    #expect(html.contains("id=\"warnings\"") && html.contains("the same row as line"))
  }

  @Test("a missing submission or a duplicated name is reported, not a crash")
  func badSubmissions() throws {
    let board = try Task2Board()
    let missing = Leaderboard.Submission(name: "ghost", url: board.dir.path("no-such-folder"))
    let result = try Leaderboard.run(submissions: [board.submissions[0], missing], truth: board.truth, options: board.options)
    #expect(result.entries.map(\.rank) == [1, nil])
    #expect(result.entries[1].failure?.contains("does not exist") == true)
    #expect(throws: ScoringError.self) {
      try Leaderboard.run(submissions: [board.submissions[0], board.submissions[0]], truth: board.truth, options: board.options)
    }
    #expect(Leaderboard.Submission(argument: "/a/b/team.zip").name == "team")
    #expect(Leaderboard.Submission(argument: "x=/a/b").name == "x")
    #expect(Leaderboard.Submission(argument: "./dir/a=b").name == "a=b", "an = inside a path is not a name")
  }

  @Test("Task 2: a sharded board merged equals the unsharded board", arguments: [2, 3, 4])
  func task2ShardedBoard(shardCount: Int) throws {
    let board = try Task2Board()
    let whole = try Leaderboard.run(submissions: board.submissions, truth: board.truth, options: board.options)
    var partials: [LeaderboardPartial] = []
    for k in 1...shardCount {
      let url = board.dir.path("board-\(k).json")
      try Leaderboard.partial(
        submissions: board.submissions, truth: board.truth, options: board.options,
        shard: try Shard(index: k, count: shardCount)
      ).write(to: url)
      partials.append(try LeaderboardPartial.read(url))
    }
    var rng = SplitMix64Seeded.make(17)
    let merged = try Leaderboard.merge(partials.shuffled(using: &rng), names: (1...shardCount).map { "b\($0)" })
    #expect(merged == whole)
    #expect(try LeaderboardReport.json(merged) == LeaderboardReport.json(whole))
    #expect(throws: ShardError.self) { try Leaderboard.merge(Array(partials.dropLast()), names: ["b1"]) }
  }

  @Test("Task 1: a sharded board merged equals the unsharded board; the clean speech outranks the mixture")
  func task1Board() throws {
    let dir = try TemporaryDirectory()
    var configuration = SyntheticDataset.Configuration()
    configuration.task1Splits = [.test]
    configuration.task1ItemsPerSplit = 4
    configuration.task2Splits = []
    try SyntheticDataset.generate(configuration, at: dir.path("data"))
    let truth = dir.path("data/L3DAS22_Task1_test")
    for name in ["clean", "mixture"] {
      try FileManager.default.createDirectory(at: dir.path(name), withIntermediateDirectories: true)
    }
    for item in try SplitLocation(folder: truth).task1Items().sortedItems() {
      let clean = try item.loadClean()
      try NumPyFile.write(Array(clean.channel(0)), shape: [clean.frameCount], to: dir.path("clean/\(item.id).npy"))
      let mixture = try item.loadRecording(frames: nil).audio
      try NumPyFile.write(Array(mixture.channel(0)), shape: [mixture.frameCount], to: dir.path("mixture/\(item.id).npy"))
    }
    let submissions = ["mixture", "clean"].map { Leaderboard.Submission(name: $0, url: dir.path($0)) }
    let options = Leaderboard.Options(task: .speechEnhancement, task1: .init(transcriber: EchoTranscriber()))
    let whole = try Leaderboard.run(submissions: submissions, truth: truth, options: options)
    #expect(whole.entries.map(\.name) == ["clean", "mixture"] && whole.entries.map(\.rank) == [1, 2])
    #expect(abs((whole.entries[0].task1?.stoi ?? 0) - 1) < 1e-9 && whole.transcriber == "echo")
    let partials = try (1...3).map { k in
      try Leaderboard.partial(submissions: submissions, truth: truth, options: options, shard: try Shard(index: k, count: 3))
    }
    #expect(try Leaderboard.merge(partials, names: ["1", "2", "3"]) == whole)

    let html = HTMLReport.page(whole)
    #expect(html.contains("STOI per item") && html.contains("WER per item"))
    try checkSVGs(in: html)
  }

  @Test("precomputed transcripts are per submission: DIR/<name>/<id>.txt; a submission without its folder is unscored")
  func precomputedPerSubmission() throws {
    let dir = try TemporaryDirectory()
    var configuration = SyntheticDataset.Configuration()
    configuration.task1Splits = [.test]
    configuration.task1ItemsPerSplit = 2
    configuration.task2Splits = []
    try SyntheticDataset.generate(configuration, at: dir.path("data"))
    let truth = dir.path("data/L3DAS22_Task1_test")
    let items = try SplitLocation(folder: truth).task1Items().sortedItems()
    for name in ["real", "noise", "lost", "transcripts/reference", "transcripts/real", "transcripts/noise"] {
      try FileManager.default.createDirectory(at: dir.path(name), withIntermediateDirectories: true)
    }
    for (index, item) in items.enumerated() {
      let clean = try item.loadClean()
      let noise = (0..<clean.frameCount).map { Float(sin(Double($0 * (index + 3)))) * 0.1 }
      try NumPyFile.write(Array(clean.channel(0)), shape: [clean.frameCount], to: dir.path("real/\(item.id).npy"))
      for name in ["noise", "lost"] {
        try NumPyFile.write(noise, shape: [clean.frameCount], to: dir.path("\(name)/\(item.id).npy"))
      }
      try "HELLO WORLD\n".write(to: dir.path("transcripts/reference/\(item.id).txt"), atomically: true, encoding: .utf8)
      try "HELLO WORLD\n".write(to: dir.path("transcripts/real/\(item.id).txt"), atomically: true, encoding: .utf8)
      try "STATIC\n".write(to: dir.path("transcripts/noise/\(item.id).txt"), atomically: true, encoding: .utf8)
    }
    let options = Leaderboard.Options(
      task: .speechEnhancement, task1: .init(transcriber: PrecomputedTranscripts(folder: dir.path("transcripts"))))
    let board = try Leaderboard.run(
      submissions: ["noise", "real", "lost"].map { Leaderboard.Submission(name: $0, url: dir.path($0)) },
      truth: truth, options: options)
    let byName = Dictionary(uniqueKeysWithValues: board.entries.map { ($0.name, $0) })
    #expect(byName["real"]?.task1?.wer == 0)
    #expect(byName["noise"]?.task1?.wer == 1, "its own transcripts, never real's")
    let lost = try #require(byName["lost"])
    #expect(lost.rank == nil && lost.task1 == nil)
    #expect(lost.failure?.contains("transcripts/lost") == true, "\(lost.failure ?? "")")
  }


  func reports() throws {
    let board = try Task2Board()
    let result = try Leaderboard.run(submissions: board.submissions, truth: board.truth, options: board.options)
    let out = board.dir.path("reports")
    let page = try LeaderboardReport.write(result, to: out)
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        == (LeaderboardReport.fileNames + [".l3das-output.json"]).sorted())
    let markdown = try String(contentsOf: out.appendingPathComponent("leaderboard.md"), encoding: .utf8)
    #expect(markdown.contains("| 1 | perfect | 1.0000 |") && markdown.contains("| – | headed |"))
    #expect(markdown.contains("## Not ranked") && markdown.contains("looks like a header"))
    let csv = try String(contentsOf: out.appendingPathComponent("leaderboard.csv"), encoding: .utf8)
      .split(separator: "\n")
    #expect(csv.count == 6 && csv[0].hasPrefix("rank,submission,f,precision,recall,tp,fp,fn") && csv[0].hasSuffix(",problems"))
    #expect(csv[5].hasPrefix("–,headed,") && csv[5].contains("invalid: 3 errors") && csv[5].contains("looks like a header"))
    let decoded = try JSONDecoder().decode(
      Leaderboard.Result.self, from: Data(contentsOf: out.appendingPathComponent("leaderboard.json")))
    #expect(decoded == result)
    let html = try String(contentsOf: page, encoding: .utf8)
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    #expect(!html.contains("src=\"http") && !html.contains("href=\"http"), "self-contained")
    #expect(html.contains("<tr class=\"first\">") && html.contains("id=\"ranking\""))
    try checkSVGs(in: html)
    // Names are escaped, so a hostile name cannot inject markup.
    var hostile = result
    hostile.entries[0].name = "<script>alert(1)</script>&"
    let escaped = HTMLReport.page(hostile)
    #expect(!escaped.contains("<script>alert(1)") && escaped.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;"))
    try checkSVGs(in: escaped)
  }
}

/// Every inline `<svg>…</svg>` of the page parses as XML.
func checkSVGs(in html: String) throws {
  var rest = html[...]
  var count = 0
  while let start = rest.range(of: "<svg "), let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex) {
    let svg = String(rest[start.lowerBound..<end.upperBound])
    let parser = XMLParser(data: Data(svg.utf8))
    #expect(parser.parse(), "SVG \(count) is not well-formed: \(parser.parserError.map { "\($0)" } ?? "")")
    count += 1
    rest = rest[end.upperBound...]
  }
  #expect(count >= 2, "the page has its plots")
}

