import Foundation
import Testing
import _TestSupport

@Suite("l3das score: the Task 2 count follows the edition; --dcase picks the DCASE rules")
struct ScoreTask2OptionsTests {
  /// The two L3DAS21 defects in one file: two same-class truths near one prediction (frame 0), and
  /// a prediction without truth (frame 1).
  private func writeCase(in dir: TemporaryDirectory) throws -> (pred: String, truth: String) {
    let pred = dir.path("pred")
    let truth = dir.path("truth")
    for folder in [pred, truth] {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }
    try "0,Knock,0.25,0,0\n1,Knock,1,1,0\n".write(
      to: pred.appendingPathComponent("a.csv"), atomically: true, encoding: .utf8)
    try "0,Knock,0,0,0\n0,Knock,0.5,0,0\n".write(
      to: truth.appendingPathComponent("a.csv"), atomically: true, encoding: .utf8)
    return (pred.path, truth.path)
  }

  /// `l3das score --task 2 … OPTIONS` on that case: exit status and output.
  private func score(_ options: [String]) throws -> BuiltExecutable.Result {
    let dir = try TemporaryDirectory()
    let (pred, truth) = try writeCase(in: dir)
    return try BuiltExecutable("l3das").run(
      ["score", "--task", "2", "--submission", pred, "--truth", truth, "--quiet"] + options)
  }

  /// The JSON report of `score(options + ["--json"])`.
  private func scoreJSON(_ options: [String]) throws -> [String: Any] {
    let result = try score(options + ["--json"])
    #expect(result.status == 0, "\(result.stderr)")
    return try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
  }

  @Test(
    "--edition 2021 counts as L3DAS21 did (FP −1 + 2·1 = 1 here), 2022 as L3DAS22; --matching overrides",
    arguments: [
      (["--edition", "2021"], "l3das21", [2, 1, 0]),
      (["--edition", "2022"], "official", [1, 1, 1]),
      (["--edition", "2021", "--matching", "official"], "official", [1, 1, 1]),
      (["--edition", "2022", "--matching", "l3das21"], "l3das21", [2, 1, 0]),
    ])
  func defaultMatching(options: [String], matching: String, counts: [Int]) throws {
    let report = try scoreJSON(options)
    #expect(report["matching"] as? String == matching)
    let total = try #require(report["total"] as? [String: Any])
    let got = ["truePositives", "falsePositives", "falseNegatives"].map { total[$0] as? Int }
    #expect(got == counts)
  }

  @Test(
    "--dcase 2022 reports DCASE 2022/2023 figures (macro by default, or micro) in JSON and text",
    arguments: [
      ([String](), "2021", "micro"), (["--dcase", "2022"], "2022", "macro"),
      (["--dcase", "2022", "--dcase-average", "micro"], "2022", "micro"),
    ])
  func dcaseRules(options: [String], rules: String, averaging: String) throws {
    let report = try scoreJSON(options)
    let dcase = try #require(report["dcaseStyle"] as? [String: Any])
    #expect(dcase["rules"] as? String == rules)
    #expect(dcase["averaging"] as? String == averaging)
    #expect((dcase["perClass"] as? [Any])?.count == 14)
    let text = try score(options)
    #expect(text.status == 0)
    #expect(
      text.stdout.contains("DCASE \(rules)-style (\(averaging), 1 s segments, ≤ 2.0 m): ER "),
      "\(text.stdout)")
  }

  @Test("the per-class table's labels end where their columns end")
  func perClassAlignment() throws {
    let result = try score([])
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n").map(String.init)
    let header = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("class ") })
    let row = try #require(lines[(header + 1)...].first { $0.contains("Knock") })
    /// The end offsets of the whitespace-separated fields of a line.
    func ends(_ line: String) -> [Int] {
      var result: [Int] = []
      for (offset, character) in line.enumerated() where character != " " {
        if offset + 1 == line.count || Array(line)[offset + 1] == " " { result.append(offset + 1) }
      }
      return result
    }
    #expect(Array(ends(lines[header]).suffix(4)) == Array(ends(row).suffix(4)), "\(lines[header])\n\(row)")
  }

  @Test("score takes the frame count from a 60 s truth (600, so FN covers the whole scene) and refuses --edition 2022 on it")
  func editionFromTheTruth() throws {
    let dir = try TemporaryDirectory()
    let synth = try BuiltExecutable("l3das").run(
      ["synth", "-o", dir.path("data").path, "--edition", "2021", "--task", "2", "--task2-items", "1", "--task2-splits", "test", "--quiet"])
    #expect(synth.status == 0, "\(synth.stderr)")
    // A neutral folder name: only the audio says 60 s.
    let truth = dir.path("truth")
    try FileManager.default.moveItem(at: dir.path("data/L3DAS_Task2_test"), to: truth)
    let labels = try FileManager.default.contentsOfDirectory(atPath: truth.appendingPathComponent("labels").path)
    let id = try #require(labels.first).replacingOccurrences(of: "label_", with: "").replacingOccurrences(of: ".csv", with: "")
    let submission = dir.path("sub")
    try FileManager.default.createDirectory(at: submission, withIntermediateDirectories: true)
    try "599,Knock,0,0,0\n".write(to: submission.appendingPathComponent("\(id).csv"), atomically: true, encoding: .utf8)
    let base = ["score", "--task", "2", "--submission", submission.path, "--truth", truth.path, "--quiet"]
    let scored = try BuiltExecutable("l3das").run(base + ["--json"])
    #expect(scored.status == 0, "frame 599 is inside a 60 s scene: \(scored.stderr)")
    let report = try #require(try JSONSerialization.jsonObject(with: Data(scored.stdout.utf8)) as? [String: Any])
    #expect(report["matching"] as? String == "l3das21", "the 2021 count for a 2021 truth")
    let refused = try BuiltExecutable("l3das").run(base + ["--edition", "2022"])
    #expect(refused.status != 0 && refused.stderr.contains("--edition 2022"), "\(refused.stderr)")
    let frames = try BuiltExecutable("l3das").run(base + ["--frames", "300"])
    #expect(frames.status != 0 && frames.stderr.contains("600"), "\(frames.stderr)")
  }

  @Test("--dcase-average macro with DCASE 2021 rules is a usage error")
  func macroNeeds2022() throws {
    let result = try score(["--dcase-average", "macro"])
    #expect(result.status == 64)
    #expect(result.stderr.contains("--dcase 2022"))
  }
}
