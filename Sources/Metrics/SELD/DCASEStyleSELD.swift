/// DCASE 2021-style SELD metrics (error rate, F, localisation error and recall) on Task 2
/// rows, with Euclidean distances in metres instead of angles.
///
/// This is **not** the L3DAS challenge metric (that is `LocationSensitiveDetection`); it is the
/// joint detection/localisation metric of the DCASE 2021 SELD baseline
/// (`sharathadavanne/seld-dcase2021`, `metrics/SELD_evaluation_metrics.py` after commit
/// 0fae38e; Mesaros et al., WASPAA 2019; Politis et al., TASLP 2020), re-implemented rule by rule
/// with one substitution: the angular distance becomes the Euclidean distance between
/// positions, and the threshold is in metres. Definition, per file:
///
/// 1. Frames are grouped into segments of `segmentFrameCount` frames (10 × 100 ms = 1 s; the
///    last segment may be shorter).
/// 2. In each segment, for each class: `nRef` (`nPred`) = the largest number of reference
///    (predicted) rows of that class in any one frame of the segment. `Nref += nRef`.
/// 3. If both are present: in every frame where both have rows of the class, the reference and
///    predicted rows are associated with the Hungarian method on their distances (minimum
///    total distance); each association adds its distance to the reference "track" given by
///    the reference row's position within the frame's rows of that class (DCASE uses the list
///    index too). Each track that received distances counts `DE_TP += 1`,
///    `LE_total += mean distance`, and is a TP if that mean is **≤ threshold** (DCASE: ≤ 20°),
///    otherwise an FP. Then `nPred − nRef` extra predicted tracks are FPs (and `DE_FP`), or
///    `nRef − nPred` missing tracks are FNs (and `DE_FN`).
///    If no frame has both, DCASE 2021 adds **`nPred`** to FN and `DE_FN` (sic; reproduced).
/// 4. Reference only: `nRef` FNs (and `DE_FN`). Prediction only: `nPred` FPs (and `DE_FP`).
/// 5. Per segment, with the segment's FP and FN totals: `S += min(FP, FN)`,
///    `D += max(0, FN − FP)`, `I += max(0, FP − FN)`.
///
/// Results, with ε = 2.22e-16 placed as in DCASE: `ER = (S + D + I) / (Nref + ε)`,
/// `F = TP / (ε + TP + 0.5 (FP + FN))` (micro), `LE = LE_total / (DE_TP + ε)` in metres
/// (`nil` when `DE_TP = 0`; DCASE reports 180°), `LR = DE_TP / (ε + DE_TP + DE_FN)`.
/// No SELD score is formed, because `LE` has no natural normaliser in metres.
///
/// ```swift
/// var seld = DCASEStyleSELD(threshold: 1.0, frameCount: 300)
/// seld.update(prediction: predicted, reference: reference)
/// seld.report.errorRate
/// ```
public struct DCASEStyleSELD: Sendable {
  /// The largest mean distance, in metres, at which a track still counts as a TP (inclusive).
  public let threshold: Double
  /// Frames per file.
  public let frameCount: Int
  /// Frames per segment (10 = 1 s).
  public let segmentFrameCount: Int

  private var tally = DCASEStyleSELDReport.Tally()
  private var predictionGroups = FrameGroups()
  private var referenceGroups = FrameGroups()
  private var workspace = Workspace()

  /// Creates an empty accumulator.
  ///
  /// - Parameters:
  ///   - threshold: metres (> 0); mean track distances ≤ it are true positives.
  ///   - frameCount: frames per file (≥ 1): 300 for L3DAS22/23, 600 for L3DAS21.
  ///   - segmentFrameCount: frames per segment (≥ 1); 10 gives DCASE's 1-s segments.
  public init(threshold: Double = 2.0, frameCount: Int, segmentFrameCount: Int = 10) {
    precondition(threshold > 0, "threshold must be positive, got \(threshold)")
    precondition(frameCount >= 1, "frameCount must be at least 1, got \(frameCount)")
    precondition(segmentFrameCount >= 1, "segmentFrameCount must be at least 1")
    self.threshold = threshold
    self.frameCount = frameCount
    self.segmentFrameCount = segmentFrameCount
  }

  /// Adds one file.
  ///
  /// - Precondition: every row's frame is in `0..<frameCount`.
  /// - Complexity: O(rows + frames · 14), plus a small assignment problem per frame and class
  ///   present on both sides.
  public mutating func update(prediction: [DetectionRow], reference: [DetectionRow]) {
    predictionGroups.fill(prediction, frameCount: frameCount, role: "prediction")
    referenceGroups.fill(reference, frameCount: frameCount, role: "reference")
    update(prediction: predictionGroups, reference: referenceGroups)
  }

  /// Adds one file that is already grouped over `frameCount` frames.
  ///
  /// Each file is counted from zero (`fileTally`) and then added to the running totals, so
  /// the totals depend only on the files' counts and the order they are added in: files
  /// counted on different machines (`add(_:)`) give the same sums, to the bit.
  mutating func update(prediction: FrameGroups, reference: FrameGroups) {
    tally += fileTally(prediction: prediction, reference: reference)
  }

  /// The counts of one grouped file alone; the running totals are not changed.
  mutating func fileTally(prediction: FrameGroups, reference: FrameGroups) -> DCASEStyleSELDReport.Tally {
    var file = DCASEStyleSELDReport.Tally()
    workspace.accumulate(
      prediction: prediction, reference: reference, frameCount: frameCount,
      segmentFrameCount: segmentFrameCount, threshold: threshold, into: &file)
    return file
  }

  /// Adds the counts of a file counted elsewhere (a shard's partial result).
  public mutating func add(_ file: DCASEStyleSELDReport.Tally) { tally += file }

  /// The metrics over all files so far.
  public var report: DCASEStyleSELDReport {
    DCASEStyleSELDReport(threshold: threshold, segmentFrameCount: segmentFrameCount, tally: tally)
  }
}

/// The result of `DCASEStyleSELD`: the counts and the four DCASE figures (distances in metres).
public struct DCASEStyleSELDReport: Sendable, Equatable, Codable {
  /// The threshold in metres (inclusive).
  public var threshold: Double
  /// Frames per segment.
  public var segmentFrameCount: Int
  /// Location-sensitive true positives (tracks within the threshold).
  public var truePositives: Int
  /// False positives (tracks beyond the threshold, extra and unmatched predicted tracks).
  public var falsePositives: Int
  /// False negatives (missing reference tracks).
  public var falseNegatives: Int
  /// Substitutions, deletions and insertions summed over segments.
  public var substitutions: Int
  /// See `substitutions`.
  public var deletions: Int
  /// See `substitutions`.
  public var insertions: Int
  /// Reference tracks (`Nref`).
  public var referenceCount: Int
  /// Class-matched tracks whose distance was measured (`DE_TP`).
  public var localizationTruePositives: Int
  /// Predicted tracks with no reference of their class (`DE_FP`).
  public var localizationFalsePositives: Int
  /// Reference tracks with no prediction of their class (`DE_FN`).
  public var localizationFalseNegatives: Int
  /// Sum of the mean track distances in metres.
  public var totalLocalizationError: Double
  /// `(S + D + I) / (Nref + ε)`.
  public var errorRate: Double
  /// `TP / (ε + TP + 0.5 (FP + FN))`.
  public var fScore: Double
  /// Mean localisation error in metres over class-matched tracks; `nil` when there are none.
  public var localizationError: Double?
  /// `DE_TP / (ε + DE_TP + DE_FN)`.
  public var localizationRecall: Double

  /// The additive counts behind the report: one file's, or a sum over files.
  public struct Tally: Sendable, Equatable, Codable {
    var truePositives = 0
    var falsePositives = 0
    var falseNegatives = 0
    var substitutions = 0
    var deletions = 0
    var insertions = 0
    var referenceCount = 0
    var localizationTruePositives = 0
    var localizationFalsePositives = 0
    var localizationFalseNegatives = 0
    var totalLocalizationError = 0.0

    /// Adds `b`'s counts (and its localisation-error sum) to `a`.
    public static func += (a: inout Tally, b: Tally) {
      a.truePositives += b.truePositives
      a.falsePositives += b.falsePositives
      a.falseNegatives += b.falseNegatives
      a.substitutions += b.substitutions
      a.deletions += b.deletions
      a.insertions += b.insertions
      a.referenceCount += b.referenceCount
      a.localizationTruePositives += b.localizationTruePositives
      a.localizationFalsePositives += b.localizationFalsePositives
      a.localizationFalseNegatives += b.localizationFalseNegatives
      a.totalLocalizationError += b.totalLocalizationError
    }
  }

  init(threshold: Double, segmentFrameCount: Int, tally t: Tally) {
    let eps = DetectionScore.epsilon
    self.threshold = threshold
    self.segmentFrameCount = segmentFrameCount
    truePositives = t.truePositives
    falsePositives = t.falsePositives
    falseNegatives = t.falseNegatives
    substitutions = t.substitutions
    deletions = t.deletions
    insertions = t.insertions
    referenceCount = t.referenceCount
    localizationTruePositives = t.localizationTruePositives
    localizationFalsePositives = t.localizationFalsePositives
    localizationFalseNegatives = t.localizationFalseNegatives
    totalLocalizationError = t.totalLocalizationError
    errorRate =
      Double(t.substitutions + t.deletions + t.insertions) / (Double(t.referenceCount) + eps)
    fScore =
      Double(t.truePositives)
      / (eps + Double(t.truePositives) + 0.5 * Double(t.falsePositives + t.falseNegatives))
    localizationError =
      t.localizationTruePositives > 0
      ? t.totalLocalizationError / (Double(t.localizationTruePositives) + eps) : nil
    localizationRecall =
      Double(t.localizationTruePositives)
      / (eps + Double(t.localizationTruePositives) + Double(t.localizationFalseNegatives))
  }
}

/// Scratch buffers for `DCASEStyleSELD`, reused between segments and files.
private struct Workspace: Sendable {
  private static let classCount = FrameMatcher.classCount
  /// Rows per (frame in segment, class), predictions and references.
  private var predictionCounts: [Int] = []
  private var referenceCounts: [Int] = []
  private var trackDistance: [Double] = []
  private var trackFrames: [Int] = []
  private var predictionRows: [Int] = []
  private var referenceRows: [Int] = []
  private var cost: [Double] = []
  private var assignment = MinimumCostAssignment()

  mutating func accumulate(
    prediction: FrameGroups, reference: FrameGroups, frameCount: Int, segmentFrameCount: Int,
    threshold: Double, into tally: inout DCASEStyleSELDReport.Tally
  ) {
    let classCount = Self.classCount
    let cells = segmentFrameCount * classCount
    if predictionCounts.count < cells {
      predictionCounts = [Int](repeating: 0, count: cells)
      referenceCounts = [Int](repeating: 0, count: cells)
    }
    var segmentStart = 0
    while segmentStart < frameCount {
      let segmentEnd = min(segmentStart + segmentFrameCount, frameCount)
      for cell in 0..<cells {
        predictionCounts[cell] = 0
        referenceCounts[cell] = 0
      }
      for frame in segmentStart..<segmentEnd {
        let base = (frame - segmentStart) * classCount
        for k in prediction.starts[frame]..<prediction.starts[frame + 1] {
          predictionCounts[base + prediction.entries[k].classID] += 1
        }
        for k in reference.starts[frame]..<reference.starts[frame + 1] {
          referenceCounts[base + reference.entries[k].classID] += 1
        }
      }
      var segmentFalsePositives = 0
      var segmentFalseNegatives = 0
      for classID in 0..<classCount {
        var referenceTracks = 0
        var predictionTracks = 0
        for offset in 0..<(segmentEnd - segmentStart) {
          referenceTracks = max(referenceTracks, referenceCounts[offset * classCount + classID])
          predictionTracks = max(predictionTracks, predictionCounts[offset * classCount + classID])
        }
        tally.referenceCount += referenceTracks
        if referenceTracks > 0 && predictionTracks > 0 {
          let matchedTracks = associate(
            classID: classID, frames: segmentStart..<segmentEnd, tracks: referenceTracks,
            prediction: prediction, reference: reference)
          if matchedTracks == 0 {
            // DCASE 2021 adds the number of *predicted* tracks to FN here.
            tally.falseNegatives += predictionTracks
            tally.localizationFalseNegatives += predictionTracks
            segmentFalseNegatives += predictionTracks
            continue
          }
          for track in 0..<referenceTracks where trackFrames[track] > 0 {
            let mean = trackDistance[track] / Double(trackFrames[track])
            tally.totalLocalizationError += mean
            tally.localizationTruePositives += 1
            if mean <= threshold {
              tally.truePositives += 1
            } else {
              tally.falsePositives += 1
              segmentFalsePositives += 1
            }
          }
          if predictionTracks > referenceTracks {
            let extra = predictionTracks - referenceTracks
            tally.falsePositives += extra
            tally.localizationFalsePositives += extra
            segmentFalsePositives += extra
          } else if predictionTracks < referenceTracks {
            let missing = referenceTracks - predictionTracks
            tally.falseNegatives += missing
            tally.localizationFalseNegatives += missing
            segmentFalseNegatives += missing
          }
        } else if referenceTracks > 0 {
          tally.falseNegatives += referenceTracks
          tally.localizationFalseNegatives += referenceTracks
          segmentFalseNegatives += referenceTracks
        } else if predictionTracks > 0 {
          tally.falsePositives += predictionTracks
          tally.localizationFalsePositives += predictionTracks
          segmentFalsePositives += predictionTracks
        }
      }
      tally.substitutions += min(segmentFalsePositives, segmentFalseNegatives)
      tally.deletions += max(0, segmentFalseNegatives - segmentFalsePositives)
      tally.insertions += max(0, segmentFalsePositives - segmentFalseNegatives)
      segmentStart = segmentEnd
    }
  }

  /// Fills `trackDistance`/`trackFrames` for one class of one segment; returns how many
  /// reference tracks received at least one associated distance.
  private mutating func associate(
    classID: Int, frames: Range<Int>, tracks: Int, prediction: FrameGroups, reference: FrameGroups
  ) -> Int {
    trackDistance.removeAll(keepingCapacity: true)
    trackDistance.append(contentsOf: repeatElement(0, count: tracks))
    trackFrames.removeAll(keepingCapacity: true)
    trackFrames.append(contentsOf: repeatElement(0, count: tracks))
    for frame in frames {
      referenceRows.removeAll(keepingCapacity: true)
      predictionRows.removeAll(keepingCapacity: true)
      for k in reference.starts[frame]..<reference.starts[frame + 1]
      where reference.entries[k].classID == classID {
        referenceRows.append(k)
      }
      guard !referenceRows.isEmpty else { continue }
      for k in prediction.starts[frame]..<prediction.starts[frame + 1]
      where prediction.entries[k].classID == classID {
        predictionRows.append(k)
      }
      guard !predictionRows.isEmpty else { continue }
      cost.removeAll(keepingCapacity: true)
      for r in referenceRows {
        for p in predictionRows {
          cost.append(reference.entries[r].distance(to: prediction.entries[p]))
        }
      }
      cost.withUnsafeBufferPointer { cost in
        assignment.solve(
          cost: cost, rowCount: referenceRows.count, columnCount: predictionRows.count)
      }
      for track in 0..<referenceRows.count {
        let column = assignment.columnOfRow[track]
        guard column >= 0 else { continue }
        trackDistance[track] += cost[track * predictionRows.count + column]
        trackFrames[track] += 1
      }
    }
    var matched = 0
    for track in 0..<tracks where trackFrames[track] > 0 { matched += 1 }
    return matched
  }
}
