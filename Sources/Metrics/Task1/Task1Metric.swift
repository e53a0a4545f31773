/// The score of one Task 1 item.
public struct Task1ItemScore: Sendable, Equatable, Codable {
  /// The item id (`<id>` of `<id>.npy` and `labels/<id>.wav`).
  public var id: String
  /// STOI of the estimate against the clean speech, clipped to [0, 1]; `nil` when skipped.
  public var stoi: Double?
  /// WER of the estimate's transcript against the clean speech's transcript, clipped to
  /// [0, 1]; `nil` when skipped.
  public var wer: Double?
  /// `(stoi + 1 − wer) / 2`; `nil` when skipped.
  public var metric: Double?
  /// The word alignment counts (unclipped); `nil` when skipped.
  public var wordErrors: WordErrorCounts?
  /// The transcript of the clean speech.
  public var referenceTranscript: String
  /// The transcript of the estimate.
  public var estimateTranscript: String
  /// Whether STOI hit pystoi's too-short rule (fewer than 30 non-silent frames → 1e-5).
  public var stoiTooShort: Bool

  /// Creates a score.
  public init(
    id: String, stoi: Double?, wer: Double?, metric: Double?, wordErrors: WordErrorCounts?,
    referenceTranscript: String, estimateTranscript: String, stoiTooShort: Bool
  ) {
    self.id = id
    self.stoi = stoi
    self.wer = wer
    self.metric = metric
    self.wordErrors = wordErrors
    self.referenceTranscript = referenceTranscript
    self.estimateTranscript = estimateTranscript
    self.stoiTooShort = stoiTooShort
  }

  /// Whether the item was skipped (empty reference transcript, as the official metric does).
  public var isSkipped: Bool { metric == nil }
}

/// Aggregated Task 1 results.
public struct Task1Report: Sendable, Equatable, Codable {
  /// Per-item scores, sorted by id.
  public var items: [Task1ItemScore]
  /// Items that were scored.
  public var scoredCount: Int
  /// Items skipped because the clean speech's transcript was empty.
  public var skippedCount: Int
  /// Mean of the per-item metric over scored items: the correct aggregate (the default).
  public var metric: Double
  /// Mean of the per-item clipped STOI over scored items.
  public var stoi: Double
  /// Mean of the per-item clipped WER over scored items (not a pooled WER).
  public var wer: Double
  /// WER pooled over all words of the scored items (Σ errors / Σ reference words), for reference.
  public var pooledWER: Double
  /// The value the official scripts print, reproducing their running-mean defect.
  public var official: OfficialAggregate

  /// What the official evaluation loop reports. It updates `mean += (x − mean) / (i + 1)` with
  /// the item's position `i` **including skipped items**, so every skipped item pulls the later
  /// ones towards 0 (FACTS.md §3.1: per-item [skipped, 0.8] → 0.4 instead of 0.8). Equal to the
  /// correct mean when nothing is skipped.
  public struct OfficialAggregate: Sendable, Equatable, Codable {
    /// The official running "mean" of the metric.
    public var metric: Double
    /// The official running "mean" of STOI.
    public var stoi: Double
    /// The official running "mean" of WER.
    public var wer: Double
  }

  /// Builds the report from per-item scores, in id order (the order of the official loop over a
  /// sorted dataset).
  public init(items: [Task1ItemScore]) {
    let sorted = items.sorted { $0.id < $1.id }
    self.items = sorted
    let scored = sorted.filter { !$0.isSkipped }
    scoredCount = scored.count
    skippedCount = sorted.count - scored.count
    func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
    metric = mean(scored.compactMap(\.metric))
    stoi = mean(scored.compactMap(\.stoi))
    wer = mean(scored.compactMap(\.wer))
    pooledWER = scored.compactMap(\.wordErrors).reduce(WordErrorCounts(), +).wer
    var running = (metric: 0.0, stoi: 0.0, wer: 0.0)
    for (position, item) in sorted.enumerated() {
      guard let m = item.metric, let s = item.stoi, let w = item.wer else { continue }
      let weight = 1 / Double(position + 1)
      running.metric += weight * (m - running.metric)
      running.stoi += weight * (s - running.stoi)
      running.wer += weight * (w - running.wer)
    }
    official = OfficialAggregate(metric: running.metric, stoi: running.stoi, wer: running.wer)
  }
}

/// The L3DAS Task 1 metric (FACTS.md §3.1): `(STOI + 1 − WER) / 2` per item, with both signals
/// transcribed by the same recogniser, WER and STOI clipped to [0, 1], and the item skipped when
/// the clean speech's transcript is empty (jiwer 2.x raised there and the official code skipped).
public enum Task1Metric {
  /// Scores one item.
  ///
  /// - Parameters:
  ///   - id: the item id (passed to the transcriber).
  ///   - clean: the clean reference speech (mono).
  ///   - estimate: the enhanced speech; same length as `clean`.
  ///   - sampleRate: rate of both signals (16 000 for the challenge).
  ///   - transcriber: recognises both signals.
  ///   - emptyReference: `.skip` (the challenge) or `.countInsertions` (jiwer ≥ 4).
  ///   - stoi: a reusable STOI computer (one per thread).
  /// - Throws: `MetricsError` for mismatched or non-finite signals; `TranscriptionError`.
  public static func score(
    id: String, clean: [Float], estimate: [Float], sampleRate: Int, transcriber: any Transcriber,
    emptyReference: EmptyReferencePolicy = .skip, stoi: STOIComputer
  ) throws -> Task1ItemScore {
    guard clean.count == estimate.count else {
      throw MetricsError(
        .lengthMismatch,
        "item \(id): the estimate has \(estimate.count) samples, the clean speech \(clean.count)")
    }
    let referenceText = try transcriber.transcribe(
      TranscriptionRequest(samples: clean, sampleRate: sampleRate, itemID: id, role: .reference))
    let estimateText = try transcriber.transcribe(
      TranscriptionRequest(samples: estimate, sampleRate: sampleRate, itemID: id, role: .estimate))
    let result = WER.evaluate(reference: referenceText, hypothesis: estimateText, emptyReference: emptyReference)
    guard let counts = result.counts else {
      return Task1ItemScore(
        id: id, stoi: nil, wer: nil, metric: nil, wordErrors: nil, referenceTranscript: referenceText,
        estimateTranscript: estimateText, stoiTooShort: false)
    }
    let stoiResult = try stoi.evaluate(clean: clean, estimate: estimate, sampleRate: sampleRate, extended: false)
    let s = min(max(stoiResult.value, 0), 1)
    let w = min(max(counts.wer, 0), 1)
    return Task1ItemScore(
      id: id, stoi: s, wer: w, metric: (s + 1 - w) / 2, wordErrors: counts, referenceTranscript: referenceText,
      estimateTranscript: estimateText, stoiTooShort: stoiResult.isTooShort)
  }
}

extension Task1ItemScore {
  /// Whether the values could come from scoring an item: a non-empty id without `/`, STOI,
  /// WER and metric each in [0, 1] (or all absent for a skipped item), the metric equal to
  /// (STOI + 1 − WER)/2, and transcripts of at most 1 MB. Partial result files are untrusted
  /// input; `merge` checks every item with this.
  public var isPlausible: Bool {
    guard !id.isEmpty, !id.contains("/"), id.utf8.count <= 1024,
      referenceTranscript.utf8.count <= 1 << 20, estimateTranscript.utf8.count <= 1 << 20
    else { return false }
    if let counts = wordErrors {
      let values = [counts.substitutions, counts.deletions, counts.insertions, counts.hits]
      guard values.allSatisfy({ (0...(1 << 24)).contains($0) }) else { return false }
    }
    switch (stoi, wer, metric) {
    case (nil, nil, nil): return true
    case (let s?, let w?, let m?):
      return (0...1).contains(s) && (0...1).contains(w) && (0...1).contains(m)
        && abs(m - (s + 1 - w) / 2) <= 1e-9
    default: return false
    }
  }
}
