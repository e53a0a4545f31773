import AudioIO
import Datasets
import Foundation
import Metrics
import NumPyIO
import Testing
import _TestSupport

/// Runs the built `l3das` executable with `COLUMNS=80`.
private func l3das(_ arguments: [String]) throws -> BuiltExecutable.Result {
  try BuiltExecutable("l3das").run(arguments)
}

/// Compares `text` with `Snapshots/<name>.txt`; records it when missing or when
/// RECORD_SNAPSHOTS is set (and then fails, so a recording is never a silent pass).
private func assertSnapshot(
  _ text: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation
) throws {
  let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Snapshots").appendingPathComponent("\(name).txt")
  if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] != nil
    || !FileManager.default.fileExists(atPath: url.path)
  {
    try text.write(to: url, atomically: true, encoding: .utf8)
    Issue.record("Recorded new baseline \(url.lastPathComponent)", sourceLocation: sourceLocation)
    return
  }
  let expected = try String(contentsOf: url, encoding: .utf8)
  #expect(
    text == expected,
    "help text differs from \(url.lastPathComponent); rerun with RECORD_SNAPSHOTS=1 if intended",
    sourceLocation: sourceLocation)
}

@Suite("l3das command line")
struct CLITests {
  @Test(
    "the help lists the commands and matches its snapshot",
    arguments: [["--help"], ["synth", "--help"], ["info", "--help"], ["validate", "--help"], ["score", "--help"], ["stoi", "--help"], ["wer", "--help"],
      ["parity", "--help"], ["train", "--help"], ["predict", "--help"], ["download", "--help"], ["verify", "--help"],
      ["leaderboard", "--help"], ["merge", "--help"], ["demo", "--help"], ["transcribe", "--help"],
    ])
  func help(arguments: [String]) throws {
    let result = try l3das(arguments)
    #expect(result.status == 0)
    #expect(result.stdout.contains("USAGE: l3das"))
    try assertSnapshot(
      result.stdout, named: "help-" + (arguments.count == 1 ? "l3das" : arguments[0]))
  }

  @Test("synth then info: a tiny Task 2 dataset is written, summarised and described as JSON")
  func synthAndInfo() throws {
    let dir = try TemporaryDirectory()
    let root = dir.path("data").path
    let synth = try l3das([
      "synth", "-o", root, "--task", "2", "--task2-items", "2", "--task2-splits", "dev",
      "--scene-seconds", "3", "--seed", "4", "--json", "--quiet",
    ])
    #expect(synth.status == 0, "\(synth.stderr)")
    let report = try JSONSerialization.jsonObject(with: Data(synth.stdout.utf8)) as? [String: Any]
    let splits = report?["splits"] as? [[String: Any]]
    #expect(splits?.count == 1 && splits?.first?["itemCount"] as? Int == 2)

    let info = try l3das(["info", root, "--json"])
    #expect(info.status == 0, "\(info.stderr)")
    let summary = try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any]
    let split = (summary?["splits"] as? [[String: Any]])?.first
    #expect(split?["name"] as? String == "L3DAS22_Task2_dev")
    #expect(split?["itemCount"] as? Int == 2)
    #expect(split?["sampleRates"] as? [Int] == [32_000])
    #expect(split?["totalSeconds"] as? Double == 6)

    let text = try l3das(["info", root, "--quiet"])
    #expect(
      text.status == 0 && text.stdout.contains("L3DAS22_Task2_dev") && text.stdout.contains("32000")
    )
  }

  @Test("writing over an existing split fails with a clear message unless --overwrite is given")
  func existingOutput() throws {
    let dir = try TemporaryDirectory()
    let args = [
      "synth", "-o", dir.url.path, "--task", "2", "--task2-items", "1", "--task2-splits", "test",
      "--scene-seconds", "2", "--quiet",
    ]
    #expect(try l3das(args).status == 0)
    let again = try l3das(args)
    #expect(again.status == 1)
    #expect(again.stderr.contains("already exists") && again.stderr.contains("--overwrite"))
    #expect(try l3das(args + ["--overwrite"]).status == 0)
  }

  @Test(
    "bad arguments and missing folders give a usage or runtime error, never a crash",
    arguments: [
      (["synth", "--task1-items=-1"], Int32(64), "--task1-items"),
      (["synth", "--scene-seconds", "0"], Int32(64), "--scene-seconds"),
      (["synth", "--task", "3"], Int32(64), "task"),
      (["predict", "--task", "3", "--model", "m", "--input", "i", "-o", "o"], Int32(64), "--task"),
      (["predict", "--task", "1", "--model", "m", "--input", "/nonexistent/L3DAS22_Task1_dev", "-o", "o"], Int32(1), "/nonexistent"),
      (["predict", "--task", "2", "--model", "m", "--input", "/nonexistent/L3DAS22_Task2_test", "-o", "o"], Int32(1), "/nonexistent"),
      (["info", "/nonexistent/l3das"], Int32(1), "/nonexistent/l3das"),
    ])
  func errors(arguments: [String], status: Int32, fragment: String) throws {
    let result = try l3das(arguments)
    #expect(result.status == status, "\(result.stderr)")
    #expect(result.stderr.contains(fragment), "\(result.stderr)")
  }

  @Test("info reports a corrupt WAV as a problem of its split")
  func corruptFile() throws {
    let dir = try TemporaryDirectory()
    #expect(
      try l3das([
        "synth", "-o", dir.url.path, "--task", "2", "--task2-items", "1", "--task2-splits", "dev",
        "--scene-seconds", "2", "--quiet",
      ]).status == 0)
    try Data("not a wav".utf8).write(to: dir.path("L3DAS22_Task2_dev/data/split4_ov1_1_B.wav"))
    let info = try l3das(["info", dir.url.path, "--json"])
    #expect(info.status == 0)
    let split =
      ((try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])?["splits"]
      as? [[String: Any]])?.first
    #expect(split?["problemCount"] as? Int == 1)
  }

  @Test("wer scores one pair like jiwer, as text and as JSON")
  func wer() throws {
    let text = try l3das(["wer", "THE QUIET RIVER BENDS", "QUIET RIVER"])
    #expect(text.status == 0 && text.stdout.contains("WER 0.5000") && text.stdout.contains("deletions 2"))
    let json = try l3das(["wer", "A B", "A C D", "--json"])
    let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
    #expect(object?["wer"] as? Double == 1 && object?["substitutions"] as? Int == 1 && object?["insertions"] as? Int == 1)
  }

  @Test("stoi scores a WAV pair and a .npy estimate; a length mismatch is an error")
  func stoi() throws {
    let dir = try TemporaryDirectory()
    let clean = Signals.noise(channelCount: 1, frameCount: 16_000, sampleRate: 16_000, amplitude: 0.3, seed: 5)
    try AudioFile.write(clean, to: dir.path("clean.wav"), format: .float32)
    try AudioFile.write(clean, to: dir.path("same.wav"), format: .float32)
    try NumPyFile.write(Array(clean.channel(0)), shape: [16_000], to: dir.path("same.npy"))
    for estimate in ["same.wav", "same.npy"] {
      let result = try l3das(["stoi", dir.path("clean.wav").path, dir.path(estimate).path, "--json"])
      #expect(result.status == 0, "\(result.stderr)")
      let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
      #expect(abs((object?["value"] as? Double ?? 0) - 1) < 1e-9)
    }
    try NumPyFile.write([0, 1], shape: [2], to: dir.path("short.npy"))
    let bad = try l3das(["stoi", dir.path("clean.wav").path, dir.path("short.npy").path])
    #expect(bad.status == 1 && bad.stderr.contains("short.npy"))
  }

  @Test("score --task 2 scores a synthetic split's own labels as F = 1 and writes a per-file CSV")
  func scoreTask2() throws {
    let dir = try TemporaryDirectory()
    let root = dir.path("data")
    #expect(try l3das(["synth", "-o", root.path, "--task", "2", "--task2-items", "2", "--task2-splits", "test", "--scene-seconds", "3", "--quiet"]).status == 0)
    let split = root.appendingPathComponent("L3DAS22_Task2_test")
    let submission = dir.path("sub")
    try FileManager.default.createDirectory(at: submission, withIntermediateDirectories: true)
    for item in try SplitLocation(folder: split).task2Items().sortedItems() {
      let rows = Task2Rows.frames(from: try item.loadLabels(), frameCount: 30, sceneSeconds: 3)
      let text = rows.map { "\($0.frame),\($0.soundClass.officialName),\($0.position.x),\($0.position.y),\($0.position.z)\n" }.joined()
      try text.write(to: submission.appendingPathComponent("\(item.id).csv"), atomically: true, encoding: .utf8)
    }
    let result = try l3das([
      "score", "--task", "2", "--submission", submission.path, "--truth", split.path, "--frames", "30", "--json", "--quiet",
      "--per-file-csv", dir.path("per-file.csv").path,
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let total = (try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])?["total"] as? [String: Any]
    #expect(total?["fScore"] as? Double ?? 0 > 0.999999)
    let csv = try String(contentsOf: dir.path("per-file.csv"), encoding: .utf8)
    #expect(csv.hasPrefix("file,tp,fp,fn,precision,recall,f\n") && csv.split(separator: "\n").count == 3)
    let usage = try l3das(["score", "--task", "2", "--submission", submission.path, "--truth", split.path, "--matching", "best"])
    #expect(usage.status == 64 && usage.stderr.contains("--matching"))
  }

  /// A synthetic Task 2 test split of `count` 3 s scenes and two submissions: its own labels
  /// (`perfect`) and the labels with every row's x moved by 3 m on alternate files (`shifted`).
  private func task2Fixture(_ dir: TemporaryDirectory, count: Int) throws -> (split: URL, perfect: URL, shifted: URL) {
    #expect(try l3das(["synth", "-o", dir.path("data").path, "--task", "2", "--task2-items", "\(count)", "--task2-splits", "test", "--scene-seconds", "3", "--seed", "11", "--quiet"]).status == 0)
    let split = dir.path("data").appendingPathComponent("L3DAS22_Task2_test")
    let perfect = dir.path("perfect"), shifted = dir.path("shifted")
    for folder in [perfect, shifted] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
    for (index, item) in try SplitLocation(folder: split).task2Items().sortedItems().enumerated() {
      let rows = Task2Rows.frames(from: try item.loadLabels(), frameCount: 30, sceneSeconds: 3)
      func text(shift: Double) -> String {
        rows.map { "\($0.frame),\($0.soundClass.officialName),\($0.position.x + shift),\($0.position.y),\($0.position.z)\n" }.joined()
      }
      try text(shift: 0).write(to: perfect.appendingPathComponent("\(item.id).csv"), atomically: true, encoding: .utf8)
      try text(shift: index.isMultiple(of: 2) ? 3 : 0).write(to: shifted.appendingPathComponent("\(item.id).csv"), atomically: true, encoding: .utf8)
    }
    return (split, perfect, shifted)
  }

  @Test("score --shard K/N on three machines, then merge: the same JSON as one unsharded score")
  func shardedScore() throws {
    let dir = try TemporaryDirectory()
    let (split, _, shifted) = try task2Fixture(dir, count: 3)  // 9 scenes: 3 per overlap class
    let common = ["score", "--task", "2", "--submission", shifted.path, "--truth", split.path, "--frames", "30", "--quiet"]
    let whole = try l3das(common + ["--json"])
    #expect(whole.status == 0, "\(whole.stderr)")
    var partials: [String] = []
    for k in 1...3 {
      let partial = dir.path("part-\(k).json").path
      let run = try l3das(common + ["--shard", "\(k)/3", "--partial", partial])
      #expect(run.status == 0, "\(run.stderr)")
      partials.append(partial)
    }
    let merged = try l3das(["merge"] + partials.reversed() + ["--json"])
    #expect(merged.status == 0, "\(merged.stderr)")
    let wholeJSON = try JSONSerialization.jsonObject(with: Data(whole.stdout.utf8)) as? NSDictionary
    let mergedJSON = try JSONSerialization.jsonObject(with: Data(merged.stdout.utf8)) as? NSDictionary
    #expect(wholeJSON != nil && wholeJSON == mergedJSON)
    let f = (wholeJSON?["total"] as? [String: Any])?["fScore"] as? Double ?? 1
    #expect(f > 0.1 && f < 0.99, "the shifted submission scores in between: \(f)")
    // A shard missing, and a shard given twice: refused with the reason, exit 1.
    let missing = try l3das(["merge", partials[0], partials[1]])
    #expect(missing.status == 1 && missing.stderr.contains("3"), "\(missing.stderr)")
    let twice = try l3das(["merge", partials[0], partials[0], partials[1], partials[2]])
    #expect(twice.status == 1, "\(twice.stderr)")
  }

  @Test("leaderboard ranks submission folders, lists an invalid submission with its problems, writes four reports")
  func leaderboard() throws {
    let dir = try TemporaryDirectory()
    let (split, perfect, shifted) = try task2Fixture(dir, count: 1)
    let broken = dir.path("broken")
    try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
    try "not,a,valid\n".write(to: broken.appendingPathComponent("stray.csv"), atomically: true, encoding: .utf8)
    let out = dir.path("board")
    let result = try l3das([
      "leaderboard", "--task", "2", "--truth", split.path, "shifted=\(shifted.path)", "perfect=\(perfect.path)",
      "broken=\(broken.path)", "--json", "--quiet", "-o", out.path,
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let board = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    let entries = board?["entries"] as? [[String: Any]] ?? []
    #expect(entries.map { $0["name"] as? String } == ["perfect", "shifted", "broken"])
    #expect(entries.map { $0["rank"] as? Int } == [1, 2, nil])
    #expect((entries.last?["problems"] as? [Any])?.isEmpty == false)
    for name in ["leaderboard.md", "leaderboard.csv", "leaderboard.json", "index.html"] {
      #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "\(name)")
    }
    let markdown = try l3das(["leaderboard", "--task", "2", "--truth", split.path, "perfect=\(perfect.path)", "--quiet"])
    #expect(markdown.status == 0 && markdown.stdout.contains("| 1 ") && markdown.stdout.contains("perfect"), "\(markdown.stdout)")
    let usage = try l3das(["leaderboard", "--task", "2", "--truth", split.path])
    #expect(usage.status == 64 && usage.stderr.contains("<submissions>"))
  }

  @Test("validate: the shipped examples pass with exit 0; problems give exit 1, as text and JSON")
  func validate() throws {
    let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("submission/examples")
    let task1 = try l3das([
      "validate", "--task", "1", "--submission", examples.appendingPathComponent("task1").path,
      "--test", examples.appendingPathComponent("test/task1").path, "--quiet",
    ])
    #expect(task1.status == 0, "\(task1.stdout)\(task1.stderr)")
    #expect(task1.stdout.contains("valid Task 1 submission — 2/2 items valid, 0 errors, 0 warnings"))

    let dir = try TemporaryDirectory()
    let bad = dir.path("bad")
    try FileManager.default.createDirectory(at: bad, withIntermediateDirectories: true)
    try "frame,class,x,y,z\n0,Knok,0,0,0\n".write(
      to: bad.appendingPathComponent("split5_ov1_1.csv"), atomically: true, encoding: .utf8)
    let text = try l3das([
      "validate", "--task", "2", "--submission", bad.path,
      "--test", examples.appendingPathComponent("test/task2").path, "--edition", "2022", "--quiet",
    ])
    #expect(text.status == 1)
    #expect(text.stdout.contains("split5_ov1_1.csv:1: error: the first row"))
    #expect(text.stdout.contains("split5_ov1_1.csv:2: error: unknown class 'Knok'"))
    #expect(text.stdout.contains("split5_ov2_1.csv: error: test item split5_ov2_1"))
    #expect(text.stdout.contains("INVALID Task 2, 300 frames (L3DAS22) submission — 0/2 items valid, 3 errors"))

    let json = try l3das([
      "validate", "--task", "2", "--submission", bad.path,
      "--test", examples.appendingPathComponent("test/task2").path, "--edition", "2022", "--json",
    ])
    #expect(json.status == 1)
    let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
    #expect(object?["isValid"] as? Bool == false)
    #expect(object?["errorCount"] as? Int == 3)
    let kinds = (object?["problems"] as? [[String: Any]])?.compactMap { $0["kind"] as? String }
    #expect(kinds == ["headerRow", "unknownClass", "missingItem"])

    let missing = try l3das([
      "validate", "--task", "1", "--submission", dir.path("nope").path,
      "--test", examples.appendingPathComponent("test/task1").path,
    ])
    #expect(missing.status == 1 && missing.stderr.contains("does not exist"))
    let usage = try l3das(["validate", "--task", "3", "--submission", bad.path, "--test", bad.path])
    #expect(usage.status == 64)
  }
}

@Suite("l3das parity")
struct ParityCommandTests {
  /// The SELDnet and MMUB fixture sets copied into the Models tests (shared parity fixtures, set 1).
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("ModelsTests/Fixtures")

  @Test("a fixture set passes and --json has the outputs, gradients and input_gradient maxima")
  func passes() throws {
    let prefix = Self.fixtures.appendingPathComponent("seldnet_augmented_small").path
    let result = try l3das(["parity", prefix, "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect(object["model"] as? String == "Seldnet_augmented")
    #expect(try #require(object["outputs"] as? Double) <= 1e-5)
    #expect(try #require(object["gradients"] as? Double) <= 1e-4)
    #expect(try #require(object["input_gradient"] as? Double) <= 1e-4)
    #expect(object["passed"] as? Bool == true)
    let text = try l3das(["parity", Self.fixtures.appendingPathComponent("seldnet_vanilla_small").path])
    #expect(text.status == 0)
    #expect(text.stdout.contains("Seldnet_vanilla") && text.stdout.hasSuffix("PASS\n"))
    let mmub = try l3das(["parity", Self.fixtures.appendingPathComponent("mmub_small").path])
    #expect(mmub.status == 0, "\(mmub.stdout)\(mmub.stderr)")
    #expect(mmub.stdout.contains("MIMO_UNet_Beamforming (35928 parameters)") && mmub.stdout.hasSuffix("PASS\n"))
  }

  @Test("an impossible tolerance, an unported class and a missing set exit 1 with a clear message")
  func failures() throws {
    let prefix = Self.fixtures.appendingPathComponent("seldnet_vanilla_small").path
    let strict = try l3das(["parity", prefix, "--output-tolerance", "1e-12"])
    #expect(strict.status == 1)
    #expect(strict.stdout.contains("FAIL"))

    let dir = try TemporaryDirectory()
    let config = #"{"class": "NoSuchNet", "constructor_args": {}, "outputs": ["output"]}"#
    try Data(config.utf8).write(to: dir.path("nosuch.config.json"))
    let unported = try l3das(["parity", dir.path("nosuch").path])
    #expect(unported.status == 1)
    #expect(unported.stderr.contains("NoSuchNet is not ported yet"))

    let missing = try l3das(["parity", dir.path("nothing").path])
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("nothing.config.json"))

    let badTolerance = try l3das(["parity", prefix, "--gradient-tolerance", "0"])
    #expect(badTolerance.status == 64)
  }
}
