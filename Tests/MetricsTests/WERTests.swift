import Foundation
import Metrics
import Testing

private struct WERCase: Decodable, Sendable, CustomTestStringConvertible {
  var reference: String
  var hypothesis: String
  var wer: Double
  var substitutions: Int?
  var deletions: Int?
  var insertions: Int?
  var hits: Int?
  var testDescription: String { "\(reference.debugDescription) vs \(hypothesis.debugDescription)" }
}

private struct WERFile: Decodable { var cases: [WERCase] }

private func load(_ name: String) throws -> [WERCase] {
  let fixtures = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
  let data = try Data(contentsOf: fixtures.appendingPathComponent(name))
  return try JSONDecoder().decode(WERFile.self, from: data).cases
}

@Suite("Word error rate (jiwer-equal)")
struct WERTests {
  @Test("every case of shared/fixtures/metrics/wer.json gives jiwer 4.0's WER and S, D, I, hits")
  func sharedFixture() throws {
    let cases = try load("wer.json")
    #expect(cases.count == 43)
    for c in cases {
      let counts = WER.counts(reference: c.reference, hypothesis: c.hypothesis)
      #expect(counts.wer == c.wer, "\(c.testDescription)")
      if let s = c.substitutions, let d = c.deletions, let i = c.insertions, let h = c.hits {
        #expect(counts == WordErrorCounts(substitutions: s, deletions: d, insertions: i, hits: h), "\(c.testDescription)")
      }
    }
  }

  @Test("2 000 random tie-heavy pairs give exactly jiwer's S, D, I and hits")
  func randomGolden() throws {
    let cases = try load("wer-random.json")
    #expect(cases.count == 2000)
    var mismatches = 0
    for c in cases {
      let counts = WER.counts(reference: c.reference, hypothesis: c.hypothesis)
      let expected = WordErrorCounts(
        substitutions: c.substitutions ?? -1, deletions: c.deletions ?? -1, insertions: c.insertions ?? -1,
        hits: c.hits ?? -1)
      if counts != expected || abs(counts.wer - c.wer) > 1e-15 {
        mismatches += 1
        if mismatches <= 5 { Issue.record("\(c.testDescription): got \(counts), jiwer \(expected)") }
      }
    }
    #expect(mismatches == 0)
  }

  @Test("an empty reference is skipped by default (the challenge) and counts insertions on request")
  func emptyReference() {
    #expect(WER.evaluate(reference: "   ", hypothesis: "SOMETHING") == .skippedEmptyReference)
    let counted = WER.evaluate(reference: "", hypothesis: "TWO WORDS", emptyReference: .countInsertions)
    #expect(counted.counts?.wer == 2)
    #expect(WER.evaluate(reference: " ", hypothesis: "", emptyReference: .countInsertions).counts?.wer == 0)
  }

  @Test("the transform is jiwer's: case-sensitive, punctuation kept, single tabs do not split")
  func transform() {
    #expect(WER.words("  a  b\t\tc ").map(String.init) == ["a", "b", "c"])
    #expect(WER.words("a\tb").map(String.init) == ["a\tb"])
    #expect(WER.words("x\r\ny").map(String.init) == ["x", "y"])
    #expect(WER.counts(reference: "Hello, World!", hypothesis: "hello world").wer == 1)
  }

  @Test("pooled counts add up")
  func pooling() {
    let a = WER.counts(reference: "A B C", hypothesis: "A X C")
    let b = WER.counts(reference: "D E", hypothesis: "D E F")
    let total = a + b
    #expect(total == WordErrorCounts(substitutions: 1, deletions: 0, insertions: 1, hits: 4))
    #expect(total.wer == 2.0 / 5.0)
  }
}
