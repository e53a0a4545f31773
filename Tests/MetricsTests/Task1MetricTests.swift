import Foundation
import Metrics
import Testing
import TensorModule

/// A transcriber that returns fixed texts per role, to test the metric without an ASR.
private struct ScriptedTranscriber: Transcriber {
  var reference: String
  var estimate: String
  var identifier: String { "scripted" }
  func transcribe(_ request: TranscriptionRequest) throws -> String {
    request.role == .reference ? reference : estimate
  }
}

private func item(_ id: String, metric: Double?) -> Task1ItemScore {
  Task1ItemScore(
    id: id, stoi: metric, wer: metric.map { _ in 0 }, metric: metric, wordErrors: metric.map { _ in WordErrorCounts(hits: 1) },
    referenceTranscript: "", estimateTranscript: "", stoiTooShort: false)
}

@Suite("Task 1 metric")
struct Task1MetricTests {
  @Test("the official running mean reproduces the documented defect; the default mean is correct")
  func runningMeanDefect() {
    let a = Task1Report(items: [item("1", metric: nil), item("2", metric: 0.8)])
    #expect(a.metric == 0.8)
    #expect(abs(a.official.metric - 0.4) < 1e-12)
    let b = Task1Report(items: [item("1", metric: 0.6), item("2", metric: nil), item("3", metric: 0.9)])
    #expect(abs(b.metric - 0.75) < 1e-12)
    #expect(abs(b.official.metric - 0.7) < 1e-12)
    #expect(b.scoredCount == 2 && b.skippedCount == 1)
    let c = Task1Report(items: [item("1", metric: 0.2), item("2", metric: 0.5), item("3", metric: 0.8)])
    #expect(abs(c.official.metric - c.metric) < 1e-12)
  }

  @Test("one item: transcripts of both signals, clipped WER and STOI, (STOI + 1 − WER)/2")
  func oneItem() throws {
    var rng = SplitMix64(seed: 1)
    let clean = [Float].gaussianNoise(count: 16_000, standardDeviation: 0.1, using: &rng)
    let noisy = zip(clean, [Float].gaussianNoise(count: 16_000, standardDeviation: 0.05, using: &rng)).map(+)
    let computer = try STOIComputer()
    let asr = ScriptedTranscriber(reference: "A B C D", estimate: "A X C D E F G H")
    let score = try Task1Metric.score(id: "i", clean: clean, estimate: noisy, sampleRate: 16_000, transcriber: asr, stoi: computer)
    let expectedSTOI = try STOI.stoi(clean: clean, estimate: noisy, sampleRate: 16_000)
    #expect(score.stoi == min(max(expectedSTOI, 0), 1))
    #expect(score.wordErrors?.wer == 1.25)
    #expect(score.wer == 1, "WER is clipped to 1")
    #expect(score.metric == (score.stoi ?? -1) / 2)
    #expect(score.referenceTranscript == "A B C D" && score.estimateTranscript == "A X C D E F G H")
  }

  @Test("an empty clean transcript skips the item by default, and scores it with jiwer ≥ 4 semantics on request")
  func emptyReference() throws {
    let signal = [Float](repeating: 0.1, count: 16_000)
    let asr = ScriptedTranscriber(reference: "", estimate: "NOISE")
    let computer = try STOIComputer()
    let skipped = try Task1Metric.score(id: "s", clean: signal, estimate: signal, sampleRate: 16_000, transcriber: asr, stoi: computer)
    #expect(skipped.isSkipped && skipped.stoi == nil)
    let counted = try Task1Metric.score(
      id: "s", clean: signal, estimate: signal, sampleRate: 16_000, transcriber: asr, emptyReference: .countInsertions, stoi: computer)
    #expect(counted.wer == 1 && !counted.isSkipped)
  }

  @Test("signals of different lengths are an error naming the item")
  func lengthMismatch() throws {
    let error = #expect(throws: MetricsError.self) {
      try Task1Metric.score(
        id: "x-1", clean: [0, 1], estimate: [0], sampleRate: 16_000,
        transcriber: ScriptedTranscriber(reference: "A", estimate: "A"), stoi: try STOIComputer())
    }
    #expect(error?.code == .lengthMismatch && error?.message.contains("x-1") == true)
  }
}
