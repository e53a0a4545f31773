import Datasets

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
  private var fileScores: [DetectionReport.FileScore] = []
  private var predictionGroups = FrameGroups()
  private var referenceGroups = FrameGroups()
  private var matcher = FrameMatcher()
  private var dcaseStyle: DCASEStyleSELD?

  /// Creates an empty accumulator.
  ///
  /// - Parameters:
  ///   - threshold: metres (> 0); the official default is 2.0 (L3DAS21/22); L3DAS23 used 1.75.
  ///   - matching: `.official` (default) reproduces the challenge; `.oneToOne` is the
  ///     corrected count.
  ///   - frameCount: frames per file (≥ 1), `Edition.task2FrameCount` (300 or 600). Note the
  ///     official function's own default of 100 is wrong for every edition (FACTS §3.2).
  ///   - includeDCASEStyle: also accumulate `DCASEStyleSELD` (same threshold, 1-s segments)
  ///     and put it in `report.dcaseStyle`.
  public init(
    threshold: Double = 2.0, matching: Matching = .official, frameCount: Int,
    includeDCASEStyle: Bool = false
  ) {
    precondition(threshold > 0, "threshold must be positive, got \(threshold)")
    precondition(frameCount >= 1, "frameCount must be at least 1, got \(frameCount)")
    self.threshold = threshold
    self.matching = matching
    self.frameCount = frameCount
    if includeDCASEStyle {
      dcaseStyle = DCASEStyleSELD(threshold: threshold, frameCount: frameCount)
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
    predictionGroups.fill(prediction, frameCount: frameCount, role: "prediction")
    referenceGroups.fill(reference, frameCount: frameCount, role: "reference")
    let score = matcher.count(
      prediction: predictionGroups, reference: referenceGroups, frameCount: frameCount,
      threshold: threshold, matching: matching)
    total += score
    let tallies = matcher.classTallies
    for c in classScores.indices {
      classScores[c] += DetectionScore(
        truePositives: tallies[3 * c], falsePositives: tallies[3 * c + 1],
        falseNegatives: tallies[3 * c + 2])
    }
    fileScores.append(DetectionReport.FileScore(file: file, score: score))
    dcaseStyle?.update(prediction: predictionGroups, reference: referenceGroups)
    return score
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
      perFile: fileScores, dcaseStyle: dcaseStyle?.report)
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
