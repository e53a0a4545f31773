/// The constructor arguments of the L3DAS21 Task 1 baselines `FaSNet_origin` and `FaSNet_TAC`
/// (models/FaSNet.py, `FaSNet_base.__init__`), as data.
///
/// Coding keys are PyTorch's argument names, so a parity fixture's `constructor_args` object
/// decodes directly; missing keys take the L3DAS21 script defaults (``l3das21``). The derived
/// sizes (window, context, hop, filter taps) follow the reference's integer arithmetic.
public struct FaSNetConfiguration: Codable, Sendable, Equatable {
  /// Encoder filters N (`enc_dim`).
  public var encDim: Int
  /// DPRNN width (`feature_dim`).
  public var featureDim: Int
  /// LSTM units per direction (`hidden_dim`).
  public var hiddenDim: Int
  /// DPRNN (or DPRNN + TAC) blocks (`layer`).
  public var layer: Int
  /// DPRNN chunk length K in frames (`segment_size`).
  public var segmentSize: Int
  /// Output sources (`nspk`).
  public var nspk: Int
  /// Frame window in milliseconds (`win_len`).
  public var winLen: Double
  /// Context on each side of a frame in milliseconds (`context_len`).
  public var contextLen: Double
  /// Sample rate (`sr`).
  public var sr: Int

  public init(
    encDim: Int = 64, featureDim: Int = 64, hiddenDim: Int = 128, layer: Int = 6,
    segmentSize: Int = 24, nspk: Int = 1, winLen: Double = 16, contextLen: Double = 16,
    sr: Int = 16000
  ) {
    self.encDim = encDim
    self.featureDim = featureDim
    self.hiddenDim = hiddenDim
    self.layer = layer
    self.segmentSize = segmentSize
    self.nspk = nspk
    self.winLen = winLen
    self.contextLen = contextLen
    self.sr = sr
  }

  /// The L3DAS21 Task 1 baseline as `train_baseline_task1.py` builds it (64/64/128, 6 blocks,
  /// segment 24, one source, 16 ms windows with 16 ms context at 16 kHz): 5,430,406 parameters
  /// as `FaSNet_origin`, 4,072,725 as `FaSNet_TAC`.
  public static let l3das21 = FaSNetConfiguration()
  /// The parity fixtures' configuration (8/8/6, 2 blocks, segment 6, 1 ms windows and context:
  /// W = C = 16, 33 taps): a few thousand parameters, for tests.
  public static let tiny = FaSNetConfiguration(
    encDim: 8, featureDim: 8, hiddenDim: 6, layer: 2, segmentSize: 6, nspk: 1, winLen: 1,
    contextLen: 1)

  /// Frame length W = int(sr·win_len/1000) samples.
  public var window: Int { Int(Double(sr) * winLen / 1000) }
  /// Context C = int(sr·context_len/1000) samples on each side of a frame.
  public var context: Int { Int(Double(sr) * contextLen / 1000) }
  /// Frame hop S = W / 2.
  public var stride: Int { window / 2 }
  /// Beamforming filter taps F = 2C + 1.
  public var filterDim: Int { 2 * context + 1 }
  /// Samples per context chunk (and encoder kernel), 2C + W.
  public var chunkLength: Int { 2 * context + window }
  /// Input width of a beamforming module: F + N.
  public var beamformerInputDim: Int { filterDim + encDim }

  /// Every reason this configuration cannot build a network, in one list (empty when valid).
  public var problems: [String] {
    var out: [String] = []
    for (name, value) in [
      ("enc_dim", encDim), ("feature_dim", featureDim), ("hidden_dim", hiddenDim),
      ("layer", layer), ("nspk", nspk), ("sr", sr),
    ] where value < 1 {
      out.append("\(name) must be ≥ 1 (got \(value))")
    }
    if segmentSize < 2 { out.append("segment_size must be ≥ 2 (got \(segmentSize))") }
    if !(winLen.isFinite && contextLen.isFinite) || winLen <= 0 || contextLen < 0 {
      out.append("win_len must be > 0 and context_len ≥ 0 ms (got \(winLen), \(contextLen))")
    } else if sr >= 1 {
      if window < 2 || window % 2 != 0 {
        // The reference's overlap-add reshapes frames to [..., 2W] and crashes on an odd W.
        out.append("the window int(sr·win_len/1000) must be even and ≥ 2 samples (got \(window))")
      }
    }
    return out
  }

  /// The JSON keys this configuration reads (PyTorch's constructor arguments).
  public static var jsonKeys: [String] { CodingKeys.allCases.map(\.rawValue) }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case encDim = "enc_dim"
    case featureDim = "feature_dim"
    case hiddenDim = "hidden_dim"
    case layer
    case segmentSize = "segment_size"
    case nspk
    case winLen = "win_len"
    case contextLen = "context_len"
    case sr
  }

  /// Decodes our own files and PyTorch's constructor arguments; missing keys take the L3DAS21
  /// defaults, and whole-number floats are accepted for the integer arguments.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let base = FaSNetConfiguration.l3das21
    func whole(_ key: CodingKeys, _ fallback: Int) throws -> Int {
      guard let value = try c.decodeIfPresent(Double.self, forKey: key) else { return fallback }
      guard value.rounded() == value, abs(value) < 1e9 else {
        throw DecodingError.dataCorruptedError(
          forKey: key, in: c,
          debugDescription: "\(key.rawValue) must be a whole number, got \(value)")
      }
      return Int(value)
    }
    encDim = try whole(.encDim, base.encDim)
    featureDim = try whole(.featureDim, base.featureDim)
    hiddenDim = try whole(.hiddenDim, base.hiddenDim)
    layer = try whole(.layer, base.layer)
    segmentSize = try whole(.segmentSize, base.segmentSize)
    nspk = try whole(.nspk, base.nspk)
    winLen = try c.decodeIfPresent(Double.self, forKey: .winLen) ?? base.winLen
    contextLen = try c.decodeIfPresent(Double.self, forKey: .contextLen) ?? base.contextLen
    sr = try whole(.sr, base.sr)
  }
}
