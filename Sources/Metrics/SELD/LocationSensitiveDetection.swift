public import Datasets
import Foundation
import L3DASCore

/// The L3DAS Task 2 metric: location-sensitive detection F score, accumulated over files.
///
/// For every 100 ms frame of a file, predicted rows are compared with reference rows. A pair
/// *can match* when the classes are equal and the Euclidean distance is **strictly below**
/// `threshold` (2 m for L3DAS21/22, 1.75 m for L3DAS23; FACTS §3.2). Per frame:
/// - no reference rows → every prediction is a false positive;
/// - no predictions → every reference row is a false negative;
/// - otherwise `matched` pairs are counted (below), `TP += matched`,
///   `FP += #predictions − matched`, `FN += #references − matched`.
///
/// `matching` decides `matched`:
/// - `.official`: the final L3DAS22 rule (commit 10c13ff, also L3DAS23):
///   `min(#distinct predictions, #distinct references)` among the pairs that can match. This is
///   what the challenge scored, but it is not a one-to-one matching and can overcount
///   (FACTS §3.2 defect 1: one prediction that is the only match of two references).
/// - `.oneToOne`: the size of a maximum one-to-one matching of the same pairs (augmenting
///   paths), i.e. the largest number of disjoint (prediction, reference) pairs. Never more than
///   the official count.
/// - `.l3das21`: the L3DAS21 function (l3das/L3DAS21 `metrics.py` at a6ac3ca), defect for
///   defect, so that the published L3DAS21 numbers can be reproduced: `matched` = the number of
///   references with at least one prediction of their class within the threshold (so
///   `FP = #predictions − matched` can be **negative**: two references near one prediction give
///   TP 2, FP −1), and a frame with rows on one side only is counted **twice** (FP += 2 ·
///   #predictions, or FN += 2 · #references). With a negative FP total, precision (and F) can
///   exceed 1, exactly as the official scripts print them.
///
/// Across files TP/FP/FN are summed, then precision, recall and F are computed once (micro
/// average) with the official ε placement (`DetectionScore`). Per-file scores equal what the
/// official `location_sensitive_detection` returns for each file.
///
/// Classes are compared as `SoundClass` values, so ids and names match each other (the
/// official function would need both files to use the same spelling).
///
/// ```swift
/// var metric = LocationSensitiveDetection(frameCount: Edition.l3das22.task2FrameCount)
/// for item in items {
///   let prediction = try Task2Rows.read(item.predictionURL, frameCount: 300)
///   let reference = try Task2Rows.read(item.referenceURL, frameCount: 300)
///   metric.update(prediction: prediction, reference: reference, file: item.name)
/// }
/// print(metric.report.total.fScore)
/// ```
///
/// - Complexity: O(rows + frames) per file plus, per frame with rows on both sides,
///   O(p · r) distance tests (`.oneToOne`: O(p · r · min(p, r))). No allocation per frame.
public struct LocationSensitiveDetection: Sendable {
  /// How matched pairs are counted in a frame.
  public enum Matching: String, Sendable, Codable, CaseIterable {
    /// The L3DAS22/23 final rule, `min(#distinct predictions, #distinct references)` among
    /// the pairs that can match. Reproduces the challenge numbers.
    case official
    /// A maximum-cardinality one-to-one matching of the pairs that can match.
    case oneToOne = "one-to-one"
    /// The L3DAS21 count, defect-compatible: references with any match are matched (FP can be
    /// negative) and one-sided frames are counted twice. Reproduces the L3DAS21 numbers.
    case l3das21
  }

  /// The distance threshold in metres; a pair matches only if its distance is `< threshold`.
  public let threshold: Double
  /// How pairs are counted.
  public let matching: Matching
  /// Frames per file (300 for L3DAS22/23, 600 for L3DAS21).
  public let frameCount: Int

  private var total = DetectionScore()
  private var classScores = [DetectionScore](
    repeating: DetectionScore(), count: FrameMatcher.classCount)
  private var fileRecords: [DetectionFileRecord] = []
  private var counter = FileCounter()
  private var dcaseStyle: DCASEStyleSELD?

  /// Creates an empty accumulator.
  ///
  /// - Parameters:
  ///   - threshold: metres (> 0); the official default is 2.0 (L3DAS21/22); L3DAS23 used 1.75.
  ///   - matching: `.official` (default) reproduces L3DAS22/23, `.l3das21` L3DAS21
  ///     (`Edition.officialMatching`); `.oneToOne` is the corrected count.
  ///   - frameCount: frames per file (≥ 1), `Edition.task2FrameCount` (300 or 600). Note the
  ///     official function's own default of 100 is wrong for every edition (FACTS §3.2).
  ///   - includeDCASEStyle: also accumulate `DCASEStyleSELD` (same threshold, 1-s segments)
  ///     and put it in `report.dcaseStyle`.
  ///   - dcaseVariant: the DCASE rules and averaging of that report (default DCASE 2021).
  public init(
    threshold: Double = 2.0, matching: Matching = .official, frameCount: Int,
    includeDCASEStyle: Bool = false, dcaseVariant: DCASEStyleSELD.Variant = .dcase2021
  ) {
    precondition(threshold > 0, "threshold must be positive, got \(threshold)")
    precondition(frameCount >= 1, "frameCount must be at least 1, got \(frameCount)")
    self.threshold = threshold
    self.matching = matching
    self.frameCount = frameCount
    if includeDCASEStyle {
      dcaseStyle = DCASEStyleSELD(
        threshold: threshold, frameCount: frameCount, variant: dcaseVariant)
    }
  }

  /// Scores one file and adds it to the totals.
  ///
  /// - Parameters:
  ///   - prediction: the submitted rows (any order).
  ///   - reference: the reference rows (any order).
  ///   - file: a name for the per-file breakdown, e.g. the CSV's file name.
  /// - Returns: this file's counts; `fScore` equals the F the official function returns.
  /// - Precondition: every row's frame is in `0..<frameCount`
  ///   (`Task2Rows.read(_:frameCount:)` throws instead of returning such rows).
  @discardableResult
  public mutating func update(prediction: [DetectionRow], reference: [DetectionRow], file: String)
    -> DetectionScore
  {
    let score = counter.count(
      prediction: prediction, reference: reference, frameCount: frameCount,
      threshold: threshold, matching: matching)
    let dcase = dcaseStyle?.fileTally(
      prediction: counter.predictionGroups, reference: counter.referenceGroups)
    append(score, classTallies: counter.matcher.classTallies, dcase: dcase, file: file)
    return score
  }

  /// Records one counted file and adds it to the totals.
  private mutating func append(
    _ score: DetectionScore, classTallies tallies: [Int], dcase: DCASEStyleSELDReport.Tally?,
    file: String
  ) {
    let perClass = (0..<FrameMatcher.classCount).map { c in
      DetectionScore(
        truePositives: tallies[3 * c], falsePositives: tallies[3 * c + 1],
        falseNegatives: tallies[3 * c + 2])
    }
    add(DetectionFileRecord(file: file, score: score, perClass: perClass, dcaseStyle: dcase))
  }

  /// Adds a file counted elsewhere, e.g. by another shard of a sharded run.
  ///
  /// Adding the `fileRecords` of every shard, in the order the unsharded run counts the files,
  /// gives a `report` equal to the unsharded one: the counts are integers, and the one
  /// floating-point sum (the DCASE-style localisation error) is formed per file and then added
  /// file by file in that order.
  ///
  /// - Precondition: `record.perClass` has one entry per class, and `record.dcaseStyle` is
  ///   present exactly when this accumulator includes the DCASE-style report.
  public mutating func add(_ record: DetectionFileRecord) {
    precondition(record.perClass.count == classScores.count, "a file record needs \(classScores.count) classes")
    precondition(
      (record.dcaseStyle != nil) == (dcaseStyle != nil),
      "a file record must carry DCASE-style counts exactly when the report includes them")
    total += record.score
    for c in classScores.indices { classScores[c] += record.perClass[c] }
    if let tally = record.dcaseStyle { dcaseStyle?.add(tally) }
    fileRecords.append(record)
  }

  /// Every file added so far, in order, with everything needed to re-add it elsewhere.
  public var files: [DetectionFileRecord] { fileRecords }

  /// Scores `count` files on all cores and adds them in index order.
  ///
  /// The report is the one `update(prediction:reference:file:)` gives when called for files
  /// `0..<count` in order: each worker reads, groups and counts whole files, reusing its own
  /// buffers from file to file, and the counts, which are integers, are added afterwards in
  /// order. The DCASE-style report, whose sums are floating point, is also accumulated
  /// afterwards in order, from the kept groups.
  ///
  /// - Parameters:
  ///   - count: the number of files.
  ///   - name: the name of file `i` in the per-file breakdown.
  ///   - read: fills the two buffers with the prediction and reference rows of file `i`;
  ///     called once per file, from several threads.
  /// - Throws: the error `read` threw for the lowest index; then nothing is added.
  package mutating func update(
    files count: Int, name: (Int) -> String,
    read: @Sendable (Int, inout Task2RowBuffer, inout Task2RowBuffer) throws -> Void
  ) throws {
    struct Counted: Sendable {
      var score: DetectionScore
      var classTallies: [Int]
      var groups: (prediction: FrameGroups, reference: FrameGroups)?
    }
    let results = IndexedResults<Counted>(count: count)
    let next = NextIndex()
    let workers = Swift.min(count, Swift.max(1, ProcessInfo.processInfo.activeProcessorCount))
    let (frameCount, threshold, matching) = (self.frameCount, self.threshold, self.matching)
    let keepGroups = dcaseStyle != nil
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
      var scratch = WorkerScratch.take()
      defer { WorkerScratch.giveBack(scratch) }
      while let index = next.take(below: count) {
        results.record(index) {
          try read(index, &scratch.prediction, &scratch.reference)
          let score = scratch.prediction.withRows { p in
            scratch.reference.withRows { r in
              scratch.counter.count(
                prediction: p, reference: r, frameCount: frameCount, threshold: threshold,
                matching: matching)
            }
          }
          let counter = scratch.counter
          return Counted(
            score: score, classTallies: counter.matcher.classTallies,
            groups: keepGroups ? (counter.predictionGroups, counter.referenceGroups) : nil)
        }
      }
    }
    for (index, counted) in try results.values().enumerated() {
      let dcase = counted.groups.flatMap { groups in
        dcaseStyle?.fileTally(prediction: groups.prediction, reference: groups.reference)
      }
      append(counted.score, classTallies: counted.classTallies, dcase: dcase, file: name(index))
    }
  }

  /// Everything measured so far.
  public var report: DetectionReport {
    DetectionReport(
      threshold: threshold, matching: matching, frameCount: frameCount, total: total,
      perClass: SoundClass.allCases.map { soundClass in
        DetectionReport.ClassScore(
          soundClass: soundClass, name: soundClass.officialName,
          score: classScores[soundClass.rawValue])
      },
      perFile: fileRecords.map { DetectionReport.FileScore(file: $0.file, score: $0.score) },
      dcaseStyle: dcaseStyle?.report)
  }

  /// The counts of a single file: what the official `location_sensitive_detection(pred, true,
  /// n_frames, spatial_threshold)` returns (TP, FP, FN and, via `fScore`, F).
  ///
  /// - Precondition: every row's frame is in `0..<frameCount`.
  public static func score(
    prediction: [DetectionRow], reference: [DetectionRow], frameCount: Int,
    threshold: Double = 2.0, matching: Matching = .official
  ) -> DetectionScore {
    var metric = LocationSensitiveDetection(
      threshold: threshold, matching: matching, frameCount: frameCount)
    return metric.update(prediction: prediction, reference: reference, file: "")
  }
}

extension Edition {
  /// The count the edition's leaderboard used: `.l3das21` for L3DAS21 (its `metrics.py` before
  /// the fix), `.official` for L3DAS22 (and L3DAS23). The default `--matching` of `score` and
  /// `leaderboard`.
  public var officialMatching: LocationSensitiveDetection.Matching {
    switch self {
    case .l3das21: .l3das21
    case .l3das22, .l3das23: .official
    }
  }
}

/// The grouping and counting scratch space of one file at a time.
struct FileCounter: Sendable {
  private(set) var predictionGroups = FrameGroups()
  private(set) var referenceGroups = FrameGroups()
  private(set) var matcher = FrameMatcher()

  /// Groups the rows of one file and counts it; `matcher.classTallies` then holds its
  /// per-class counts.
  mutating func count(
    prediction: [DetectionRow], reference: [DetectionRow], frameCount: Int, threshold: Double,
    matching: LocationSensitiveDetection.Matching
  ) -> DetectionScore {
    prediction.withUnsafeBufferPointer { p in
      reference.withUnsafeBufferPointer { r in
        count(
          prediction: p, reference: r, frameCount: frameCount, threshold: threshold,
          matching: matching)
      }
    }
  }

  /// Groups the rows of one file and counts it.
  mutating func count(
    prediction: UnsafeBufferPointer<DetectionRow>, reference: UnsafeBufferPointer<DetectionRow>,
    frameCount: Int, threshold: Double, matching: LocationSensitiveDetection.Matching
  ) -> DetectionScore {
    predictionGroups.fill(prediction, frameCount: frameCount, role: "prediction")
    referenceGroups.fill(reference, frameCount: frameCount, role: "reference")
    return matcher.count(
      prediction: predictionGroups, reference: referenceGroups, frameCount: frameCount,
      threshold: threshold, matching: matching)
  }
}

/// The buffers of one worker of `LocationSensitiveDetection.update(files:name:read:)`.
///
/// Idle ones are kept between calls (at most one per processor, none holding more than
/// 16 MB), so that scoring again does not allocate, and have the kernel fault in, the same
/// memory again.
private struct WorkerScratch: Sendable {
  var counter = FileCounter()
  var prediction = Task2RowBuffer()
  var reference = Task2RowBuffer()

  private static let lock = NSLock()
  nonisolated(unsafe) private static var idle: [WorkerScratch] = []

  static func take() -> WorkerScratch {
    lock.withLock { idle.popLast() } ?? WorkerScratch()
  }

  static func giveBack(_ scratch: WorkerScratch) {
    guard scratch.prediction.retainedBytes + scratch.reference.retainedBytes <= 16 << 20 else {
      return
    }
    let limit = ProcessInfo.processInfo.activeProcessorCount
    lock.withLock {
      if idle.count < limit { idle.append(scratch) }
    }
  }
}

