public import Datasets
public import Foundation
public import L3DASCore
public import Metrics
public import Submission

/// `l3das leaderboard`: validates every submission against the test split, scores the valid
/// ones with the challenge metric and ranks them.
///
/// An invalid submission (or one whose scoring fails) stays on the board without a rank, with
/// its problems. Equal scores share a rank (1, 1, 3); ties are listed by name.
///
/// A run is one or more shards (`--shard K/N`): each shard validates every submission (cheap,
/// and the same on every machine) and scores its 1/N of the items; `merge` adds the shards up.
/// An unsharded run is a single shard merged, so both paths give the same board.
public enum Leaderboard {
  /// What to score and how.
  public struct Options: Sendable {
    /// The task.
    public var task: Task
    /// Task 2: the edition (frame count); `nil` infers it from the test audio, as `validate`.
    public var edition: Edition?
    /// Task 1: the recogniser and empty-reference policy (required for Task 1).
    public var task1: Task1Scoring.Options?
    /// Task 2: threshold, matching and frame count.
    public var task2: Task2Scoring.Options
    /// Task 2 validation: the largest plausible coordinate magnitude, in metres (`nil`: the
    /// edition's).
    public var coordinateLimit: Double?
    /// Task 1: rank by the value the official scripts print (their running mean counts
    /// skipped items) instead of the correct mean.
    public var officialRunningMean = false

    /// Creates options.
    public init(
      task: Task, edition: Edition? = nil, task1: Task1Scoring.Options? = nil,
      task2: Task2Scoring.Options = .init(), coordinateLimit: Double? = nil
    ) {
      self.task = task
      self.edition = edition
      self.task1 = task1
      self.task2 = task2
      self.coordinateLimit = coordinateLimit
    }
  }

  /// A submission to rank: a display name and its folder or `.zip`.
  public struct Submission: Sendable {
    /// The name on the board.
    public var name: String
    /// The folder or `.zip` archive.
    public var url: URL
    /// L3DAS23: the subtrack folder (`task2/1mic/`) of a nested submission that this entry is.
    public var subtrack: Subtrack?

    /// Creates a submission.
    public init(name: String, url: URL, subtrack: Subtrack? = nil) {
      self.name = name
      self.url = url
      self.subtrack = subtrack
    }

    /// The entries of `self` for `task`: itself for a flat submission; for an L3DAS23 nested
    /// one, one entry per subtrack of the task it holds, named `NAME [audioonly 1mic]` (the
    /// track from the archive's name, when it declares one).
    public func expanded(task: Task) -> [Submission] {
      let present = ((try? Subtrack.present(in: url)) ?? []).filter { $0.task == task }
      guard subtrack == nil, !present.isEmpty else { return [self] }
      let track = L3DAS23Submission.track(of: url).map { $0 + " " } ?? ""
      return present.map { Submission(name: "\(name) [\(track)\($0.microphones)mic]", url: url, subtrack: $0) }
    }

    /// Parses `NAME=PATH`, or `PATH` (named after its last component without `.zip`).
    ///
    /// An argument that is an existing path is a `PATH`. Otherwise the name ends at the first
    /// `=` after which an existing path follows (so names may hold `=` and `/`, e.g.
    /// `=HYPERLINK("http://x")=sub`), else at the first `=` of a name without `/`.
    public init(argument: String) {
      if !FileManager.default.fileExists(atPath: argument) {
        var index = argument.startIndex
        while let equals = argument[index...].firstIndex(of: "=") {
          let rest = String(argument[argument.index(after: equals)...])
          if equals != argument.startIndex, !rest.isEmpty, FileManager.default.fileExists(atPath: rest) {
            name = String(argument[..<equals])
            url = URL(fileURLWithPath: rest)
            return
          }
          index = argument.index(after: equals)
        }
      }
      if let equals = argument.firstIndex(of: "="), !argument[..<equals].contains("/"),
        equals != argument.startIndex
      {
        name = String(argument[..<equals])
        url = URL(fileURLWithPath: String(argument[argument.index(after: equals)...]))
      } else {
        url = URL(fileURLWithPath: argument)
        let last = url.lastPathComponent
        name = last.lowercased().hasSuffix(".zip") ? String(last.dropLast(4)) : last
      }
    }
  }

  /// One line of the board.
  public struct Entry: Sendable, Codable, Equatable {
    /// The submission's name.
    public var name: String
    /// Its folder or archive, as given.
    public var path: String
    /// 1-based rank; `nil` when it could not be scored.
    public var rank: Int?
    /// The headline: Task 1 (STOI + 1 − WER)/2, Task 2 location-sensitive F.
    public var score: Double?
    /// What the validator found (errors and warnings).
    public var problems: [SubmissionProblem]
    /// Why a submission that passed validation could not be scored.
    public var failure: String?
    /// Task 1: every item's values and the aggregates.
    public var task1: Task1Report?
    /// Task 2: totals, per class, per file.
    public var task2: DetectionReport?

    /// Whether it was scored.
    public var isRanked: Bool { rank != nil }
    /// The validation errors.
    public var errors: [SubmissionProblem] { problems.filter { $0.severity == .error } }
  }

  /// The board.
  public struct Result: Sendable, Codable, Equatable {
    /// 1 or 2.
    public var task: Int
    /// The test split, as given.
    public var truth: String
    /// Items in the test split.
    public var itemCount: Int
    /// Task 1: the recogniser's identifier.
    public var transcriber: String?
    /// Task 2: the scoring options.
    public var task2Options: Task2Scoring.Options?
    /// Task 1: what `score` ranks by: "mean" (the correct mean) or "official-running-mean".
    public var headline: String?
    /// Ranked entries first (by rank, then name), then the unranked ones by name.
    public var entries: [Entry]
  }

  /// Validates, scores and ranks `submissions` against the test split `truth`.
  ///
  /// - Throws: `ScoringError`/`SubmissionError` when the truth itself is unusable, or two
  ///   submissions share a name. Problems of a submission are in its entry, never thrown.
  public static func run(
    submissions: [Submission], truth: URL, options: Options,
    progress: any ProgressReporter = SilentProgress()
  ) throws -> Result {
    let part = try partial(
      submissions: submissions, truth: truth, options: options, shard: .all, progress: progress)
    return try merge([part], names: ["(this run)"])
  }

  /// Validates every submission and scores the items of `shard`.
  public static func partial(
    submissions: [Submission], truth: URL, options: Options, shard: Shard,
    progress: any ProgressReporter = SilentProgress()
  ) throws -> LeaderboardPartial {
    let names = submissions.map(\.name)
    if let duplicate = Dictionary(grouping: names, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
      throw ScoringError(.invalidFile, "two submissions are named '\(duplicate)': name them NAME=PATH")
    }
    if options.task == .speechEnhancement, options.task1 == nil {
      throw ScoringError(.invalidFile, "Task 1 needs a transcriber")
    }
    let truthCount =
      options.task == .speechEnhancement
      ? try Task1Scoring.references(in: truth).count : try Task2Scoring.truthIDs(in: truth).count
    var entries: [LeaderboardPartial.Entry] = []
    for (index, submission) in submissions.enumerated() {
      progress.report(completed: index, total: submissions.count, label: submission.name)
      entries.append(
        try entry(submission, truth: truth, options: options, shard: shard))
    }
    progress.report(completed: submissions.count, total: submissions.count, label: "done")
    return LeaderboardPartial(
      task: options.task.rawValue, shard: shard, truth: truth.path, truthItemCount: truthCount,
      transcriber: options.task1?.transcriber.identifier,
      emptyReference: options.task1?.emptyReference,
      task2Options: options.task == .soundEventLocalizationDetection ? options.task2 : nil,
      officialRunningMean: options.task == .speechEnhancement && options.officialRunningMean ? true : nil,
      entries: entries)
  }

  private static func entry(
    _ submission: Submission, truth: URL, options: Options, shard: Shard
  ) throws -> LeaderboardPartial.Entry {
    var entry = LeaderboardPartial.Entry(name: submission.name, path: submission.url.path, problems: [])
    let report: SubmissionReport
    do {
      report = try SubmissionValidator.validate(
        submission: submission.url, test: truth,
        options: {
          var checks = SubmissionValidator.Options(
            task: options.task, edition: options.edition, coordinateLimit: options.coordinateLimit)
          checks.subtrack = submission.subtrack
          return checks
        }())
    } catch let error as SubmissionError where error.code != .invalidTestFolder {
      entry.failure = error.message
      return entry
    }
    entry.problems = report.problems
    guard report.isValid else { return entry }
    // Folders and zips alike are read in place by the validator's own reader.
    let folder = submission.url
    do {
      if options.task == .speechEnhancement, var task1 = options.task1 {
        if let precomputed = task1.transcriber as? PrecomputedTranscripts {
          // Transcripts are per submission: never score one with another's.
          let own = PrecomputedTranscripts(folder: precomputed.folder, estimateFolder: submission.name)
          var isFolder: ObjCBool = false
          guard !submission.name.contains("/"),
            FileManager.default.fileExists(atPath: own.estimateURL.path, isDirectory: &isFolder),
            isFolder.boolValue
          else {
            entry.failure =
              "no precomputed transcripts for this submission: expected \(own.estimateURL.path)/<id>.txt (with --transcriber precomputed, each submission has its own folder named after it, beside reference/)"
            return entry
          }
          task1.transcriber = own
        }
        task1.subtrack = submission.subtrack
        entry.task1Items = try Task1Scoring.partial(
          submission: folder, truth: truth, options: task1, shard: shard)
      } else {
        var task2 = options.task2
        task2.subtrack = submission.subtrack
        entry.task2Files = try Task2Scoring.partial(
          submission: folder, truth: truth, options: task2, shard: shard)
      }
    } catch {
      entry.failure = "\(error)"
    }
    return entry
  }

  /// Adds up the shards of one leaderboard run and ranks the submissions.
  ///
  /// - Parameter names: where each partial was read from, for the messages.
  /// - Throws: `ShardError` for partials of different runs, missing or repeated shards, or a
  ///   submission whose items do not add up.
  public static func merge(_ partials: [LeaderboardPartial], names: [String]) throws -> Result {
    try Shard.checkComplete(partials.map(\.shard), names: names)
    let first = partials[0]
    for (partial, name) in zip(partials, names).dropFirst() {
      guard partial.task == first.task, partial.truth == first.truth,
        partial.truthItemCount == first.truthItemCount, partial.transcriber == first.transcriber,
        partial.emptyReference == first.emptyReference, partial.task2Options == first.task2Options,
        partial.officialRunningMean == first.officialRunningMean,
        partial.entries.map(\.name) == first.entries.map(\.name),
        partial.entries.map(\.path) == first.entries.map(\.path)
      else {
        throw ShardError(
          "\(name) is not from the same leaderboard run as \(names[0]) (another task, truth, settings or list of submissions)")
      }
    }
    var entries: [Entry] = []
    for (index, head) in first.entries.enumerated() {
      let parts = partials.map { $0.entries[index] }
      var entry = Entry(
        name: head.name, path: head.path, rank: nil, score: nil, problems: head.problems,
        failure: parts.compactMap(\.failure).first)
      if entry.failure == nil, entry.errors.isEmpty {
        if first.task == 1 {
          let items = parts.flatMap { $0.task1Items ?? [] }
          if Set(items.map(\.id)).count != items.count || items.count != first.truthItemCount {
            throw ShardError("\(head.name): the shards scored \(items.count) items, but the truth holds \(first.truthItemCount)")
          }
          let report = Task1Report(items: items)
          entry.task1 = report
          entry.score = first.officialRunningMean == true ? report.official.metric : report.metric
        } else if let options = first.task2Options {
          let files = parts.flatMap { $0.task2Files ?? [] }
          guard files.count == first.truthItemCount else {
            throw ShardError("\(head.name): the shards scored \(files.count) files, but the truth holds \(first.truthItemCount)")
          }
          let report = try Task2Scoring.merge(files, options: options)
          entry.task2 = report
          entry.score = report.total.fScore
        }
      }
      entries.append(entry)
    }
    return Result(
      task: first.task, truth: first.truth, itemCount: first.truthItemCount,
      transcriber: first.transcriber, task2Options: first.task2Options,
      headline: first.officialRunningMean == true ? "official-running-mean" : "mean", entries: ranked(entries))
  }

  /// Sorts by score (descending, then name) and gives equal scores equal ranks.
  static func ranked(_ entries: [Entry]) -> [Entry] {
    var scored = entries.filter { $0.score != nil }.sorted {
      ($0.score ?? 0, $1.name) > ($1.score ?? 0, $0.name)
    }
    for index in scored.indices {
      if index > 0, scored[index].score == scored[index - 1].score {
        scored[index].rank = scored[index - 1].rank
      } else {
        scored[index].rank = index + 1
      }
    }
    let unscored = entries.filter { $0.score == nil }.sorted { $0.name < $1.name }
    return scored + unscored
  }
}

/// The partial result of `l3das leaderboard --shard K/N`; see `Leaderboard.merge`.
public struct LeaderboardPartial: Sendable, Codable, Equatable {
  /// The `format` value of every partial leaderboard file.
  public static let formatName = "l3das-leaderboard-partial"

  /// One submission's part.
  public struct Entry: Sendable, Codable, Equatable {
    /// The name on the board.
    public var name: String
    /// The folder or archive.
    public var path: String
    /// The validator's problems (the same in every shard).
    public var problems: [SubmissionProblem]
    /// Why it could not be validated or scored.
    public var failure: String?
    /// Task 1: this shard's items.
    public var task1Items: [Task1ItemScore]?
    /// Task 2: this shard's files.
    public var task2Files: [DetectionFileRecord]?

    /// Creates an entry.
    public init(name: String, path: String, problems: [SubmissionProblem]) {
      self.name = name
      self.path = path
      self.problems = problems
    }
  }

  /// Always `formatName`.
  public var format = LeaderboardPartial.formatName
  /// The file format's version.
  public var version = 1
  /// 1 or 2.
  public var task: Int
  /// Which part of the run this is.
  public var shard: Shard
  /// The test split.
  public var truth: String
  /// Items in the whole test split.
  public var truthItemCount: Int
  /// Task 1: the recogniser's identifier.
  public var transcriber: String?
  /// Task 1: the empty-reference policy.
  public var emptyReference: EmptyReferencePolicy?
  /// Task 2: the scoring options.
  public var task2Options: Task2Scoring.Options?
  /// Task 1: `true` when ranking by the official running mean.
  public var officialRunningMean: Bool?
  /// One per submission, in the order given.
  public var entries: [Entry]

  /// Reads a partial leaderboard file.
  ///
  /// - Throws: `ShardError` naming the file when it is unreadable or not a partial leaderboard.
  public static func read(_ url: URL) throws -> LeaderboardPartial {
    let partial = try PartialHeader.decode(
      LeaderboardPartial.self, from: url, format: formatName, what: "partial leaderboard")
    try partial.checkValues(url)
    return partial
  }

  /// Refuses values no leaderboard run can produce (see `ScorePartial.checkValues`).
  func checkValues(_ url: URL) throws {
    let problem = PartialValueProblem(url)
    guard task == 1 || task == 2 else { throw problem("task \(task) (1 or 2 expected)") }
    guard (0...PartialValueProblem.itemLimit).contains(truthItemCount) else {
      throw problem("truthItemCount \(truthItemCount)")
    }
    guard entries.count <= 100_000 else { throw problem("\(entries.count) submissions") }
    try task2Options?.checkValues(problem)
    let negative = task2Options?.matching.allowsNegativeFalsePositives ?? false
    for entry in entries {
      guard (entry.task1Items?.count ?? 0) <= truthItemCount,
        (entry.task2Files?.count ?? 0) <= truthItemCount
      else { throw problem("submission \(entry.name): more items than the truth holds") }
      if let bad = entry.task1Items?.first(where: { !$0.isPlausible }) {
        throw problem("submission \(entry.name), item \(bad.id)")
      }
      if let bad = entry.task2Files?.first(where: { !$0.isPlausible(allowsNegativeFalsePositives: negative) }) {
        throw problem("submission \(entry.name), file \(bad.file)")
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

/// The `format` and `version` every partial result file starts with.
public struct PartialHeader: Sendable, Decodable {
  /// `l3das-score-partial` or `l3das-leaderboard-partial`.
  public var format: String?
  /// The format's version.
  public var version: Int?

  /// Reads the header of the partial result file at `url`.
  ///
  /// - Throws: `ShardError` when it is unreadable or not JSON.
  public static func read(_ url: URL) throws -> PartialHeader {
    try JSONDecoding.header(of: try contents(url), url)
  }

  /// Reads a partial result of `format` (version 1) from `url`.
  ///
  /// - Throws: `ShardError` naming the file when it is unreadable, of another format or
  ///   version, or malformed.
  static func decode<T: Decodable>(_ type: T.Type, from url: URL, format: String, what: String) throws -> T {
    let data = try contents(url)
    let header = try JSONDecoding.header(of: data, url)
    guard header.format == format else {
      throw ShardError("\(url.path): not a \(what) (format \(header.format ?? "missing"), expected \(format))")
    }
    guard header.version == 1 else {
      throw ShardError("\(url.path): \(what) version \(header.version.map(String.init) ?? "missing") is not supported (1 is)")
    }
    do { return try JSONDecoder().decode(T.self, from: data) } catch {
      throw ShardError("\(url.path): malformed \(what): \(error)")
    }
  }

  private static func contents(_ url: URL) throws -> Data {
    do { return try RegularFile.read(url, limit: 1 << 30) } catch let failure as RegularFile.Failure {
      throw ShardError(failure.description)
    }
  }

  private enum JSONDecoding {
    static func header(of data: Data, _ url: URL) throws -> PartialHeader {
      guard let header = try? JSONDecoder().decode(PartialHeader.self, from: data) else {
        throw ShardError("\(url.path): not JSON, so not a partial result")
      }
      return header
    }
  }
}
