import Foundation
import Testing
import _TestSupport

/// The public L3DAS23 metric fixtures (`Fixtures/l3das23/seld.json`, made by the official
/// L3DAS23 `location_sensitive_detection`): every case, three thresholds, both counts.
@Suite("l3das score --edition 2023 equals the official L3DAS23 count")
struct L3DAS23ScoreTests {
  struct Counts: Decodable, Equatable {
    var tp: Int
    var fp: Int
    var fn: Int
  }
  struct Case: Decodable {
    var name: String
    var truth: String
    var prediction: String
    var by_threshold: [String: [String: Counts]]

    enum CodingKeys: String, CodingKey { case name, truth, prediction, by_threshold }

    init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      name = try c.decode(String.self, forKey: .name)
      truth = try c.decode(String.self, forKey: .truth)
      prediction = try c.decode(String.self, forKey: .prediction)
      // `per_file` sits beside the two counts; keep only the counts.
      let raw = try c.decode([String: [String: AnyCounts]].self, forKey: .by_threshold)
      by_threshold = raw.mapValues { $0.compactMapValues(\.counts) }
    }
  }
  /// `official` / `optimal` are counts; `per_file` is not.
  struct AnyCounts: Decodable {
    var counts: Counts?
    init(from decoder: any Decoder) throws { counts = try? Counts(from: decoder) }
  }
  struct Fixture: Decodable { var cases: [Case] }

  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/l3das23")
  static let cases: [Case] = {
    let data = try! Data(contentsOf: folder.appendingPathComponent("seld.json"))
    return try! JSONDecoder().decode(Fixture.self, from: data).cases
  }()

  @Test("every case at 1.75 (the default), 1.0 and 2.0 m, official and one-to-one", arguments: cases.map(\.name))
  func fixtureCase(name: String) throws {
    let fixture = try #require(Self.cases.first { $0.name == name })
    for (threshold, expected) in fixture.by_threshold {
      for (matching, key) in [("official", "official"), ("one-to-one", "optimal")] {
        let want = try #require(expected[key])
        var arguments = [
          "score", "--task", "2", "--edition", "2023", "--frames", "300", "--json", "--quiet",
          "--submission", Self.folder.appendingPathComponent(fixture.prediction).path,
          "--truth", Self.folder.appendingPathComponent(fixture.truth).path, "--matching", matching,
        ]
        if threshold != "1.75" { arguments += ["--threshold", threshold] }
        let result = try BuiltExecutable("l3das").run(arguments)
        #expect(result.status == 0, "\(name) \(threshold) \(matching): \(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let total = try #require(report["total"] as? [String: Any])
        let got = Counts(
          tp: total["truePositives"] as? Int ?? -1, fp: total["falsePositives"] as? Int ?? -1,
          fn: total["falseNegatives"] as? Int ?? -1)
        #expect(got == want, "\(name) at \(threshold) m, \(matching)")
        if threshold == "1.75" { #expect(report["threshold"] as? Double == 1.75, "2023's default threshold") }
      }
    }
  }
}
