public import Datasets
public import Foundation
public import L3DASCore
public import Metrics
public import Submission

/// `l3das score --task 2`: scores a folder of headerless `<item>.csv` prediction files against
/// the ground truth with the location-sensitive detection metric.
public enum Task2Scoring {
  /// How to score.
  public struct Options: Sendable, Equatable, Codable {
    /// Match distance in metres (strictly below counts); 2.0 for L3DAS21/22.
    public var threshold: Double = 2.0
    /// `.official` (the leaderboard count) or `.oneToOne` (the correct count).
    public var matching: LocationSensitiveDetection.Matching = .official
    /// Label frames per file (300 for L3DAS22's 30 s scenes, 600 for L3DAS21's 60 s).
    public var frameCount: Int = Edition.l3das22.task2FrameCount
    /// Also compute the DCASE-style report.
    public var includeDCASEStyle = true
    /// The DCASE rules (2021 or 2022/2023) and averaging of that report.
    public var dcase: DCASEStyleSELD.Variant = .dcase2021
    /// The largest |x|, |y| or |z| a predicted row may have, in metres (as `validate`'s
    /// `--max-coordinate`): a file the validator refuses is not scored.
    public var coordinateLimit: Double = 5
    /// How rows give positions: `x,y,z` (L3DAS21/22) or `rho,theta,z` (L3DAS23, θ in degrees;
    /// both the submission's rows and a frame-row truth). Distances are Cartesian either way.
    public var coordinates: CoordinateSystem = .cartesian
    /// L3DAS23: score only this subtrack folder (`task2/1mic/`) of a nested submission.
    public var subtrack: Subtrack?

    /// Creates options.
    public init(
      threshold: Double = 2.0, matching: LocationSensitiveDetection.Matching = .official,
      frameCount: Int = Edition.l3das22.task2FrameCount, includeDCASEStyle: Bool = true,
      dcase: DCASEStyleSELD.Variant = .dcase2021
    ) {
      self.threshold = threshold
      self.matching = matching
      self.frameCount = frameCount
      self.includeDCASEStyle = includeDCASEStyle
      self.dcase = dcase
    }

    enum CodingKeys: String, CodingKey {
      case threshold, matching, frameCount, includeDCASEStyle, dcase, coordinateLimit, coordinates, subtrack
    }

    /// Decodes options; files written before `dcase` existed mean DCASE 2021.
    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      threshold = try c.decode(Double.self, forKey: .threshold)
      matching = try c.decode(LocationSensitiveDetection.Matching.self, forKey: .matching)
      frameCount = try c.decode(Int.self, forKey: .frameCount)
      includeDCASEStyle = try c.decode(Bool.self, forKey: .includeDCASEStyle)
      dcase = try c.decodeIfPresent(DCASEStyleSELD.Variant.self, forKey: .dcase) ?? .dcase2021
      coordinateLimit = try c.decodeIfPresent(Double.self, forKey: .coordinateLimit) ?? 5
      coordinates = try c.decodeIfPresent(CoordinateSystem.self, forKey: .coordinates) ?? .cartesian
      subtrack = try c.decodeIfPresent(Subtrack.self, forKey: .subtrack)
    }
  }

  /// Where the truth of one item comes from.
  enum TruthSource {
    /// A dataset `label_<item>.csv` event file (header; converted with the official quantisation).
    case events(URL)
    /// A headerless frame-row CSV in the submission format, by path.
    case rows(String)
  }

  /// The truth files of `truth`: a Task 2 split (its `labels/label_<item>.csv`, in any layout
  /// `SplitLocation` recognises), or a folder of `<item>.csv` frame rows.
  static func truthFiles(in truth: URL) throws -> [String: TruthSource] {
    if let split = try? SplitLocation(folder: truth), split.task != .soundEventLocalizationDetection {
      throw ScoringError(
        .notFound,
        "\(truth.path) is a Task \(split.task.rawValue) split; Task 2 scoring needs a Task 2 split (data/ and labels/label_*.csv) or a folder of <item>.csv frame rows")
    }
    if let roots = try? SplitLocation.dataRoots(in: truth) {
      var result: [String: TruthSource] = [:]
      for item in Task2Items(roots: roots) { result[item.id.description] = .events(item.labels) }
      if !result.isEmpty { return result }
    }
    let folder = truth.path
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    var result: [String: TruthSource] = [:]
    for name in names where name.hasSuffix(".csv") && !name.hasPrefix(".") {
      result[String(name.dropLast(4))] = .rows(filePath(in: folder, name))
    }
    guard !result.isEmpty else {
      throw ScoringError(
        .notFound,
        "\(truth.path): no ground truth found (expected a Task 2 split with data/ and labels/, or a folder of <item>.csv frame rows)")
    }
    return result
  }

  /// The item ids of the truth folder (see `score`), sorted.
  public static func truthIDs(in truth: URL) throws -> [String] {
    try truthFiles(in: truth).keys.sorted()
  }

  /// `folder.appendingPathComponent(name).path` for the path `folder` of a folder URL and a
  /// plain file name, by concatenation (building a URL costs microseconds, as much as reading
  /// a small file).
  package static func filePath(in folder: String, _ name: String) -> String {
    folder.hasSuffix("/") ? folder + name : folder + "/" + name
  }

  /// Scores every file; files are read, parsed and counted in parallel, and added in name order.
  ///
  /// - Throws: `ScoringError` listing every missing or extra file; `MetricsError` / `DatasetError`
  ///   naming the file and row of the first malformed CSV.
  public static func score(
    submission: URL, truth: URL, options: Options, progress: any ProgressReporter = SilentProgress()
  ) throws -> DetectionReport {
    try count(submission: submission, truth: truth, options: options, shard: .all, progress: progress)
      .report
  }

  /// Scores the files of one shard (the truth's `<item>.csv` names in sorted order, shard K
  /// taking positions ≡ K − 1 mod N) and returns their additive records; `merge` adds the
  /// records of all shards up to `score`'s report exactly. Missing files are reported for the
  /// shard's items only; files not in the truth, by every shard.
  public static func partial(
    submission: URL, truth: URL, options: Options, shard: Shard,
    progress: any ProgressReporter = SilentProgress()
  ) throws -> [DetectionFileRecord] {
    try count(submission: submission, truth: truth, options: options, shard: shard, progress: progress)
      .files
  }

  /// The report of the files of every shard: the records are added in file-name order, the
  /// order `score` counts them in, so the result equals `score`'s to the bit.
  ///
  /// - Throws: `ShardError` when a file appears twice.
  public static func merge(_ records: [DetectionFileRecord], options: Options) throws -> DetectionReport {
    var metric = emptyMetric(options)
    let sorted = records.sorted { $0.file < $1.file }
    for (a, b) in zip(sorted, sorted.dropFirst()) where a.file == b.file {
      throw ShardError("\(a.file) was scored by two shards")
    }
    for record in sorted {
      guard record.perClass.count == SoundClass.allCases.count,
        (record.dcaseStyle != nil) == options.includeDCASEStyle
      else {
        throw ShardError("\(record.file): its partial record does not match the scoring options")
      }
      metric.add(record)
    }
    return metric.report
  }

  private static func emptyMetric(_ options: Options) -> LocationSensitiveDetection {
    LocationSensitiveDetection(
      threshold: options.threshold, matching: options.matching, frameCount: options.frameCount,
      includeDCASEStyle: options.includeDCASEStyle, dcaseVariant: options.dcase)
  }

  private static func count(
    submission: URL, truth: URL, options: Options, shard: Shard, progress: any ProgressReporter
  ) throws -> LocationSensitiveDetection {
    let truths = try truthFiles(in: truth)
    // The submission (folder or zip) is read by the validator's own reader.
    let items = try submissionItems(submission, task: .soundEventLocalizationDetection, subtrack: options.subtrack)
    // Files in name order: the order of the per-file breakdown and of the additions.
    let ids = shard.select(truths.keys.sorted { "\($0).csv" < "\($1).csv" })
    let submitted = items.ids.union(items.refusedIDs)
    let missing = ids.filter { !submitted.contains($0) }.sorted()
    let extra = submitted.filter { truths[$0] == nil }.sorted()
    if let message = mismatchMessage(missing: missing, extra: extra, submission: submission.path, fileExtension: "csv") {
      throw ScoringError(.mismatchedItems, message)
    }
    let sceneSeconds = Double(options.frameCount) * Task2Rows.frameSeconds
    let counter = ConcurrentProgress(total: ids.count, reporter: progress)
    let frameCount = options.frameCount
    let invalid = InvalidFiles()
    var metric = emptyMetric(options)
    // Each worker reads, parses and counts whole files into its own reused buffers; the
    // counts are added in name order.
    try metric.update(files: ids.count, name: { "\(ids[$0]).csv" }) {
      index, prediction, reference in
      let id = ids[index]
      do {
        prediction.set(
          try items.rows(
            id, frameCount: frameCount, coordinateLimit: options.coordinateLimit, coordinates: options.coordinates))
      } catch let error as SubmissionFileError {
        invalid.add(index, error)
        prediction.set([])
      }
      switch truths[id] {
      case .events(let url):
        reference.set(
          Task2Rows.frames(
            from: try Task2Labels.read(url), frameCount: frameCount, sceneSeconds: sceneSeconds))
      case .rows(let path):
        try Task2Rows.read(path: path, frameCount: frameCount, into: &reference)
        if options.coordinates == .cylindrical { reference.convert(from: .cylindrical) }
      case nil:
        throw ScoringError(.notFound, "no truth for \(id)")
      }
      counter.advance(label: id)
    }
    try invalid.throwIfAny(submission: submission.path)
    return metric
  }
}
