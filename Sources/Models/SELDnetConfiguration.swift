/// The constructor arguments of the L3DAS Task 2 baselines `Seldnet_augmented` and
/// `Seldnet_vanilla` (models/SELDNet.py, identical in L3DAS21 and L3DAS22), as data.
///
/// Coding keys are PyTorch's argument names, so a parity fixture's `constructor_args` object
/// decodes directly. Sizes the reference hard-codes (the GRU input 1024 or 128, the vanilla
/// heads' 256) are computed from the configuration instead; see docs/baselines.md.
public struct SELDnetConfiguration: Codable, Sendable, Equatable {
  public enum Variant: String, Codable, Sendable {
    /// `Seldnet_augmented`: four CNN blocks with growing filters, 3 × 1024 fully connected heads.
    case augmented
    /// `Seldnet_vanilla`: CNN blocks of `n_cnn_filters` each, one hidden layer per head.
    case vanilla
  }

  public var variant: Variant
  /// Input frames `T`; the reference reshapes with `time_dim / Π time pools` (here checked).
  public var timeDim: Int
  /// Input frequency bins (256 for the official features).
  public var freqDim: Int
  /// 4 for one mic, 8 for two; doubled with phase features.
  public var inputChannels: Int
  public var outputClasses: Int
  /// Per CNN block `[frequency pool, time pool]`.
  public var poolSize: [[Int]]
  /// Output channels per CNN block (augmented: `cnn_filters`; vanilla: `n_cnn_filters` repeated).
  public var cnnFilters: [Int]
  /// Whether the time pools apply (`pool_time`); without it only frequency is pooled.
  public var poolTime: Bool
  public var rnnSize: Int
  public var nRnn: Int
  public var fcSize: Int
  public var dropoutPerc: Double
  public var classOverlaps: Int

  public init(
    variant: Variant, timeDim: Int, freqDim: Int = 256, inputChannels: Int = 4,
    outputClasses: Int = 14, poolSize: [[Int]] = [[8, 2], [8, 2], [2, 2], [1, 1]],
    cnnFilters: [Int] = [64, 128, 256, 512], poolTime: Bool = true, rnnSize: Int = 256,
    nRnn: Int = 3, fcSize: Int = 1024, dropoutPerc: Double = 0.3, classOverlaps: Int = 3
  ) {
    self.variant = variant
    self.timeDim = timeDim
    self.freqDim = freqDim
    self.inputChannels = inputChannels
    self.outputClasses = outputClasses
    self.poolSize = poolSize
    self.cnnFilters = cnnFilters
    self.poolTime = poolTime
    self.rnnSize = rnnSize
    self.nRnn = nRnn
    self.fcSize = fcSize
    self.dropoutPerc = dropoutPerc
    self.classOverlaps = classOverlaps
  }

  /// The L3DAS22 Task 2 baseline: `Seldnet_augmented` on 30 s files (`[4, 256, 2400]` input).
  public static let augmentedL3DAS22 = SELDnetConfiguration(variant: .augmented, timeDim: 2400)
  /// The L3DAS21 Task 2 baseline: `Seldnet_augmented` on 60 s files (`[4, 256, 4800]` input).
  public static let augmentedL3DAS21 = SELDnetConfiguration(variant: .augmented, timeDim: 4800)
  /// `Seldnet_vanilla` with its constructor defaults (class_overlaps as the integer 3), as
  /// SELDNet.py's own self-test builds it, on 30 s files.
  public static let vanilla = SELDnetConfiguration(
    variant: .vanilla, timeDim: 2400, inputChannels: 8, poolSize: [[8, 2], [8, 2], [2, 2]],
    cnnFilters: [64, 64, 64], poolTime: false, rnnSize: 128, nRnn: 2, fcSize: 128,
    dropoutPerc: 0, classOverlaps: 3)
  /// A few-thousand-parameter augmented network for tests and the synthetic demo (30 s files).
  public static let tiny = SELDnetConfiguration(
    variant: .augmented, timeDim: 2400, poolSize: [[8, 2], [8, 2], [2, 2], [1, 1]],
    cnnFilters: [8, 8, 16, 16], rnnSize: 16, nRnn: 1, fcSize: 32)

  /// The tiny network on 64-band log-mel features (`l3das preprocess --features logmel`):
  /// frequency pools 4, 4, 2, 1, the same 21,144 parameters as `tiny`. It learns faster on
  /// the synthetic dataset than on the raw spectrum.
  public static let tinyLogMel = SELDnetConfiguration(
    variant: .augmented, timeDim: 2400, freqDim: 64, poolSize: [[4, 2], [4, 2], [2, 2], [1, 1]],
    cnnFilters: [8, 8, 16, 16], rnnSize: 16, nRnn: 1, fcSize: 32)

  /// `(frequency, time)` pooling of block `i` as applied (time pool 1 without `poolTime`).
  public func pool(_ i: Int) -> (Int, Int) {
    (poolSize[i][0], poolTime ? poolSize[i][1] : 1)
  }

  /// Frequency bins after all pools (floor division per block, as MaxPool2d does).
  public var pooledFrequency: Int { (0..<poolSize.count).reduce(freqDim) { $0 / pool($1).0 } }
  /// Output frames for `frames` input frames.
  public func pooledTime(_ frames: Int) -> Int { (0..<poolSize.count).reduce(frames) { $0 / pool($1).1 } }
  /// The GRU input size: last block's channels × pooled frequency (the reference hard-codes it).
  public var recurrentInputSize: Int { (cnnFilters.last ?? inputChannels) * pooledFrequency }
  /// SED outputs per frame: classes × overlap slots.
  public var sedOutputs: Int { outputClasses * classOverlaps }

  /// Every reason this configuration cannot build a network, in one list (empty when valid).
  public var problems: [String] {
    var out: [String] = []
    if timeDim < 1 { out.append("time_dim must be ≥ 1 (got \(timeDim))") }
    if freqDim < 1 { out.append("freq_dim must be ≥ 1 (got \(freqDim))") }
    if inputChannels < 1 { out.append("input_channels must be ≥ 1 (got \(inputChannels))") }
    if outputClasses < 1 { out.append("output_classes must be ≥ 1 (got \(outputClasses))") }
    if classOverlaps < 1 { out.append("class_overlaps must be ≥ 1 (got \(classOverlaps))") }
    if poolSize.isEmpty { out.append("pool_size needs at least one block") }
    if poolSize.contains(where: { $0.count != 2 || $0.contains { $0 < 1 } }) {
      out.append("every pool_size entry must be [frequency ≥ 1, time ≥ 1] (got \(poolSize))")
    }
    if cnnFilters.count != poolSize.count || cnnFilters.contains(where: { $0 < 1 }) {
      out.append(
        "cnn_filters needs one positive count per pool_size block (\(poolSize.count)), got \(cnnFilters)")
    }
    if rnnSize < 1 || nRnn < 1 { out.append("rnn_size and n_rnn must be ≥ 1 (got \(rnnSize), \(nRnn))") }
    if fcSize < 1 { out.append("fc_size must be ≥ 1 (got \(fcSize))") }
    if !(0..<1).contains(dropoutPerc) { out.append("dropout_perc must be in [0, 1) (got \(dropoutPerc))") }
    if out.isEmpty && pooledFrequency < 1 {
      out.append("freq_dim \(freqDim) pools to zero bins through \(poolSize)")
    }
    if out.isEmpty && pooledTime(timeDim) < 1 {
      out.append("time_dim \(timeDim) pools to zero frames through \(poolSize)")
    }
    return out
  }

  /// The JSON keys this configuration reads (PyTorch's constructor arguments).
  public static var jsonKeys: [String] { CodingKeys.allCases.map(\.rawValue) }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case variant
    case timeDim = "time_dim"
    case freqDim = "freq_dim"
    case inputChannels = "input_channels"
    case outputClasses = "output_classes"
    case poolSize = "pool_size"
    case cnnFilters = "cnn_filters"
    case nCnnFilters = "n_cnn_filters"
    case poolTime = "pool_time"
    case rnnSize = "rnn_size"
    case nRnn = "n_rnn"
    case fcSize = "fc_size"
    case dropoutPerc = "dropout_perc"
    case classOverlaps = "class_overlaps"
  }

  /// Decodes our own files and PyTorch's constructor arguments. Without `variant`, the presence
  /// of `n_cnn_filters` means vanilla. Missing arguments take the PyTorch constructor defaults of
  /// that variant; a float `class_overlaps` or `n_cnn_filters` (the reference's quirk) is accepted
  /// when it is a whole number.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let vanillaFilters = try c.decodeIfPresent(Double.self, forKey: .nCnnFilters)
    let variant =
      try c.decodeIfPresent(Variant.self, forKey: .variant)
      ?? (vanillaFilters != nil ? .vanilla : .augmented)
    let base: SELDnetConfiguration = variant == .vanilla ? .vanilla : .augmentedL3DAS22
    func whole(_ key: CodingKeys, _ fallback: Int) throws -> Int {
      guard let value = try c.decodeIfPresent(Double.self, forKey: key) else { return fallback }
      guard value.rounded() == value, abs(value) < 1e9 else {
        throw DecodingError.dataCorruptedError(
          forKey: key, in: c, debugDescription: "\(key.rawValue) must be a whole number, got \(value)")
      }
      return Int(value)
    }
    self.variant = variant
    timeDim = try whole(.timeDim, base.timeDim)
    freqDim = try whole(.freqDim, base.freqDim)
    inputChannels = try whole(.inputChannels, base.inputChannels)
    outputClasses = try whole(.outputClasses, base.outputClasses)
    poolSize = try c.decodeIfPresent([[Int]].self, forKey: .poolSize) ?? base.poolSize
    poolTime = try c.decodeIfPresent(Bool.self, forKey: .poolTime) ?? base.poolTime
    rnnSize = try whole(.rnnSize, base.rnnSize)
    nRnn = try whole(.nRnn, base.nRnn)
    fcSize = try whole(.fcSize, base.fcSize)
    dropoutPerc = try c.decodeIfPresent(Double.self, forKey: .dropoutPerc) ?? base.dropoutPerc
    classOverlaps = try whole(.classOverlaps, base.classOverlaps)
    if variant == .vanilla {
      let filters = try whole(.nCnnFilters, base.cnnFilters.first ?? 64)
      cnnFilters = [Int](repeating: filters, count: poolSize.count)
    } else {
      cnnFilters = try c.decodeIfPresent([Int].self, forKey: .cnnFilters) ?? base.cnnFilters
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(variant, forKey: .variant)
    try c.encode(timeDim, forKey: .timeDim)
    try c.encode(freqDim, forKey: .freqDim)
    try c.encode(inputChannels, forKey: .inputChannels)
    try c.encode(outputClasses, forKey: .outputClasses)
    try c.encode(poolSize, forKey: .poolSize)
    if variant == .vanilla {
      try c.encode(cnnFilters.first ?? 0, forKey: .nCnnFilters)
    } else {
      try c.encode(cnnFilters, forKey: .cnnFilters)
    }
    try c.encode(poolTime, forKey: .poolTime)
    try c.encode(rnnSize, forKey: .rnnSize)
    try c.encode(nRnn, forKey: .nRnn)
    try c.encode(fcSize, forKey: .fcSize)
    try c.encode(dropoutPerc, forKey: .dropoutPerc)
    try c.encode(classOverlaps, forKey: .classOverlaps)
  }
}
