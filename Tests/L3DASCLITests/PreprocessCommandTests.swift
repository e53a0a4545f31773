import Foundation
import NumPyIO
import Testing
import _TestSupport

/// Runs the built `l3das` executable with `COLUMNS=80` (stable help wrapping).
private func runL3DAS(_ arguments: [String]) throws -> BuiltExecutable.Result {
  try BuiltExecutable("l3das").run(arguments)
}

/// Compares `text` with `Snapshots/<name>.txt`; records it when missing or when
/// RECORD_SNAPSHOTS is set (and then fails, so a recording is never a silent pass).
private func assertHelpSnapshot(
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

@Suite("l3das preprocess")
struct PreprocessCommandTests {
  @Test("the help matches its snapshot")
  func help() throws {
    let result = try runL3DAS(["preprocess", "--help"])
    #expect(result.status == 0)
    try assertHelpSnapshot(result.stdout, named: "help-preprocess")
  }

  @Test("synth then preprocess: a tiny Task 2 split becomes shards, and a second run reuses them")
  func synthAndPreprocess() throws {
    let dir = try TemporaryDirectory()
    let data = dir.path("data").path
    let synth = try runL3DAS([
      "synth", "-o", data, "--task", "2", "--task2-items", "2", "--task2-splits", "dev",
      "--scene-seconds", "1", "--seed", "3", "--quiet",
    ])
    #expect(synth.status == 0, "\(synth.stderr)")
    let input = dir.path("data/L3DAS22_Task2_dev").path
    let out = dir.path("features").path
    let args = [
      "preprocess", "--task", "2", "--input", input, "-o", out, "--scene-seconds", "1", "--mics",
      "2", "--quiet",
    ]
    let first = try runL3DAS(args + ["--json"])
    #expect(first.status == 0, "\(first.stderr)")
    let report = try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any]
    #expect(report?["itemCount"] as? Int == 2)
    #expect(report?["computedShards"] as? Int == 1)
    let (header, _) = try NumPyFile.readFloats(dir.path("features/shard-00000.predictors.npy"))
    #expect(header.shape == [2, 8, 256, 80])
    let (targets, _) = try NumPyFile.readFloats(dir.path("features/shard-00000.targets.npy"))
    #expect(targets.shape == [2, 10, 168])
    let second = try runL3DAS(args)
    #expect(second.status == 0, "\(second.stderr)")
    #expect(
      second.stdout.contains(
        "Preprocessed 2 items (2 rows) of L3DAS22_Task2_dev into 1 shard (0 computed, 1 reused)"))
  }

  @Test("--segment chunks --segment-samples cuts Task 1 recordings into pieces of that length")
  func task1Segments() throws {
    let dir = try TemporaryDirectory()
    let synth = try runL3DAS([
      "synth", "-o", dir.path("data").path, "--task", "1", "--task1-items", "2", "--task1-splits",
      "dev", "--seed", "3", "--quiet",
    ])
    #expect(synth.status == 0, "\(synth.stderr)")
    let result = try runL3DAS([
      "preprocess", "--task", "1", "--input", dir.path("data/L3DAS22_Task1_dev").path, "-o",
      dir.path("features").path, "--segment", "chunks", "--segment-samples", "16000", "--json",
      "--quiet",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    let rows = try #require(report?["rowCount"] as? Int)
    // Two recordings of 3–7 s: 3–7 one-second pieces each (the last zero-padded).
    #expect(report?["itemCount"] as? Int == 2 && (6...14).contains(rows))
    let (mixtures, _) = try NumPyFile.readFloats(dir.path("features/shard-00000.predictors.npy"))
    #expect(mixtures.shape == [rows, 4, 16000])
    let (clean, _) = try NumPyFile.readFloats(dir.path("features/shard-00000.targets.npy"))
    #expect(clean.shape == [rows, 1, 16000])
  }

  @Test(
    "bad arguments give a usage error and a wrong task a runtime error",
    arguments: [
      (["preprocess", "--task", "3", "--input", "x", "-o", "y"], Int32(64), "--task"),
      (
        ["preprocess", "--task", "2", "--input", "x", "-o", "y", "--mics", "3"], Int32(64), "--mics"
      ),
      (
        ["preprocess", "--task", "2", "--input", "/nonexistent/L3DAS22_Task2_dev", "-o", "y"],
        Int32(1), "/nonexistent"
      ),
      (
        ["preprocess", "--task", "2", "--input", "x", "-o", "y", "--segment", "chunks"], Int32(64),
        "apply to Task 1"
      ),
      (
        ["preprocess", "--task", "1", "--input", "x", "-o", "y", "--segment", "pieces"], Int32(64),
        "--segment"
      ),
      (
        ["preprocess", "--task", "1", "--input", "x", "-o", "y", "--segment-samples", "0"], Int32(64),
        "--segment-samples"
      ),
    ])
  func errors(arguments: [String], status: Int32, fragment: String) throws {
    let result = try runL3DAS(arguments)
    #expect(result.status == status, "\(result.stderr)")
    #expect(result.stderr.contains(fragment), "\(result.stderr)")
  }
}
