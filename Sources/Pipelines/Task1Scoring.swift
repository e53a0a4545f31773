import AudioIO
import Datasets
public import Foundation
public import L3DASCore
public import Metrics
import NumPyIO
public import Submission

/// `l3das score --task 1`: scores a folder of `<id>.npy` estimates against the clean speech of a
/// Task 1 split.
public enum Task1Scoring {
  /// What to score and how.
  public struct Options: Sendable {
    /// Recognises the clean speech and the estimates (wrap it in `CachedTranscriber` to reuse
    /// transcripts between runs).
    public var transcriber: any Transcriber
    /// What to do with an empty clean transcript (`.skip`, the challenge's behaviour).
    public var emptyReference: EmptyReferencePolicy = .skip
    /// L3DAS23: score only this subtrack folder (`task1/1mic/`) of a nested submission.
    public var subtrack: Subtrack?

    /// Creates options.
    public init(transcriber: any Transcriber, emptyReference: EmptyReferencePolicy = .skip) {
      self.transcriber = transcriber
      self.emptyReference = emptyReference
    }
  }

  /// The clean reference files of `truth`: a Task 1 split folder (its `labels/<id>.wav`, in any
  /// layout `SplitLocation` recognises) or a flat folder of `<id>.wav` files.
  public static func references(in truth: URL) throws -> [String: URL] {
    if let split = try? SplitLocation(folder: truth), split.task != .speechEnhancement {
      throw ScoringError(
        .notFound,
        "\(truth.path) is a Task \(split.task.rawValue) split; Task 1 scoring needs a Task 1 split (data/ and labels/<id>.wav) or a folder of clean <id>.wav files")
    }
    if let roots = try? SplitLocation.dataRoots(in: truth) {
      var result: [String: URL] = [:]
      for item in Task1Items(roots: roots) { result[item.id.description] = item.clean }
      if !result.isEmpty { return result }
    }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: truth.path)) ?? []
    var result: [String: URL] = [:]
    for name in names where name.hasSuffix(".wav") && !name.hasPrefix(".") {
      result[String(name.dropLast(4))] = truth.appendingPathComponent(name)
    }
    guard !result.isEmpty else {
      throw ScoringError(
        .notFound,
        "\(truth.path): no clean speech found (expected a Task 1 split with data/ and labels/, or a folder of <id>.wav)")
    }
    return result
  }

  /// Scores every item; items run in parallel on all cores.
  ///
  /// - Throws: `ScoringError` listing every missing or extra item, or naming the first bad
  ///   file; `TranscriptionError`, `MetricsError`, `AudioIOError` with the file named.
  public static func score(
    submission: URL, truth: URL, options: Options, progress: any ProgressReporter = SilentProgress()
  ) throws -> Task1Report {
    Task1Report(
      items: try partial(
        submission: submission, truth: truth, options: options, shard: .all, progress: progress))
  }

  /// Scores the items of one shard (the truth's ids in sorted order, shard K taking positions
  /// ≡ K − 1 mod N). `Task1Report(items:)` over the items of all shards equals `score`'s
  /// report exactly: it sorts the items by id and forms every mean from them.
  /// Missing estimates are reported for the shard's items only; extra ones, by every shard.
  public static func partial(
    submission: URL, truth: URL, options: Options, shard: Shard,
    progress: any ProgressReporter = SilentProgress()
  ) throws -> [Task1ItemScore] {
    let references = try references(in: truth)
    // The submission (folder or zip) is read by the validator's own reader.
    let items = try submissionItems(submission, task: .speechEnhancement, subtrack: options.subtrack)
    let submitted = items.ids.union(items.refusedIDs)
    let ids = shard.select(references.keys.sorted())
    let missing = ids.filter { !submitted.contains($0) }
    let extra = submitted.filter { references[$0] == nil }.sorted()
    if let message = mismatchMessage(missing: missing, extra: extra, submission: submission.path, fileExtension: "npy") {
      throw ScoringError(.mismatchedItems, message)
    }
    let pool = STOIPool()
    let invalid = InvalidFiles()
    let results = IndexedResults<Task1ItemScore>(count: ids.count)
    let counter = ConcurrentProgress(total: ids.count, reporter: progress)
    DispatchQueue.concurrentPerform(iterations: ids.count) { index in
      results.record(index) {
        let id = ids[index]
        guard let cleanURL = references[id] else { throw ScoringError(.notFound, "no reference for \(id)") }
        let clean = try AudioFile.read(cleanURL)
        guard clean.channelCount == 1 else {
          throw ScoringError(.invalidFile, "\(cleanURL.path): clean speech must be mono, it has \(clean.channelCount) channels")
        }
        guard clean.sampleRate == Task.speechEnhancement.sampleRate else {
          throw ScoringError(
            .invalidFile,
            "\(cleanURL.path): clean speech must be sampled at \(Task.speechEnhancement.sampleRate) Hz (Task 1), it is at \(clean.sampleRate) Hz")
        }
        let estimateURL = submission.appendingPathComponent("\(id).npy")
        let estimate: [Float]
        do {
          estimate = try items.estimate(id, expectedLength: clean.frameCount)
        } catch let error as SubmissionFileError {
          invalid.add(index, error)
          return Task1ItemScore(
            id: id, stoi: nil, wer: nil, metric: nil, wordErrors: nil, referenceTranscript: "",
            estimateTranscript: "", stoiTooShort: false)
        }
        let computer = try pool.take()
        defer { pool.give(computer) }
        let score: Task1ItemScore
        do {
          score = try Task1Metric.score(
            id: id, clean: Array(clean.channel(0)), estimate: estimate, sampleRate: clean.sampleRate,
            transcriber: options.transcriber, emptyReference: options.emptyReference, stoi: computer)
        } catch let error as TranscriptionError {
          throw TranscriptionError(
            error.code, "item \(id) (\(cleanURL.path) and \(estimateURL.path)): \(error.message)")
        }
        counter.advance(label: id)
        return score
      }
    }
    let values = try results.values()
    try invalid.throwIfAny(submission: submission.path)
    return values
  }

  /// Reads one estimate file exactly as a submission's item is read (`SubmissionItems`): a
  /// float `.npy` array of shape `(N,)` or `(1, N)` with N equal to the clean speech's length,
  /// every value finite in float32.
  /// - Throws: `ScoringError.invalidFile` with the validator's words.
  public static func loadEstimate(_ url: URL, expectedLength: Int) throws -> [Float] {
    do {
      return try SubmissionItems.estimate(fileAt: url, expectedLength: expectedLength)
    } catch let error as SubmissionFileError {
      throw ScoringError(.invalidFile, error.description)
    }
  }
}

/// STOI computers reused across items, one per concurrent worker.
final class STOIPool: @unchecked Sendable {
  private let lock = NSLock()
  private var idle: [STOIComputer] = []

  func take() throws -> STOIComputer {
    if let computer = lock.withLock({ idle.popLast() }) { return computer }
    return try STOIComputer()
  }

  func give(_ computer: STOIComputer) { lock.withLock { idle.append(computer) } }
}
