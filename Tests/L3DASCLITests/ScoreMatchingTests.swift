import Foundation
import Testing
import _TestSupport

@Suite("l3das score: the Task 2 count follows the edition")
struct ScoreMatchingTests {
  /// FACTS §3.2 defect 2 in one file: two same-class truths near one prediction (frame 0), and
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

  @Test(
    "--edition 2021 counts as L3DAS21 did (FP −1 + 2·1 = 1 here), 2022 as L3DAS22; --matching overrides",
    arguments: [
      (["--edition", "2021"], "l3das21", [2, 1, 0]),
      (["--edition", "2022"], "official", [1, 1, 1]),
      (["--edition", "2021", "--matching", "official"], "official", [1, 1, 1]),
      (["--edition", "2022", "--matching", "l3das21"], "l3das21", [2, 1, 0]),
    ])
  func defaultMatching(options: [String], matching: String, counts: [Int]) throws {
    let dir = try TemporaryDirectory()
    let (pred, truth) = try writeCase(in: dir)
    let result = try BuiltExecutable("l3das").run(
      ["score", "--task", "2", "--submission", pred, "--truth", truth, "--json", "--quiet"]
        + options)
    #expect(result.status == 0, "\(result.stderr)")
    let report = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect(report["matching"] as? String == matching)
    let total = try #require(report["total"] as? [String: Any])
    let got = ["truePositives", "falsePositives", "falseNegatives"].map { total[$0] as? Int }
    #expect(got == counts)
  }
}
