/// DCASE-style SELD metrics (error rate, F, localisation error and recall) on Task 2 rows, with
/// Euclidean distances in metres instead of angles, following the DCASE 2021 or the DCASE
/// 2022/2023 SELD baseline's metric code.
///
/// This is **not** the L3DAS challenge metric (that is `LocationSensitiveDetection`); it is the
/// joint detection/localisation metric of the DCASE SELD baselines (`SELDMetrics` in
/// `sharathadavanne/seld-dcase2021` `metrics/SELD_evaluation_metrics.py` after commit 0fae38e,
/// and `seld-dcase2022` `SELD_evaluation_metrics.py` after b64091d, byte-identical in
/// seld-dcase2023; Mesaros et al., WASPAA 2019; Politis et al., TASLP 2020), re-implemented rule
/// by rule with one substitution: the angular distance becomes the Euclidean distance between
/// positions, and the threshold is in metres. Definition, per file:
///
/// 1. Frames are grouped into segments of `segmentFrameCount` frames (10 × 100 ms = 1 s). DCASE
///    2021 segments the whole file (`frameCount` frames; the last segment may be shorter).
///    DCASE 2022/2023 take the file's length from its reference: with `M` the largest frame
///    index holding a reference row, the segments are 0 ..< ⌈M / 10⌉ (so a reference whose last
///    row is in frame 290 loses that frame, and predictions after the last segment are
///    ignored); a file without reference rows has no segment (DCASE raises an error there).
/// 2. In each segment, for each class: `nRef` (`nPred`) = the largest number of reference
///    (predicted) rows of that class in any one frame of the segment. `Nref += nRef`.
/// 3. If both are present: in every frame where both have rows of the class, the reference and
///    predicted rows are associated by minimum total distance, with SciPy's choice among equal
///    minima (`MinimumCostAssignment`); each association adds its distance to the reference
///    "track" given by the reference row's position within the frame's rows of that class
///    (DCASE uses the list index too). Each track that received distances counts `DE_TP += 1`,
///    `LE_total += mean distance`, and is a TP if that mean is **≤ threshold** (DCASE: ≤ 20°),
///    otherwise a *spatial* FP. Then `nPred − nRef` extra predicted tracks are FPs (and
///    `DE_FP`), or `nRef − nPred` missing tracks are FNs (and `DE_FN`).
///    If no frame has both, DCASE adds **`nPred`** to FN and `DE_FN` (sic; reproduced).
/// 4. Reference only: `nRef` FNs (and `DE_FN`). Prediction only: `nPred` FPs (and `DE_FP`).
/// 5. Per segment, with the segment's FP (spatial ones included) and FN totals:
///    `S += min(FP, FN)`, `D += max(0, FN − FP)`, `I += max(0, FP − FN)`.
///
/// Results, with ε = 2.22e-16 placed as in DCASE; `ER = (S + D + I) / (Nref + ε)` always.
/// - DCASE 2021 (micro only): `F = TP / (ε + TP + 0.5 (FP + FN))` with spatial FPs in FP,
///   `LE = LE_total / (DE_TP + ε)` in metres, `LR = DE_TP / (ε + DE_TP + DE_FN)`.
/// - DCASE 2022/2023: spatial FPs count **fully**, `F = TP / (ε + TP + FP_spatial + 0.5 (FP + FN))`
///   (FP without the spatial ones). `.macro` (their default): F, LE and LR per class, then the
///   plain mean over all 14 classes (a class absent from both sides has F = 0 and LR = 0, as
///   in DCASE); `.micro`: the same formulas on the counts summed over classes.
/// - Where DCASE writes LE = 180 (its "no class-matched track" value, in degrees), this report
///   gives no LE (`nil`): for a class without `DE_TP`, and in the macro mean when any class has
///   none. No SELD score is formed, because `LE` has no natural normaliser in metres.
///
/// The counts equal DCASE's exactly, and ER, F, LE and LR agree within 1e-12 (the distance sums
/// are formed per file and then added), on `Tests/MetricsTests/Fixtures/seld-dcase.json`,
/// computed by the DCASE code itself with its distance function swapped for this one.
///
/// ```swift
/// var seld = DCASEStyleSELD(threshold: 1.0, frameCount: 300, variant: .dcase2022)
/// seld.update(prediction: predicted, reference: reference)
/// seld.report.errorRate
/// ```
public struct DCASEStyleSELD: Sendable {
  /// Which DCASE baseline's metric code the report follows.
  public enum Rules: String, Sendable, Codable, CaseIterable {
    /// seld-dcase2021: micro F with spatial FPs at half weight, the whole file segmented.
    case dcase2021 = "2021"
    /// seld-dcase2022 (= 2023): spatial FPs at full weight, class-wise averaging, the file's
    /// length taken from its reference.
    case dcase2022 = "2022"
  }

  /// How DCASE 2022/2023 combine the classes (their `average` parameter).
  public enum Averaging: String, Sendable, Codable, CaseIterable {
    /// The figures of the counts summed over classes.
    case micro
    /// The plain mean of the per-class figures over all classes (DCASE 2022/2023's default).
    case macro
  }

  /// Rules and averaging together.
  public struct Variant: Sendable, Codable, Hashable {
    /// The metric code followed.
    public var rules: Rules
    /// The averaging; always `.micro` for DCASE 2021.
    public var averaging: Averaging

    /// A variant; the averaging defaults to the rules' own (2021: micro, 2022: macro).
    ///
    /// - Precondition: DCASE 2021 only has the micro average.
    public init(rules: Rules, averaging: Averaging? = nil) {
      let averaging = averaging ?? (rules == .dcase2021 ? .micro : .macro)
      precondition(
        rules == .dcase2022 || averaging == .micro, "DCASE 2021 has only the micro average")
      self.rules = rules
      self.averaging = averaging
    }

    /// DCASE 2021 (micro).
    public static let dcase2021 = Variant(rules: .dcase2021)
    /// DCASE 2022/2023 with their default macro average.
    public static let dcase2022 = Variant(rules: .dcase2022)
  }

  /// The largest mean distance, in metres, at which a track still counts as a TP (inclusive).
  public let threshold: Double
  /// Frames per file.
  public let frameCount: Int
  /// Frames per segment (10 = 1 s).
  public let segmentFrameCount: Int
  /// The metric code followed and the averaging.
  public let variant: Variant

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
  ///   - variant: `.dcase2021` (default) or `.dcase2022` (macro; `Variant(rules: .dcase2022,
  ///     averaging: .micro)` for micro).
  public init(
    threshold: Double = 2.0, frameCount: Int, segmentFrameCount: Int = 10,
    variant: Variant = .dcase2021
  ) {
    precondition(threshold > 0, "threshold must be positive, got \(threshold)")
    precondition(frameCount >= 1, "frameCount must be at least 1, got \(frameCount)")
    precondition(segmentFrameCount >= 1, "segmentFrameCount must be at least 1")
    self.threshold = threshold
    self.frameCount = frameCount
    self.segmentFrameCount = segmentFrameCount
    self.variant = variant
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
    let segmentCount: Int
    switch variant.rules {
    case .dcase2021:
      segmentCount = (frameCount + segmentFrameCount - 1) / segmentFrameCount
    case .dcase2022:
      // seld-dcase2022/2023 cls_compute_seld_results.py: nb_ref_frames = max(gt_dict.keys()),
      // then segment_labels(…, nb_ref_frames) makes ceil(nb_ref_frames / 10) blocks.
      let last = reference.lastOccupiedFrame ?? 0
      segmentCount = (last + segmentFrameCount - 1) / segmentFrameCount
    }
    var file = DCASEStyleSELDReport.Tally()
    workspace.accumulate(
      prediction: prediction, reference: reference, frameCount: frameCount,
      segmentFrameCount: segmentFrameCount, segmentCount: segmentCount, threshold: threshold,
      into: &file)
    return file
  }

  /// Adds the counts of a file counted elsewhere (a shard's partial result).
  public mutating func add(_ file: DCASEStyleSELDReport.Tally) { tally += file }

  /// The metrics over all files so far.
  public var report: DCASEStyleSELDReport {
    DCASEStyleSELDReport(
      threshold: threshold, segmentFrameCount: segmentFrameCount, variant: variant, tally: tally)
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
    segmentCount: Int, threshold: Double, into tally: inout DCASEStyleSELDReport.Tally
  ) {
    let classCount = Self.classCount
    let cells = segmentFrameCount * classCount
    if predictionCounts.count < cells {
      predictionCounts = [Int](repeating: 0, count: cells)
      referenceCounts = [Int](repeating: 0, count: cells)
    }
    for segment in 0..<segmentCount {
      let segmentStart = segment * segmentFrameCount
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
        var counts = tally.classes[classID]
        defer { tally.classes[classID] = counts }  // also on `continue`
        counts.referenceCount += referenceTracks
        if referenceTracks > 0 && predictionTracks > 0 {
          let matchedTracks = associate(
            classID: classID, frames: segmentStart..<segmentEnd, tracks: referenceTracks,
            prediction: prediction, reference: reference)
          if matchedTracks == 0 {
            // DCASE adds the number of *predicted* tracks to FN here.
            counts.falseNegatives += predictionTracks
            counts.localizationFalseNegatives += predictionTracks
            segmentFalseNegatives += predictionTracks
            continue
          }
          for track in 0..<referenceTracks where trackFrames[track] > 0 {
            let mean = trackDistance[track] / Double(trackFrames[track])
            tally.totalLocalizationError += mean
            counts.totalLocalizationError += mean
            counts.localizationTruePositives += 1
            if mean <= threshold {
              counts.truePositives += 1
            } else {
              counts.spatialFalsePositives += 1
              segmentFalsePositives += 1
            }
          }
          if predictionTracks > referenceTracks {
            let extra = predictionTracks - referenceTracks
            counts.falsePositives += extra
            counts.localizationFalsePositives += extra
            segmentFalsePositives += extra
          } else if predictionTracks < referenceTracks {
            let missing = referenceTracks - predictionTracks
            counts.falseNegatives += missing
            counts.localizationFalseNegatives += missing
            segmentFalseNegatives += missing
          }
        } else if referenceTracks > 0 {
          counts.falseNegatives += referenceTracks
          counts.localizationFalseNegatives += referenceTracks
          segmentFalseNegatives += referenceTracks
        } else if predictionTracks > 0 {
          counts.falsePositives += predictionTracks
          counts.localizationFalsePositives += predictionTracks
          segmentFalsePositives += predictionTracks
        }
      }
      tally.substitutions += min(segmentFalsePositives, segmentFalseNegatives)
      tally.deletions += max(0, segmentFalseNegatives - segmentFalsePositives)
      tally.insertions += max(0, segmentFalsePositives - segmentFalseNegatives)
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
