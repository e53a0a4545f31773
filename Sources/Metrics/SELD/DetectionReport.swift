public import Datasets

/// True positive, false positive and false negative counts, with the official ratios.
///
/// The ratios use the official formulas with `ε = 2.220446049250313e-16`
/// (`sys.float_info.epsilon`, the same as `np.finfo(float).eps`), placed exactly as in
/// L3DAS22 `metrics.py` / `evaluate_baseline_task2.py`:
/// `P = TP / (TP + FP + ε)`, `R = TP / (TP + FN + ε)`, `F = 2 · ((P · R) / (P + R + ε))`.
/// So the F score is bit-for-bit the official one, and 0 (not NaN) when nothing matched. The
/// counts are not checked: L3DAS21's count (`Matching.l3das21`) gives negative false positives,
/// and the formulas then give what its scripts print (precision and F above 1 included).
///
/// Encodes as `{truePositives, falsePositives, falseNegatives, precision, recall, fScore}`.
public struct DetectionScore: Sendable, Hashable, Codable {
  /// The official epsilon, `sys.float_info.epsilon`.
  public static let epsilon = Double.ulpOfOne

  /// Matched prediction/reference pairs.
  public var truePositives: Int
  /// Predicted rows without a match.
  public var falsePositives: Int
  /// Reference rows without a match.
  public var falseNegatives: Int

  /// Creates counts.
  public init(truePositives: Int = 0, falsePositives: Int = 0, falseNegatives: Int = 0) {
    self.truePositives = truePositives
    self.falsePositives = falsePositives
    self.falseNegatives = falseNegatives
  }

  /// `TP / (TP + FP + ε)`.
  public var precision: Double {
    Double(truePositives) / (Double(truePositives + falsePositives) + Self.epsilon)
  }

  /// `TP / (TP + FN + ε)`.
  public var recall: Double {
    Double(truePositives) / (Double(truePositives + falseNegatives) + Self.epsilon)
  }

  /// `2 · ((P · R) / (P + R + ε))`, the official location-sensitive F score.
  public var fScore: Double {
    let p = precision
    let r = recall
    return 2 * ((p * r) / (p + r + Self.epsilon))
  }

  /// Sums counts (the official aggregate sums TP/FP/FN over files, then takes the ratios).
  public static func + (a: Self, b: Self) -> Self {
    Self(
      truePositives: a.truePositives + b.truePositives,
      falsePositives: a.falsePositives + b.falsePositives,
      falseNegatives: a.falseNegatives + b.falseNegatives)
  }

  /// Adds `b` to `a`.
  public static func += (a: inout Self, b: Self) { a = a + b }

  private enum CodingKeys: String, CodingKey {
    case truePositives, falsePositives, falseNegatives, precision, recall, fScore
  }

  /// Decodes the counts; the ratios in the JSON are ignored (they are derived).
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    truePositives = try container.decode(Int.self, forKey: .truePositives)
    falsePositives = try container.decode(Int.self, forKey: .falsePositives)
    falseNegatives = try container.decode(Int.self, forKey: .falseNegatives)
  }

  /// Encodes the counts and the derived ratios.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(truePositives, forKey: .truePositives)
    try container.encode(falsePositives, forKey: .falsePositives)
    try container.encode(falseNegatives, forKey: .falseNegatives)
    try container.encode(precision, forKey: .precision)
    try container.encode(recall, forKey: .recall)
    try container.encode(fScore, forKey: .fScore)
  }
}

/// Everything `LocationSensitiveDetection` measured: the totals, and per class and per file.
public struct DetectionReport: Sendable, Equatable, Codable {
  /// The scores of one class.
  public struct ClassScore: Sendable, Equatable, Codable {
    /// The class.
    public var soundClass: SoundClass
    /// Its official name (for readers of the JSON).
    public var name: String
    /// Its counts over all files.
    public var score: DetectionScore
  }

  /// The scores of one file.
  public struct FileScore: Sendable, Equatable, Codable {
    /// The name given to `update(prediction:reference:file:)`.
    public var file: String
    /// Its counts; `score.fScore` is the F the official function returns for this file.
    public var score: DetectionScore
  }

  /// The distance threshold in metres (a pair matches if its distance is strictly below it).
  public var threshold: Double
  /// How pairs were counted.
  public var matching: LocationSensitiveDetection.Matching
  /// Frames per file.
  public var frameCount: Int
  /// The challenge result: TP/FP/FN summed over all files, then P, R and F (micro average).
  public var total: DetectionScore
  /// One entry per class, in id order, counted over all files.
  ///
  /// With `.oneToOne` and `.l3das21` the per-class counts add up to `total` (with `.l3das21` a
  /// class's FP can be negative, as the total's can). With `.official` they apply the
  /// official rule within each class of each frame; because that rule takes
  /// `min(#matched predictions, #matched references)` over all classes of a frame at once, the
  /// per-class true positives can add up to less than `total.truePositives` (never more).
  public var perClass: [ClassScore]
  /// One entry per `update` call, in call order.
  public var perFile: [FileScore]
  /// The DCASE-style segment metrics (DCASE 2021 or 2022 rules), when requested (see
  /// `DCASEStyleSELD`).
  public var dcaseStyle: DCASEStyleSELDReport?
}

/// One file's additive contribution to a `DetectionReport`: its counts, its per-class counts
/// and, when the DCASE-style report is on, its DCASE-style counts.
///
/// Sharded scoring writes these; `LocationSensitiveDetection.add(_:)` re-adds them, so the
/// merged report equals the one a single run gives.
public struct DetectionFileRecord: Sendable, Equatable, Codable {
  /// The file's name in the per-file breakdown.
  public var file: String
  /// Its counts.
  public var score: DetectionScore
  /// Its counts per class, in class-id order (14 entries).
  public var perClass: [DetectionScore]
  /// Its DCASE-style counts, when they were computed.
  public var dcaseStyle: DCASEStyleSELDReport.Tally?

  /// Creates a record.
  public init(
    file: String, score: DetectionScore, perClass: [DetectionScore],
    dcaseStyle: DCASEStyleSELDReport.Tally?
  ) {
    self.file = file
    self.score = score
    self.perClass = perClass
    self.dcaseStyle = dcaseStyle
  }
}

extension DetectionScore {
  /// The largest count a partial result file may carry (2^40): far above any real count, and
  /// small enough that a million of them add up without overflow.
  public static let plausibleCountLimit = 1 << 40

  /// Whether the counts could come from scoring: TP and FN in 0…2^40, FP as well (or, with
  /// `allowsNegativeFalsePositives`, in −2^40…2^40, as the L3DAS21 count can go negative).
  public func isPlausible(allowsNegativeFalsePositives: Bool = false) -> Bool {
    let limit = Self.plausibleCountLimit
    let lowest = allowsNegativeFalsePositives ? -limit : 0
    return (0...limit).contains(truePositives) && (0...limit).contains(falseNegatives)
      && (lowest...limit).contains(falsePositives)
  }
}

extension DetectionFileRecord {
  /// Whether the record could come from scoring a file: plausible counts
  /// (`DetectionScore.isPlausible`) for the file and each of the 14 classes, and a plausible
  /// DCASE-style tally. Partial result files are untrusted input; `merge` checks
  /// every record with this.
  public func isPlausible(allowsNegativeFalsePositives: Bool = false) -> Bool {
    guard score.isPlausible(allowsNegativeFalsePositives: allowsNegativeFalsePositives),
      perClass.count == SoundClass.allCases.count,
      perClass.allSatisfy({ $0.isPlausible(allowsNegativeFalsePositives: allowsNegativeFalsePositives) })
    else { return false }
    return dcaseStyle?.isPlausible ?? true
  }
}

extension DCASEStyleSELDReport.Tally {
  /// Whether every count is in 0…2^40, there are 14 classes, and the localisation-error sums
  /// are finite and ≥ 0.
  public var isPlausible: Bool {
    let limit = DetectionScore.plausibleCountLimit
    guard [substitutions, deletions, insertions].allSatisfy({ (0...limit).contains($0) }),
      totalLocalizationError.isFinite, totalLocalizationError >= 0,
      classes.count == SoundClass.allCases.count
    else { return false }
    return classes.allSatisfy { c in
      [
        c.truePositives, c.falsePositives, c.spatialFalsePositives, c.falseNegatives,
        c.referenceCount, c.localizationTruePositives, c.localizationFalsePositives,
        c.localizationFalseNegatives,
      ].allSatisfy { (0...limit).contains($0) } && c.totalLocalizationError.isFinite
        && c.totalLocalizationError >= 0
    }
  }
}
