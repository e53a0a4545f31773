import AudioIO
import Foundation
import Models
import NN
import NumPyIO
import Testing
import _TestSupport

#if canImport(Glibc)
  import Glibc
#endif

// Hostile and accidental inputs across the commands (issue 21). Every run here must end by
// itself (a time limit kills a hang and fails the test), never by a signal or with an exit
// status ≥ 128, never write outside its target, and name the file or option at fault.

/// Every file and folder under `root` with size and modification time, except `excluded`
/// subtrees: the "nothing outside the target changed" witness.
private struct TreeSnapshot: Equatable, CustomStringConvertible {
  var entries: [String: String] = [:]

  init(_ root: URL, excluding excluded: [URL] = []) {
    let skip = excluded.map { $0.standardizedFileURL.path }
    guard let walker = FileManager.default.enumerator(atPath: root.path) else { return }
    while let relative = walker.nextObject() as? String {
      let path = root.appendingPathComponent(relative).standardizedFileURL.path
      if skip.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) {
        walker.skipDescendants()
        continue
      }
      var info = stat()
      guard lstat(path, &info) == 0 else { continue }
      entries[relative] = "\(info.st_mode) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }
  }

  var description: String { entries.keys.sorted().joined(separator: "\n") }
}

/// A run of `l3das` held to the common rules; returns the result for further checks.
@discardableResult
private func run(
  _ arguments: [String], in dir: TemporaryDirectory, target: [URL] = [], timeout: TimeInterval = 120,
  expect statuses: Set<Int32>, naming fragments: [String] = [],
  sourceLocation: SourceLocation = #_sourceLocation
) throws -> BuiltExecutable.Result {
  let before = TreeSnapshot(dir.url, excluding: target)
  var executable = BuiltExecutable("l3das")
  executable.environment["XDG_CACHE_HOME"] = dir.path(".cache").path
  let result = try executable.run(arguments, timeout: timeout, currentDirectory: dir.url)
  let after = TreeSnapshot(dir.url, excluding: target + [dir.path(".cache")])
  let shown = "l3das \(arguments.joined(separator: " ")) → \(result.status)\n\(result.stdout)\n\(result.stderr)"
  #expect(!result.timedOut, "did not finish in \(Int(timeout)) s: \(shown)", sourceLocation: sourceLocation)
  #expect(!result.terminatedBySignal && result.status < 128, "ended by a signal: \(shown)", sourceLocation: sourceLocation)
  #expect(statuses.contains(result.status), "unexpected status: \(shown)", sourceLocation: sourceLocation)
  var beforeOutside = before
  beforeOutside.entries = before.entries.filter { after.entries[$0.key] != nil || !$0.key.hasPrefix(".cache") }
  #expect(
    TreeSnapshot.diff(beforeOutside, after).isEmpty,
    "wrote outside its target: \(TreeSnapshot.diff(beforeOutside, after))\n\(shown)",
    sourceLocation: sourceLocation)
  for fragment in fragments {
    #expect(
      (result.stdout + result.stderr).contains(fragment), "no '\(fragment)' in the message: \(shown)",
      sourceLocation: sourceLocation)
  }
  #expect(!(result.stdout + result.stderr).contains("NSCocoaErrorDomain"), "a raw Foundation error: \(shown)", sourceLocation: sourceLocation)
  // stderr is a pipe here, not a terminal: progress comes as lines, never redrawn in place.
  #expect(!result.stderr.contains("\r") && !result.stderr.contains("\u{1B}["), "terminal redraws on a pipe: \(shown)", sourceLocation: sourceLocation)
  return result
}

extension TreeSnapshot {
  /// The entries that differ, with what happened to them.
  static func diff(_ a: TreeSnapshot, _ b: TreeSnapshot) -> [String] {
    var changes: [String] = []
    for (key, value) in a.entries where b.entries[key] != value {
      changes.append(b.entries[key] == nil ? "removed \(key)" : "changed \(key)")
    }
    for key in b.entries.keys where a.entries[key] == nil { changes.append("added \(key)") }
    return changes.sorted()
  }
}

/// A tiny dataset and SELDnet weights: `data/L3DAS22_Task2_test` (two 30-s scenes) and
/// `tiny.safetensors` + `tiny.config.json`.
private func task2Fixture(_ dir: TemporaryDirectory, scenes: Int = 2) throws {
  let synth = try BuiltExecutable("l3das").run([
    "synth", "-o", dir.path("data").path, "--task", "2", "--task2-items", "\(scenes)",
    "--task2-splits", "test", "--seed", "5", "--quiet",
  ])
  #expect(synth.status == 0, "\(synth.stderr)")
  try SELDnet(.tiny, seed: 3).saveStateDict(to: dir.path("tiny.safetensors"))
  try JSONEncoder().encode(SELDnetConfiguration.tiny).write(to: dir.path("tiny.config.json"))
}

@Suite("Hostile and accidental inputs: no destruction, crash, hang or leak")
struct AbuseTests {
  // MARK: Item 1 — --overwrite

  @Test("predict --overwrite refuses a dataset root, its input, the current folder and a file; replaces only its own output")
  func predictOverwrite() throws {
    let dir = try TemporaryDirectory()
    try task2Fixture(dir)
    try Data("keep me".utf8).write(to: dir.path("notes.txt"))
    let predict = [
      "predict", "--task", "2", "--model", dir.path("tiny.safetensors").path, "--input",
      dir.path("data/L3DAS22_Task2_test").path, "--quiet",
    ]
    let base = predict + ["--overwrite", "-o"]
    for (output, fragment) in [
      (dir.path("data").path, dir.path("data").path),
      (dir.path("data/L3DAS22_Task2_test").path, "holds the input"),
      (".", "holds the current folder"),
      (dir.path("notes.txt").path, "a regular file"),
      (dir.url.deletingLastPathComponent().path, "holds the current folder"),
    ] {
      try run(base + [output], in: dir, expect: [1], naming: [fragment])
    }
    #expect(try String(contentsOf: dir.path("notes.txt"), encoding: .utf8) == "keep me")
    // Its own output: written, then replaced.
    let out = dir.path("submission")
    try run(predict + ["-o", out.path], in: dir, target: [out], expect: [0, 1])
    #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(".l3das-output.json").path))
    try run(predict + ["-o", out.path], in: dir, target: [out], expect: [1], naming: ["--overwrite"])
    try run(base + [out.path], in: dir, target: [out], expect: [0, 1])
    #expect(try dir.entries().allSatisfy { !$0.contains(".l3das-partial") && !$0.contains(".l3das-old") })
  }

  @Test("train, preprocess, leaderboard, merge, synth and demo never write into folders that are not theirs")
  func otherOutputs() throws {
    let dir = try TemporaryDirectory()
    try task2Fixture(dir, scenes: 1)
    let test = dir.path("data/L3DAS22_Task2_test").path
    let recipe = dir.path("recipe.json")
    try Data(#"{"model":"seldnet","batch_size":1,"learning_rate":0.001,"patience":1,"max_epochs":1,"train_fraction":0.5}"#.utf8).write(to: recipe)
    try run(["train", "--config", recipe.path, "--data", test, "-o", test, "--quiet"], in: dir, expect: [1])
    try run(["preprocess", "--task", "2", "--input", test, "-o", test, "--quiet"], in: dir, expect: [1], naming: ["holds the input"])
    try run(["preprocess", "--task", "2", "--input", test, "-o", ".", "--quiet"], in: dir, expect: [1], naming: ["current folder"])
    try run(["leaderboard", "--task", "2", "--truth", test, "-o", dir.path("data").path, "a=\(test)"], in: dir, expect: [1], naming: [dir.path("data").path])
    try FileManager.default.createDirectory(at: dir.path("mine"), withIntermediateDirectories: false)
    try Data("x".utf8).write(to: dir.path("mine/thesis.tex"))
    try run(["leaderboard", "--task", "2", "--truth", test, "-o", dir.path("mine").path, "a=\(test)"], in: dir, expect: [1], naming: ["not written by 'l3das leaderboard'"])
    try run(["merge", dir.path("recipe.json").path, "-o", dir.path("mine").path], in: dir, expect: [1], naming: ["recipe.json"])
    try run(["leaderboard", "--task", "2", "--truth", test, "-o", ".", "a=\(test)"], in: dir, expect: [1], naming: ["current folder"])
    try run(["leaderboard", "--task", "2", "--truth", test, "-o", dir.path("recipe.json").path, "a=\(test)"], in: dir, expect: [1], naming: ["a regular file"])
    // A split folder that synth did not write (a real download) is never replaced.
    try FileManager.default.removeItem(at: dir.path("data/L3DAS22_Task2_test/.l3das-output.json"))
    try run(
      ["synth", "-o", dir.path("data").path, "--task", "2", "--task2-items", "1", "--task2-splits", "test", "--overwrite", "--quiet"],
      in: dir, expect: [1], naming: ["was not written by 'l3das synth'"])
    try run(["demo", "--output", dir.path("data").path, "--task", "2"], in: dir, expect: [1], naming: ["not written by 'l3das demo'"])
    try run(["demo", "--output", ".", "--task", "2"], in: dir, expect: [1], naming: ["current folder"])
  }

  // MARK: Items 3 and 4 — preprocess resume keys and odd items

  @Test("preprocess recomputes shards whose inputs changed or whose arrays are cut short")
  func staleShards() throws {
    let dir = try TemporaryDirectory()
    func synth(seed: Int) throws {
      try run(
        ["synth", "-o", dir.path("data").path, "--task", "2", "--task2-items", "2", "--task2-splits", "dev",
         "--scene-seconds", "1", "--seed", "\(seed)", "--overwrite", "--quiet"],
        in: dir, target: [dir.path("data")], expect: [0])
    }
    let arguments = [
      "preprocess", "--task", "2", "--input", dir.path("data/L3DAS22_Task2_dev").path, "-o",
      dir.path("features").path, "--scene-seconds", "1", "--json", "--quiet",
    ]
    func preprocess() throws -> (computed: Int, reused: Int, values: [Float]) {
      let result = try run(arguments, in: dir, target: [dir.path("features")], expect: [0])
      let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
      let (_, values) = try NumPyFile.readFloats(dir.path("features/shard-00000.predictors.npy"))
      return (report["computedShards"] as? Int ?? -1, report["resumedShards"] as? Int ?? -1, values)
    }
    try synth(seed: 1)
    let first = try preprocess()
    #expect(first.computed == 1)
    #expect(try preprocess().reused == 1)
    try synth(seed: 2)  // the same ids, other audio
    let second = try preprocess()
    #expect(second.computed == 1, "stale features reused after the data changed")
    #expect(second.values != first.values)
    // A shard cut short is not reused.
    let npy = dir.path("features/shard-00000.predictors.npy")
    let handle = try FileHandle(forWritingTo: npy)
    try handle.truncate(atOffset: 1000)
    try handle.close()
    #expect(try preprocess().computed == 1)
  }

  @Test("an item with the wrong channel count is skipped on its own, even when it comes first")
  func oddFirstItem() throws {
    let dir = try TemporaryDirectory()
    try run(
      ["synth", "-o", dir.path("data").path, "--task", "2", "--task2-items", "3", "--task2-splits", "dev",
       "--scene-seconds", "1", "--quiet"],
      in: dir, target: [dir.path("data")], expect: [0])
    let data = dir.path("data/L3DAS22_Task2_dev/data")
    let first = try #require(try FileManager.default.contentsOfDirectory(atPath: data.path).sorted().first { $0.hasSuffix("_A.wav") })
    let audio = try AudioFile.read(data.appendingPathComponent(first))
    let stereo = AudioBuffer(channels: [Array(audio.channel(0)), Array(audio.channel(1))], sampleRate: audio.sampleRate)
    try AudioFile.write(stereo, to: data.appendingPathComponent(first), format: .pcm16)
    let result = try run(
      ["preprocess", "--task", "2", "--input", dir.path("data/L3DAS22_Task2_dev").path, "-o", dir.path("features").path,
       "--scene-seconds", "1", "--json", "--quiet"],
      in: dir, target: [dir.path("features")], expect: [0])
    let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect(report["itemCount"] as? Int == 2)
    let problems = report["problems"] as? [[String: Any]] ?? []
    #expect(problems.count == 1)
    #expect((problems.first?["message"] as? String)?.contains("2 channels") == true)
    #expect((problems.first?["id"] as? String).map { first.hasPrefix($0) } == true)
  }

  // MARK: Item 5 — a huge sample that validate accepts

  @Test("a Task 1 estimate with a sample of 3e14 is scored and ranked, not a crash")
  func hugeSample() throws {
    let dir = try TemporaryDirectory()
    try run(
      ["synth", "-o", dir.path("data").path, "--task", "1", "--task1-items", "1", "--task1-splits", "test", "--quiet"],
      in: dir, target: [dir.path("data")], expect: [0])
    let test = dir.path("data/L3DAS22_Task1_test")
    let clean = try #require(try FileManager.default.contentsOfDirectory(atPath: test.appendingPathComponent("labels").path).first { $0.hasSuffix(".wav") })
    var samples = Array(try AudioFile.read(test.appendingPathComponent("labels/\(clean)")).channel(0))
    samples[samples.count / 2] = 3e14
    try FileManager.default.createDirectory(at: dir.path("sub"), withIntermediateDirectories: false)
    try NumPyFile.write(samples, shape: [samples.count], to: dir.path("sub/\(clean.dropLast(4)).npy"))
    try run(["validate", "--task", "1", "--submission", dir.path("sub").path, "--test", test.path], in: dir, expect: [0])
    let cache = ["--cache", dir.path("cache").path]
    try run(["score", "--task", "1", "--submission", dir.path("sub").path, "--truth", test.path] + cache, in: dir, target: [dir.path("cache")], expect: [0], naming: ["metric"])
    try run(
      ["leaderboard", "--task", "1", "--truth", test.path, "-o", dir.path("reports").path, "huge=\(dir.path("sub").path)"] + cache,
      in: dir, target: [dir.path("reports"), dir.path("cache")], expect: [0])
    #expect(FileManager.default.fileExists(atPath: dir.path("reports/index.html").path))
  }

  // MARK: Item 11 — a recogniser that never answers

  @Test("a silent recogniser is stopped after --asr-timeout; SIGTERM removes the scratch folder")
  func silentRecogniser() throws {
    let dir = try TemporaryDirectory()
    try run(
      ["synth", "-o", dir.path("data").path, "--task", "1", "--task1-items", "1", "--task1-splits", "test", "--quiet"],
      in: dir, target: [dir.path("data")], expect: [0])
    let test = dir.path("data/L3DAS22_Task1_test")
    let clean = try #require(try FileManager.default.contentsOfDirectory(atPath: test.appendingPathComponent("labels").path).first { $0.hasSuffix(".wav") })
    let samples = Array(try AudioFile.read(test.appendingPathComponent("labels/\(clean)")).channel(0))
    try FileManager.default.createDirectory(at: dir.path("sub"), withIntermediateDirectories: false)
    try NumPyFile.write(samples, shape: [samples.count], to: dir.path("sub/\(clean.dropLast(4)).npy"))
    let script = dir.path("hang.sh")
    try Data("#!/bin/sh\necho 'loading a very slow model' >&2\nexec sleep 1000\n".utf8).write(to: script)
    chmod(script.path, 0o755)
    let arguments = [
      "score", "--task", "1", "--submission", dir.path("sub").path, "--truth", test.path, "--transcriber",
      "command", "--asr-command", script.path, "--no-cache",
    ]
    func scratchFolders() -> Set<String> {
      Set((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? []).filter { $0.hasPrefix("l3das-asr-") }
    }
    let before = scratchFolders()
    let started = Date()
    try run(arguments + ["--asr-timeout", "2"], in: dir, timeout: 60, expect: [1], naming: ["did not answer within 2 s", "loading a very slow model"])
    #expect(Date().timeIntervalSince(started) < 30)
    #expect(scratchFolders().subtracting(before).isEmpty, "a scratch folder was left behind")
    // Killed while waiting: the handler removes the folder and the process ends by SIGTERM.
    let (process, _, _) = try BuiltExecutable("l3das").launch(arguments, currentDirectory: dir.url)
    let deadline = Date().addingTimeInterval(30)
    while scratchFolders().subtracting(before).isEmpty && Date() < deadline { usleep(50_000) }
    #expect(!scratchFolders().subtracting(before).isEmpty, "the run made no scratch folder")
    usleep(300_000)
    kill(process.processIdentifier, SIGTERM)
    process.waitUntilExit()
    #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGTERM)
    #expect(scratchFolders().subtracting(before).isEmpty, "SIGTERM left a scratch folder")
  }

  // MARK: Item 18 — one run per folder

  @Test("a second train into a folder in use is refused while the first runs")
  func concurrentTrain() throws {
    let dir = try TemporaryDirectory()
    try run(
      ["synth", "-o", dir.path("data").path, "--task", "2", "--task2-items", "4", "--task2-splits", "dev",
       "--scene-seconds", "1", "--quiet"],
      in: dir, target: [dir.path("data")], expect: [0])
    try run(
      ["preprocess", "--task", "2", "--input", dir.path("data/L3DAS22_Task2_dev").path, "-o", dir.path("features").path,
       "--scene-seconds", "1", "--quiet"],
      in: dir, target: [dir.path("features")], expect: [0])
    try Data(#"{"model":"seldnet","seldnet":{"time_dim":80},"batch_size":1,"learning_rate":0.0001,"patience":100000,"max_epochs":100000,"train_fraction":0.5}"#.utf8)
      .write(to: dir.path("recipe.json"))
    let arguments = ["train", "--config", dir.path("recipe.json").path, "--data", dir.path("features").path, "-o", dir.path("run").path, "--quiet"]
    let (first, _, _) = try BuiltExecutable("l3das").launch(arguments, currentDirectory: dir.url)
    defer {
      kill(first.processIdentifier, SIGKILL)
      first.waitUntilExit()
    }
    let lock = dir.path("run/.l3das-lock")
    let deadline = Date().addingTimeInterval(60)
    while (try? String(contentsOf: lock, encoding: .utf8))?.contains("\(first.processIdentifier)") != true && Date() < deadline {
      usleep(50_000)
    }
    #expect(first.isRunning)
    try run(arguments, in: dir, target: [dir.path("run")], expect: [1], naming: ["another 'l3das train' (pid \(first.processIdentifier))"])
  }

  // MARK: Item 7 — numeric extremes

  @Test(
    "numeric options out of range are usage errors naming the option, before any work",
    arguments: [
      (["score", "--task", "2", "--submission", "s", "--truth", "t", "--frames", "100000000000"], "--frames"),
      (["score", "--task", "2", "--submission", "s", "--truth", "t", "--threshold", "nan"], "--threshold"),
      (["score", "--task", "2", "--submission", "s", "--truth", "t", "--threshold", "inf"], "--threshold"),
      (["preprocess", "--task", "1", "--input", "i", "-o", "o", "--segment-samples", "100000000000"], "--segment-samples"),
      (["preprocess", "--task", "2", "--input", "i", "-o", "o", "--items-per-shard", "1000000000"], "--items-per-shard"),
      (["predict", "--task", "1", "--model", "m", "--input", "i", "-o", "o", "--window", "100000000000"], "--window"),
      (["predict", "--task", "2", "--model", "m", "--input", "i", "-o", "o", "--scene-seconds", "1e300"], "--scene-seconds"),
      (["synth", "-o", "o", "--task2-items", "1000000000"], "--task2-items"),
      (["train", "--config", "c", "--data", "d", "-o", "o", "--max-epochs", "-1"], "--max-epochs"),
      (["validate", "--task", "2", "--submission", "s", "--test", "t", "--max-coordinate", "-5"], "--max-coordinate"),
      (["demo", "--task2-epochs", "100000000"], "epochs"),
      (["download", "l3das21", "--timeout", "-1"], "--timeout"),
      (["stoi", "a.wav", "b.wav", "--channel", "-1"], "--channel"),
      (["score", "--task", "1", "--submission", "s", "--truth", "t", "--transcriber", "command", "--asr-command", "x", "--asr-timeout", "0"], "--asr-timeout"),
    ])
  func numericExtremes(arguments: [String], option: String) throws {
    let dir = try TemporaryDirectory()
    try run(arguments, in: dir, timeout: 30, expect: [64], naming: [option])
  }

  // MARK: Items 12 and 13 — FIFOs and links in submissions

  @Test("a FIFO named like an item is refused at once by validate and score")
  func fifoSubmission() throws {
    let dir = try TemporaryDirectory()
    try task2Fixture(dir, scenes: 1)
    let test = dir.path("data/L3DAS22_Task2_test")
    let id = try #require(try FileManager.default.contentsOfDirectory(atPath: test.appendingPathComponent("labels").path).first)
      .dropFirst("label_".count).dropLast(".csv".count)
    let submission = dir.path("submission")
    try FileManager.default.createDirectory(at: submission, withIntermediateDirectories: false)
    #expect(mkfifo(submission.appendingPathComponent("\(id).csv").path, 0o644) == 0)
    try run(["validate", "--task", "2", "--submission", submission.path, "--test", test.path], in: dir, timeout: 30, expect: [1], naming: ["\(id).csv", "not a regular file"])
    try run(["score", "--task", "2", "--submission", submission.path, "--truth", test.path], in: dir, timeout: 30, expect: [1], naming: ["\(id).csv"])
  }

  @Test("a symlink to /etc/passwd in a submission is refused and never echoed into reports")
  func symlinkSubmission() throws {
    let dir = try TemporaryDirectory()
    try task2Fixture(dir, scenes: 1)
    let test = dir.path("data/L3DAS22_Task2_test")
    let id = try #require(try FileManager.default.contentsOfDirectory(atPath: test.appendingPathComponent("labels").path).first)
      .dropFirst("label_".count).dropLast(".csv".count)
    let submission = dir.path("submission")
    try FileManager.default.createDirectory(at: submission, withIntermediateDirectories: false)
    try FileManager.default.createSymbolicLink(
      at: submission.appendingPathComponent("\(id).csv"), withDestinationURL: URL(fileURLWithPath: "/etc/passwd"))
    let validate = try run(["validate", "--task", "2", "--submission", submission.path, "--test", test.path], in: dir, expect: [1], naming: ["symbolic link"])
    #expect(!validate.stdout.contains("root:"))
    let reports = dir.path("reports")
    try run(["leaderboard", "--task", "2", "--truth", test.path, "-o", reports.path, "evil=\(submission.path)"], in: dir, target: [reports], expect: [0])
    for name in ["leaderboard.md", "leaderboard.csv", "leaderboard.json", "index.html"] {
      let text = try String(contentsOf: reports.appendingPathComponent(name), encoding: .utf8)
      #expect(!text.contains("root:x") && !text.contains("/bin/bash"), "\(name) echoes the link's target")
    }
  }

  // MARK: Item 14 — formula injection

  @Test("submission names that a spreadsheet would evaluate are neutralised in leaderboard.csv, exact in JSON")
  func formulaNames() throws {
    let dir = try TemporaryDirectory()
    try task2Fixture(dir, scenes: 1)
    let test = dir.path("data/L3DAS22_Task2_test")
    let names = ["=HYPERLINK(\"http://evil\")", "+1+1", "@SUM(1)", "-2+3"]
    // `--` ends the options, so a name starting with "-" is a submission.
    var arguments = ["leaderboard", "--task", "2", "--truth", test.path, "-o", dir.path("reports").path, "--"]
    for (k, name) in names.enumerated() {
      let folder = dir.path("sub\(k)")
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
      arguments.append("\(name)=\(folder.path)")
    }
    try run(arguments, in: dir, target: [dir.path("reports")], expect: [0])
    let csv = try String(contentsOf: dir.path("reports/leaderboard.csv"), encoding: .utf8)
    let rows = csv.split(separator: "\n").dropFirst()
    for row in rows {
      let cells = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      for cell in cells {
        let text = cell.hasPrefix("\"") ? String(cell.dropFirst()) : cell
        if let first = text.first, "=+@".contains(first) { Issue.record("formula cell \(cell)") }
        if text.hasPrefix("-"), Double(text) == nil { Issue.record("formula cell \(cell)") }
      }
    }
    let json = try String(contentsOf: dir.path("reports/leaderboard.json"), encoding: .utf8)
    for name in ["+1+1", "@SUM(1)", "-2+3"] { #expect(json.contains("\"\(name)\"")) }
  }

  // MARK: Item 8 — untrusted partial files

  @Test("merge refuses partial files with impossible counts instead of crashing or adding them")
  func untrustedPartials() throws {
    let dir = try TemporaryDirectory()
    func partial(_ name: String, tp: String, fp: String = "0") throws -> String {
      let perClass = (0..<14).map { _ in #"{"truePositives":0,"falsePositives":0,"falseNegatives":0}"# }.joined(separator: ",")
      let text = """
        {"format":"l3das-score-partial","version":1,"task":2,"shard":{"index":1,"count":1},"submission":"s","truth":"t","truthItemCount":1,
        "task2":{"options":{"threshold":2,"matching":"official","frameCount":300,"includeDCASEStyle":false},
        "files":[{"file":"a.csv","score":{"truePositives":\(tp),"falsePositives":\(fp),"falseNegatives":0},"perClass":[\(perClass)]}]}}
        """
      try Data(text.utf8).write(to: dir.path(name))
      return dir.path(name).path
    }
    try run(["merge", try partial("huge.json", tp: "9223372036854775807")], in: dir, expect: [1], naming: ["huge.json", "impossible value"])
    try run(["merge", try partial("negative.json", tp: "-5")], in: dir, expect: [1], naming: ["negative.json"])
    try run(["merge", try partial("fp.json", tp: "1", fp: "-3")], in: dir, expect: [1], naming: ["fp.json"])
    try Data("{\"format\": 1".utf8).write(to: dir.path("broken.json"))
    try run(["merge", dir.path("broken.json").path], in: dir, expect: [1], naming: ["broken.json"])
  }

  // MARK: Item 15 — recipes

  @Test(
    "a misspelt or mistyped recipe key is an error naming the key, never a silent default",
    arguments: [
      (#"{"model":"seldnet","batch_size":3,"leaning_rate":0.1,"patience":1,"max_epochs":1,"train_fraction":0.7}"#, "did you mean \"learning_rate\""),
      (#"{"model":"seldnet","batch_size":4.5,"learning_rate":0.1,"patience":1,"max_epochs":1,"train_fraction":0.7}"#, "\"batch_size\": expected an integer, found 4.5"),
      (#"{"model":"seldnet","batch_size":3,"learning_rate":0.1,"patience":1,"max_epochs":1,"train_fraction":0.7,"seed":-1}"#, "\"seed\": expected a whole number ≥ 0, found -1"),
      (#"{"model":"seldnet","seldnet":{"fc_sise":8},"batch_size":3,"learning_rate":0.1,"patience":1,"max_epochs":1,"train_fraction":0.7}"#, "\"seldnet.fc_sise\"; did you mean \"fc_size\""),
    ])
  func recipes(text: String, fragment: String) throws {
    let dir = try TemporaryDirectory()
    try Data(text.utf8).write(to: dir.path("recipe.json"))
    try run(["train", "--config", dir.path("recipe.json").path, "--data", "x", "-o", dir.path("run").path], in: dir, expect: [1], naming: ["recipe.json", fragment])
  }

  // MARK: Item 16 — NaN weights

  @Test("predict refuses NaN weights and writes nothing")
  func nanWeights() throws {
    let dir = try TemporaryDirectory()
    try task2Fixture(dir, scenes: 1)
    let model = try SELDnet(.tiny, seed: 3)
    for parameter in model.parameters() { parameter.scalars = Array(repeating: .nan, count: parameter.count) }
    try model.saveStateDict(to: dir.path("tiny.safetensors"))
    try run(
      ["predict", "--task", "2", "--model", dir.path("tiny.safetensors").path, "--input", dir.path("data/L3DAS22_Task2_test").path, "-o", dir.path("out").path, "--quiet"],
      in: dir, expect: [1], naming: ["tiny.safetensors", "nan"])
    #expect(!FileManager.default.fileExists(atPath: dir.path("out").path))
  }

  // MARK: Item 18 — killed runs and concurrent runs

  @Test("a killed predict's staging folder is removed by the next run")
  func stalePartials() throws {
    let dir = try TemporaryDirectory()
    try task2Fixture(dir, scenes: 1)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/true")
    try process.run()
    process.waitUntilExit()
    let stale = dir.path(".out.l3das-partial-\(StagingHost.name)-\(process.processIdentifier)-7")
    try FileManager.default.createDirectory(at: stale, withIntermediateDirectories: false)
    try Data("half".utf8).write(to: stale.appendingPathComponent("a.csv"))
    try run(
      ["predict", "--task", "2", "--model", dir.path("tiny.safetensors").path, "--input", dir.path("data/L3DAS22_Task2_test").path, "-o", dir.path("out").path, "--quiet"],
      in: dir, target: [dir.path("out"), stale], expect: [0, 1])
    #expect(!FileManager.default.fileExists(atPath: stale.path))
  }

  // MARK: Item 19 — messages

  @Test("unwritable and wrong-kind outputs, wrong splits and missing submissions give messages that name them")
  func messages() throws {
    let dir = try TemporaryDirectory()
    try task2Fixture(dir, scenes: 1)
    let test = dir.path("data/L3DAS22_Task2_test").path
    // /sys refuses new folders even to root.
    try run(["leaderboard", "--task", "2", "--truth", test, "-o", "/sys/l3das-reports", "a=\(test)"], in: dir, expect: [1], naming: ["/sys/l3das-reports"])
    try run(["synth", "-o", "/sys/l3das-data", "--task", "2", "--task2-items", "1", "--quiet"], in: dir, expect: [1], naming: ["/sys/l3das-data"])
    try run(["leaderboard", "--task", "2", "--truth", test, "a=\(dir.path("nothing").path)"], in: dir, expect: [64], naming: [dir.path("nothing").path])
    // A Task 2 score against a Task 1 split says so.
    let synth = try BuiltExecutable("l3das").run(["synth", "-o", dir.path("data").path, "--task", "1", "--task1-items", "1", "--task1-splits", "dev", "--quiet"])
    #expect(synth.status == 0, "\(synth.stderr)")
    try run(["score", "--task", "2", "--truth", dir.path("data/L3DAS22_Task1_dev").path, "--submission", test], in: dir, expect: [1], naming: ["is a Task 1 split"])
    // stoi on a 4-channel estimate: bad data (exit 1) naming the file; --channel scores one.
    let dev = dir.path("data/L3DAS22_Task1_dev")
    let clean = try #require(try FileManager.default.contentsOfDirectory(atPath: dev.appendingPathComponent("labels").path).first { $0.hasSuffix(".wav") })
    let mic = dev.appendingPathComponent("data/\(clean.dropLast(4))_A.wav").path
    let cleanPath = dev.appendingPathComponent("labels/\(clean)").path
    try run(["stoi", cleanPath, mic], in: dir, expect: [1], naming: ["_A.wav", "4 channels"])
    try run(["stoi", cleanPath, mic, "--channel", "0"], in: dir, expect: [0], naming: ["STOI"])
    try run(["stoi", cleanPath, mic, "--channel", "7"], in: dir, expect: [1], naming: ["--channel 7"])
  }

  @Test("verify reports every label problem, events past the scene included, and an unreadable info.csv")
  func verifyLabels() throws {
    let dir = try TemporaryDirectory()
    try task2Fixture(dir, scenes: 1)
    let labels = dir.path("data/L3DAS22_Task2_test/labels")
    let file = try #require(try FileManager.default.contentsOfDirectory(atPath: labels.path).first)
    let text = """
      Start,End,Class,X,Y,Z
      1.0,2.0,Knock,0.5,0.5,0.5
      3.0,1e300,Knock,0.5,0.5,0.5
      4.0,40.0,Writing,0.5,0.5,0.5
      5.0,6.0,Unknown,0.5,0.5,0.5
      7.0,6.0,Knock,0.5,0.5,0.5
      8.0,9.0,Knock,nan,0.5,0.5

      """
    try Data(text.utf8).write(to: labels.appendingPathComponent(file))
    let result = try run(["verify", dir.path("data").path], in: dir, expect: [1])
    for line in 3...7 { #expect(result.stdout.contains("\(file):\(line):"), "line \(line) not reported: \(result.stdout)") }
    // info.csv that is not UTF-8: info does not abort, verify names it.
    let synth = try BuiltExecutable("l3das").run(["synth", "-o", dir.path("data").path, "--task", "1", "--task1-items", "1", "--task1-splits", "dev", "--quiet"])
    #expect(synth.status == 0, "\(synth.stderr)")
    try Data([0xFF, 0xFE, 0x00, 0x41, 0x0A]).write(to: dir.path("data/L3DAS22_Task1_dev/info.csv"))
    try run(["info", dir.path("data").path], in: dir, expect: [0, 1], naming: ["info.csv"])
    try run(["verify", dir.path("data").path], in: dir, expect: [1], naming: ["info.csv"])
  }
}

/// This machine's name as `l3das` writes it in staging entries (`[A-Za-z0-9.-]`).
private enum StagingHost {
  static let name: String = {
    var buffer = [CChar](repeating: 0, count: 256)
    gethostname(&buffer, buffer.count - 1)
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    let name = String(decoding: bytes, as: UTF8.self).filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }
    return name.isEmpty ? "localhost" : name
  }()
}
