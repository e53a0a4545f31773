public import Datasets
import Foundation

/// The result of `DCASEStyleSELD`: the counts and the four DCASE figures (distances in metres),
/// in total and per class.
///
/// `falsePositives` counts every false positive, spatial ones (class-matched tracks beyond the
/// threshold) included; `spatialFalsePositives` says how many of them are spatial, which DCASE
/// 2022/2023 weigh fully in F. `errorRate`, `fScore`, `localizationError` and
/// `localizationRecall` are the figures of `variant` (see `DCASEStyleSELD`).
public struct DCASEStyleSELDReport: Sendable, Equatable, Codable {
  /// The counts and figures of one class.
  public struct ClassScore: Sendable, Equatable, Codable {
    /// The class.
    public var soundClass: SoundClass
    /// Its official name.
    public var name: String
    /// Tracks within the threshold.
    public var truePositives: Int
    /// False positives, spatial ones included.
    public var falsePositives: Int
    /// Class-matched tracks beyond the threshold (part of `falsePositives`).
    public var spatialFalsePositives: Int
    /// Missing reference tracks.
    public var falseNegatives: Int
    /// Reference tracks.
    public var referenceCount: Int
    /// Class-matched tracks whose distance was measured (`DE_TP`).
    public var localizationTruePositives: Int
    /// Reference tracks with no prediction of their class (`DE_FN`).
    public var localizationFalseNegatives: Int
    /// The class's F under the variant's rules.
    public var fScore: Double
    /// Mean localisation error in metres; nil without class-matched tracks (DCASE: 180).
    public var localizationError: Double?
    /// `DE_TP / (ε + DE_TP + DE_FN)`.
    public var localizationRecall: Double
  }

  /// The threshold in metres (inclusive).
  public var threshold: Double
  /// Frames per segment.
  public var segmentFrameCount: Int
  /// The DCASE metric code followed ("2021" or "2022").
  public var rules: DCASEStyleSELD.Rules
  /// How the classes are combined ("micro" or "macro").
  public var averaging: DCASEStyleSELD.Averaging
  /// Location-sensitive true positives (tracks within the threshold).
  public var truePositives: Int
  /// False positives: tracks beyond the threshold, extra and unmatched predicted tracks.
  public var falsePositives: Int
  /// The false positives that are class-matched tracks beyond the threshold.
  public var spatialFalsePositives: Int
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
  /// DCASE 2021: `TP / (ε + TP + 0.5 (FP + FN))`; 2022: `TP / (ε + TP + FP_spatial +
  /// 0.5 (FP_other + FN))`, per class and averaged when macro.
  public var fScore: Double
  /// Mean localisation error in metres (macro: mean of the classes'); nil when there is no
  /// class-matched track (macro: in some class), where DCASE reports 180.
  public var localizationError: Double?
  /// `DE_TP / (ε + DE_TP + DE_FN)` (macro: mean of the classes').
  public var localizationRecall: Double
  /// One entry per class, in id order.
  public var perClass: [ClassScore]

  /// The additive counts behind the report: one file's, or a sum over files.
  public struct Tally: Sendable, Equatable, Codable {
    var substitutions = 0
    var deletions = 0
    var insertions = 0
    /// The mean track distances summed in DCASE 2021's order (segments, classes, tracks).
    var totalLocalizationError = 0.0
    var classes = [ClassTally](repeating: ClassTally(), count: FrameMatcher.classCount)

    /// Adds `b`'s counts (and its localisation-error sums) to `a`.
    public static func += (a: inout Tally, b: Tally) {
      a.substitutions += b.substitutions
      a.deletions += b.deletions
      a.insertions += b.insertions
      a.totalLocalizationError += b.totalLocalizationError
      for c in a.classes.indices { a.classes[c] += b.classes[c] }
    }
  }

  /// The counts of one class (DCASE 2022's per-class accumulators).
  struct ClassTally: Sendable, Equatable, Codable {
    var truePositives = 0
    /// Extra and unmatched predicted tracks (DCASE 2022's `FP`).
    var falsePositives = 0
    /// Class-matched tracks beyond the threshold (DCASE 2022's `FP_spatial`).
    var spatialFalsePositives = 0
    var falseNegatives = 0
    var referenceCount = 0
    var localizationTruePositives = 0
    var localizationFalsePositives = 0
    var localizationFalseNegatives = 0
    var totalLocalizationError = 0.0

    static func += (a: inout ClassTally, b: ClassTally) {
      a.truePositives += b.truePositives
      a.falsePositives += b.falsePositives
      a.spatialFalsePositives += b.spatialFalsePositives
      a.falseNegatives += b.falseNegatives
      a.referenceCount += b.referenceCount
      a.localizationTruePositives += b.localizationTruePositives
      a.localizationFalsePositives += b.localizationFalsePositives
      a.localizationFalseNegatives += b.localizationFalseNegatives
      a.totalLocalizationError += b.totalLocalizationError
    }

    /// F, LE (nil without `DE_TP`) and LR of these counts under `rules`, with DCASE's ε
    /// placement.
    func figures(_ rules: DCASEStyleSELD.Rules) -> (f: Double, le: Double?, lr: Double) {
      let eps = DetectionScore.epsilon
      let tp = Double(truePositives)
      let f: Double
      switch rules {
      case .dcase2021:
        let fp = Double(falsePositives + spatialFalsePositives)
        f = tp / (eps + tp + 0.5 * (fp + Double(falseNegatives)))
      case .dcase2022:
        f =
          tp
          / (eps + tp + Double(spatialFalsePositives)
            + 0.5 * (Double(falsePositives) + Double(falseNegatives)))
      }
      let deTP = Double(localizationTruePositives)
      let le = localizationTruePositives > 0 ? totalLocalizationError / (deTP + eps) : nil
      let lr = deTP / (eps + deTP + Double(localizationFalseNegatives))
      return (f, le, lr)
    }
  }

  init(threshold: Double, segmentFrameCount: Int, variant: DCASEStyleSELD.Variant, tally t: Tally) {
    let eps = DetectionScore.epsilon
    self.threshold = threshold
    self.segmentFrameCount = segmentFrameCount
    rules = variant.rules
    averaging = variant.averaging
    var sum = ClassTally()
    for c in t.classes { sum += c }
    if variant.rules == .dcase2021 {
      // One running sum over all tracks, as DCASE 2021 keeps it.
      sum.totalLocalizationError = t.totalLocalizationError
    }
    truePositives = sum.truePositives
    falsePositives = sum.falsePositives + sum.spatialFalsePositives
    spatialFalsePositives = sum.spatialFalsePositives
    falseNegatives = sum.falseNegatives
    substitutions = t.substitutions
    deletions = t.deletions
    insertions = t.insertions
    referenceCount = sum.referenceCount
    localizationTruePositives = sum.localizationTruePositives
    localizationFalsePositives = sum.localizationFalsePositives
    localizationFalseNegatives = sum.localizationFalseNegatives
    totalLocalizationError = sum.totalLocalizationError
    errorRate =
      Double(t.substitutions + t.deletions + t.insertions) / (Double(sum.referenceCount) + eps)
    let classFigures = t.classes.map { $0.figures(variant.rules) }
    perClass = zip(SoundClass.allCases, zip(t.classes, classFigures)).map { item in
      let (soundClass, (c, figures)) = item
      return ClassScore(
        soundClass: soundClass, name: soundClass.officialName, truePositives: c.truePositives,
        falsePositives: c.falsePositives + c.spatialFalsePositives,
        spatialFalsePositives: c.spatialFalsePositives, falseNegatives: c.falseNegatives,
        referenceCount: c.referenceCount, localizationTruePositives: c.localizationTruePositives,
        localizationFalseNegatives: c.localizationFalseNegatives, fScore: figures.f,
        localizationError: figures.le, localizationRecall: figures.lr)
    }
    switch variant.averaging {
    case .micro:
      (fScore, localizationError, localizationRecall) = sum.figures(variant.rules)
    case .macro:
      let count = Double(classFigures.count)
      fScore = classFigures.reduce(0) { $0 + $1.f } / count
      localizationRecall = classFigures.reduce(0) { $0 + $1.lr } / count
      let errors = classFigures.compactMap(\.le)
      localizationError =
        errors.count == classFigures.count ? errors.reduce(0, +) / count : nil
    }
  }

  /// One line for the text report, e.g. `DCASE 2022-style (macro, 1 s segments, ≤ 2.0 m):
  /// ER 0.4210  F 0.6120  LE 0.3310 m  LR 0.8800`.
  public var summary: String {
    func fixed(_ value: Double) -> String { String(format: "%.4f", value) }
    let seconds = Double(segmentFrameCount) * Task2Rows.frameSeconds
    let segment = seconds == seconds.rounded() ? "\(Int(seconds))" : "\(seconds)"
    return "DCASE \(rules.rawValue)-style (\(averaging.rawValue), \(segment) s segments, ≤ \(threshold) m): "
      + "ER \(fixed(errorRate))  F \(fixed(fScore))  "
      + "LE \(localizationError.map { fixed($0) + " m" } ?? "n/a")  LR \(fixed(localizationRecall))"
  }
}
