public import Foundation
import L3DASCore
public import Metrics

/// The partial result of `l3das score --shard K/N`: the additive per-item values of one shard,
/// with the settings they were computed with. `l3das merge` checks that the partials come
/// from one run (same task, truth, settings and N; shards 1…N once each; no item twice) and
/// adds them up to the report one machine gives.
///
/// JSON: `{"format": "l3das-score-partial", "version": 1, "task": 1|2, "shard": {"index",
/// "count"}, "submission", "truth", "truthItemCount", "task1": {…} | "task2": {…}}`.
public struct ScorePartial: Sendable, Codable, Equatable {
  /// The `format` value of every partial score file.
  public static let formatName = "l3das-score-partial"

  /// Task 1 values: the transcriber and policy, and one score per item of the shard.
  public struct Task1Part: Sendable, Codable, Equatable {
    /// The recogniser's identifier; all shards must use the same one.
    public var transcriber: String
    /// The empty-reference policy.
    public var emptyReference: EmptyReferencePolicy
    /// The shard's items.
    public var items: [Task1ItemScore]

    /// Creates the Task 1 part.
    public init(transcriber: String, emptyReference: EmptyReferencePolicy, items: [Task1ItemScore]) {
      self.transcriber = transcriber
      self.emptyReference = emptyReference
      self.items = items
    }
  }

  /// Task 2 values: the options, and one additive record per file of the shard.
  public struct Task2Part: Sendable, Codable, Equatable {
    /// The scoring options; all shards must use the same.
    public var options: Task2Scoring.Options
    /// The shard's files.
    public var files: [DetectionFileRecord]

    /// Creates the Task 2 part.
    public init(options: Task2Scoring.Options, files: [DetectionFileRecord]) {
      self.options = options
      self.files = files
    }
  }

  /// Always `formatName`.
  public var format = ScorePartial.formatName
  /// The file format's version.
  public var version = 1
  /// 1 or 2.
  public var task: Int
  /// Which part of the run this is.
  public var shard: Shard
  /// The submission folder, as given.
  public var submission: String
  /// The truth folder, as given.
  public var truth: String
  /// How many items the whole truth holds (over all shards).
  public var truthItemCount: Int
  /// Task 1 values.
  public var task1: Task1Part?
  /// Task 2 values.
  public var task2: Task2Part?

  /// A Task 1 partial.
  public init(shard: Shard, submission: String, truth: String, truthItemCount: Int, task1: Task1Part) {
    self.task = 1
    self.shard = shard
    self.submission = submission
    self.truth = truth
    self.truthItemCount = truthItemCount
    self.task1 = task1
  }

  /// A Task 2 partial.
  public init(shard: Shard, submission: String, truth: String, truthItemCount: Int, task2: Task2Part) {
    self.task = 2
    self.shard = shard
    self.submission = submission
    self.truth = truth
    self.truthItemCount = truthItemCount
    self.task2 = task2
  }

  /// The merged result of a whole run.
  public enum Merged: Sendable {
    /// Task 1: the report and the transcriber's identifier.
    case task1(Task1Report, transcriber: String)
    /// Task 2: the report.
    case task2(DetectionReport)
  }

  /// Adds up the partials of one run.
  ///
  /// - Parameter names: where each partial was read from, for the messages.
  /// - Throws: `ShardError` for partials of different runs or settings, missing or repeated
  ///   shards, an item scored twice, or item counts that do not add up to the truth's.
  public static func merge(_ partials: [ScorePartial], names: [String]) throws -> Merged {
    try Shard.checkComplete(partials.map(\.shard), names: names)
    let first = partials[0]
    for (partial, name) in zip(partials, names).dropFirst() {
      var differences: [String] = []
      if partial.task != first.task { differences.append("task \(partial.task) vs \(first.task)") }
      if partial.truth != first.truth { differences.append("truth \(partial.truth) vs \(first.truth)") }
      if partial.submission != first.submission {
        differences.append("submission \(partial.submission) vs \(first.submission)")
      }
      if partial.truthItemCount != first.truthItemCount {
        differences.append("\(partial.truthItemCount) vs \(first.truthItemCount) truth items")
      }
      if partial.task1?.transcriber != first.task1?.transcriber {
        differences.append("transcriber \(partial.task1?.transcriber ?? "-") vs \(first.task1?.transcriber ?? "-")")
      }
      if partial.task1?.emptyReference != first.task1?.emptyReference {
        differences.append("empty-reference policy")
      }
      if partial.task2?.options != first.task2?.options { differences.append("Task 2 scoring options") }
      if !differences.isEmpty {
        throw ShardError(
          "\(name) is not from the same run as \(names[0]): \(differences.joined(separator: "; "))")
      }
    }
    let count = partials.reduce(0) { $0 + ($1.task1?.items.count ?? 0) + ($1.task2?.files.count ?? 0) }
    if let part = first.task1 {
      let items = partials.flatMap { $0.task1?.items ?? [] }
      let duplicates = Dictionary(grouping: items.map(\.id), by: { $0 }).filter { $0.value.count > 1 }.keys
      if let id = duplicates.sorted().first { throw ShardError("\(id) was scored by two shards") }
      guard count == first.truthItemCount else {
        throw ShardError("the shards scored \(count) items, but the truth holds \(first.truthItemCount)")
      }
      return .task1(Task1Report(items: items), transcriber: part.transcriber)
    }
    guard let part = first.task2 else { throw ShardError("\(names[0]): neither Task 1 nor Task 2 values") }
    let files = partials.flatMap { $0.task2?.files ?? [] }
    let duplicates = Dictionary(grouping: files.map(\.file), by: { $0 }).filter { $0.value.count > 1 }.keys
    if let file = duplicates.sorted().first { throw ShardError("\(file) was scored by two shards") }
    guard count == first.truthItemCount else {
      throw ShardError("the shards scored \(count) files, but the truth holds \(first.truthItemCount)")
    }
    return .task2(try Task2Scoring.merge(files, options: part.options))
  }

  /// Reads a partial score file.
  ///
  /// - Throws: `ShardError` naming the file when it is unreadable or not a partial score.
  public static func read(_ url: URL) throws -> ScorePartial {
    let partial = try PartialHeader.decode(ScorePartial.self, from: url, format: formatName, what: "partial score")
    try partial.checkValues(url)
    return partial
  }

  /// Refuses values no scoring run can produce: a partial file is untrusted input (copied
  /// between machines, editable), and `merge` must never crash on it or add nonsense.
  func checkValues(_ url: URL) throws {
    let problem = PartialValueProblem(url)
    guard task == 1 || task == 2 else { throw problem("task \(task) (1 or 2 expected)") }
    guard (task == 1) == (task1 != nil), (task == 2) == (task2 != nil) else {
      throw problem("task \(task) but values of the other task")
    }
    guard (0...PartialValueProblem.itemLimit).contains(truthItemCount) else {
      throw problem("truthItemCount \(truthItemCount)")
    }
    if let items = task1?.items {
      guard items.count <= truthItemCount else { throw problem("more items than the truth holds") }
      if let bad = items.first(where: { !$0.isPlausible }) { throw problem("item \(bad.id)") }
    }
    if let part = task2 {
      try part.options.checkValues(problem)
      guard part.files.count <= truthItemCount else { throw problem("more files than the truth holds") }
      let negative = part.options.matching.allowsNegativeFalsePositives
      if let bad = part.files.first(where: { !$0.isPlausible(allowsNegativeFalsePositives: negative) }) {
        throw problem("file \(bad.file)")
      }
    }
  }

  /// Writes the partial atomically as JSON.
  public func write(to url: URL) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    try AtomicFile.write(try encoder.encode(self), to: url)
  }
}

/// A value in a partial result file that no scoring run produces.
struct PartialValueProblem {
  /// The most items a partial may account for.
  static let itemLimit = 10_000_000
  let url: URL
  init(_ url: URL) { self.url = url }

  /// The error for `what`.
  func callAsFunction(_ what: String) -> ShardError {
    ShardError("\(url.path): impossible value (\(what)); this is not a partial result that l3das wrote, or it was edited. Re-run the shard")
  }
}

extension Task2Scoring.Options {
  /// Throws `problem` for options no `score` run accepts.
  func checkValues(_ problem: PartialValueProblem) throws {
    guard threshold.isFinite, threshold > 0, threshold <= 1_000 else {
      throw problem("threshold \(threshold)")
    }
    guard (1...36_000).contains(frameCount) else { throw problem("frameCount \(frameCount)") }
  }
}

extension LocationSensitiveDetection.Matching {
  /// Whether this count can give negative false positives (the L3DAS21 count can).
  var allowsNegativeFalsePositives: Bool { self != .official && self != .oneToOne }
}
