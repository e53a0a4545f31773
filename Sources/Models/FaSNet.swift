public import NN
import TensorModule

/// The L3DAS21 Task 1 baseline `FaSNet_origin` (models/FaSNet.py): a two-stage filter-and-sum
/// network. Stage 1 estimates one F-tap filter per frame for the reference channel 0 (`ref_BF`)
/// from its encoder features and its normalised cross-correlation with the other channels;
/// stage 2 (`other_BF`) estimates filters for the other channels, cued by the stage-1 output.
/// The filtered frames are overlap-added and averaged over channels.
///
/// Input `[B, M, T]` waveforms (M ≥ 2 channels, channel 0 the reference); output `[B, nspk, T]`.
/// `state_dict` keys are PyTorch's (`encoder.weight`, `enc_LN.*`, `ref_BF.*`, `other_BF.*`).
/// Only the fixed-geometry path (`num_mic = tensor([0.])`, the one every L3DAS script uses) is
/// ported.
public final class FaSNet: Module {
  public typealias Scalar = Float
  public var isTraining = true
  public let configuration: FaSNetConfiguration
  /// `Conv1d(1 → enc_dim, 2C + W, bias=False)`, shared by both stages.
  public let encoder: Conv1d<Float>
  /// `GroupNorm(1, enc_dim, eps=1e-8)`, shared by both stages.
  public let encoderNorm: GroupNorm<Float>
  /// The reference channel's filter estimator (DPRNN, `nspk` filters per frame).
  public let referenceBeamformer: BeamformingModule
  /// The other channels' filter estimator (DPRNN, one filter per frame).
  public let otherBeamformer: BeamformingModule

  public var ownParameters: [(name: String, tensor: Tensor<Float>)] { [] }
  public var children: [(name: String, module: any Module<Float>)] {
    [
      ("encoder", encoder), ("enc_LN", encoderNorm), ("ref_BF", referenceBeamformer),
      ("other_BF", otherBeamformer),
    ]
  }

  /// Builds the network with PyTorch's default initialisation drawn from `seed`.
  public init(_ configuration: FaSNetConfiguration, seed: UInt64 = 0) throws {
    try FaSNetFrontEnd.check(configuration, model: "FaSNet_origin")
    self.configuration = configuration
    var rng = SplitMix64(seed: seed)
    let c = configuration
    encoder = Conv1d(
      inChannels: 1, outChannels: c.encDim, kernelSize: c.chunkLength, bias: false, using: &rng)
    encoderNorm = GroupNorm(groups: 1, channels: c.encDim, epsilon: 1e-8)
    func module(speakers: Int) -> BeamformingModule {
      BeamformingModule(
        inputDim: c.beamformerInputDim, featureDim: c.featureDim, hiddenDim: c.hiddenDim,
        filterDim: c.filterDim, speakers: speakers, layers: c.layer, segmentSize: c.segmentSize,
        channelCommunication: false, using: &rng)
    }
    referenceBeamformer = module(speakers: c.nspk)
    otherBeamformer = module(speakers: 1)
  }

  /// Checks `input` against the model: `[batch ≥ 1, channels ≥ 2, samples ≥ 1]`.
  public func validate(input shape: [Int]) throws {
    try FaSNetFrontEnd.validate(shape, minimumChannels: 2, model: "FaSNet_origin")
  }

  /// The forward pass (fixed geometry: all channels averaged): `[B, M, T]` → `[B, nspk, T]`.
  public func forward(_ input: Tensor<Float>) throws -> Tensor<Float> {
    try validate(input: input.shape)
    let c = configuration
    let (b, m, t) = (input.shape[0], input.shape[1], input.shape[2])
    let (spk, w, ctx, f) = (c.nspk, c.window, c.chunkLength, c.filterDim)
    let framing = FaSNetFrontEnd.Framing(configuration: c, samples: t)
    let l = framing.frames
    let (centre, contexts) = framing.split(input)  // [B, M, L, W], [B, M, L, 2C+W]

    // Stage 1: the reference channel's filter from its encoding and its correlation with the
    // other channels' centre frames (averaged over those channels).
    let referenceContext = contexts.slice(axis: 1, 0..<1)  // [B, 1, L, 2C+W]
    let otherCentres = centre.slice(axis: 1, 1..<m).permuted([1, 0, 2, 3]).reshaped([
      m - 1, b * l, w,
    ])
    let referenceSimilarity = FaSNetFrontEnd.cosineSimilarity(
      referenceContext.reshaped([1, b * l, ctx]), otherCentres
    ).reshaped([m - 1, b, l, f]).mean(alongAxes: [0]).transposed(1, 2)  // [B, F, L]
    let referenceFeature = encoderNorm(
      FaSNetFrontEnd.encode(referenceContext, rows: b, encoder: encoder))
    let referenceFilter = referenceBeamformer(
      Tensor.concatenate([referenceFeature, referenceSimilarity], axis: 1), channels: 1)  // [B, 1, spk, L, F]
    let referenceContexts = FaSNetFrontEnd.repeated(referenceContext, spk, axis: 1)  // [B, spk, L, 2C+W]
    let referenceOutput = referenceContexts.reshaped([b * spk * l, ctx])
      .rowCorrelation(referenceFilter.reshaped([b * spk * l, f]))
      .reshaped([b * spk, l, w])

    // Stage 2: the other channels' filters, cued by the stage-1 output.
    let otherContexts = FaSNetFrontEnd.repeated(
      contexts.slice(axis: 1, 1..<m).reshaped([b, 1, m - 1, l, ctx]), spk, axis: 1
    ).reshaped([b * spk, m - 1, l, ctx])
    let otherSimilarity = FaSNetFrontEnd.cosineSimilarity(
      otherContexts.permuted([1, 0, 2, 3]).reshaped([m - 1, b * spk * l, ctx]),
      referenceOutput.reshaped([1, b * spk * l, w])
    ).reshaped([m - 1, b * spk, l, f]).permuted([1, 0, 3, 2]).reshaped([b * spk * (m - 1), f, l])
    let otherFeature = encoderNorm(
      FaSNetFrontEnd.encode(otherContexts, rows: b * spk * (m - 1), encoder: encoder))
    let otherFilter = otherBeamformer(
      Tensor.concatenate([otherFeature, otherSimilarity], axis: 1), channels: 1)  // [B·spk·(M−1), 1, 1, L, F]
    let otherOutput = otherContexts.reshaped([b * spk * (m - 1) * l, ctx])
      .rowCorrelation(otherFilter.reshaped([b * spk * (m - 1) * l, f]))
      .reshaped([b * spk, m - 1, l, w])

    let frames = Tensor.concatenate(
      [referenceOutput.reshaped([b * spk, 1, l, w]), otherOutput], axis: 1)
    return framing.overlapAdd(frames.reshaped([b * spk * m, l, w])).reshaped([b, spk, m, t])
      .mean(alongAxes: [2])
  }
}

/// The L3DAS21 Task 1 alternative `FaSNet_TAC` (models/FaSNet.py): a single-stage FaSNet whose
/// filter estimator (`all_BF`) is a DPRNN with transform–average–concatenate (TAC) steps across
/// channels. Every channel gets its own filter from its encoding and its correlation with the
/// reference channel's centre frame.
///
/// Input `[B, M, T]`; output `[B, nspk, T]`. Fixed-geometry path only (see ``FaSNet``).
public final class FaSNetTAC: Module {
  public typealias Scalar = Float
  public var isTraining = true
  public let configuration: FaSNetConfiguration
  /// `Conv1d(1 → enc_dim, 2C + W, bias=False)`.
  public let encoder: Conv1d<Float>
  /// `GroupNorm(1, enc_dim, eps=1e-8)`.
  public let encoderNorm: GroupNorm<Float>
  /// The filter estimator (DPRNN_TAC, `nspk` filters per channel and frame).
  public let beamformer: BeamformingModule

  public var ownParameters: [(name: String, tensor: Tensor<Float>)] { [] }
  public var children: [(name: String, module: any Module<Float>)] {
    [("encoder", encoder), ("enc_LN", encoderNorm), ("all_BF", beamformer)]
  }

  /// Builds the network with PyTorch's default initialisation drawn from `seed`.
  public init(_ configuration: FaSNetConfiguration, seed: UInt64 = 0) throws {
    try FaSNetFrontEnd.check(configuration, model: "FaSNet_TAC")
    self.configuration = configuration
    var rng = SplitMix64(seed: seed)
    let c = configuration
    encoder = Conv1d(
      inChannels: 1, outChannels: c.encDim, kernelSize: c.chunkLength, bias: false, using: &rng)
    encoderNorm = GroupNorm(groups: 1, channels: c.encDim, epsilon: 1e-8)
    beamformer = BeamformingModule(
      inputDim: c.beamformerInputDim, featureDim: c.featureDim, hiddenDim: c.hiddenDim,
      filterDim: c.filterDim, speakers: c.nspk, layers: c.layer, segmentSize: c.segmentSize,
      channelCommunication: true, using: &rng)
  }

  /// Checks `input` against the model: `[batch ≥ 1, channels ≥ 1, samples ≥ 1]`.
  public func validate(input shape: [Int]) throws {
    try FaSNetFrontEnd.validate(shape, minimumChannels: 1, model: "FaSNet_TAC")
  }

  /// The forward pass (fixed geometry: all channels averaged): `[B, M, T]` → `[B, nspk, T]`.
  public func forward(_ input: Tensor<Float>) throws -> Tensor<Float> {
    try validate(input: input.shape)
    let c = configuration
    let (b, m, t) = (input.shape[0], input.shape[1], input.shape[2])
    let (spk, w, ctx, f) = (c.nspk, c.window, c.chunkLength, c.filterDim)
    let framing = FaSNetFrontEnd.Framing(configuration: c, samples: t)
    let l = framing.frames
    let (centre, contexts) = framing.split(input)  // [B, M, L, W], [B, M, L, 2C+W]

    let features = encoderNorm(FaSNetFrontEnd.encode(contexts, rows: b * m, encoder: encoder))
      .reshaped([b, m, c.encDim, l])
    let similarity = FaSNetFrontEnd.cosineSimilarity(
      contexts.permuted([1, 0, 2, 3]).reshaped([m, b * l, ctx]),
      centre.slice(axis: 1, 0..<1).reshaped([1, b * l, w])
    ).reshaped([m, b, l, f]).permuted([1, 0, 3, 2])  // [B, M, F, L]
    let filters = beamformer(
      Tensor.concatenate([features, similarity], axis: 2).reshaped([b * m, c.encDim + f, l]),
      channels: m)  // [B, M, spk, L, F]
    let micContexts = FaSNetFrontEnd.repeated(contexts.reshaped([b * m, 1, l, ctx]), spk, axis: 1)
    let output = micContexts.reshaped([b * m * spk * l, ctx])
      .rowCorrelation(filters.reshaped([b * m * spk * l, f]))
      .reshaped([b * m * spk, l, w])
    return framing.overlapAdd(output).reshaped([b, m, spk, t]).mean(alongAxes: [1])
  }
}

/// The parts `FaSNet_base` shares between both variants: framing with context, the encoder,
/// the normalised cross-correlation and the final overlap-add.
enum FaSNetFrontEnd {
  static func check(_ configuration: FaSNetConfiguration, model: String) throws {
    let problems = configuration.problems
    guard problems.isEmpty else {
      throw ModelError(
        .invalidConfiguration, "invalid \(model) configuration: " + problems.joined(separator: "; ")
      )
    }
  }

  static func validate(_ shape: [Int], minimumChannels: Int, model: String) throws {
    guard shape.count == 3, shape[0] >= 1, shape[1] >= minimumChannels, shape[2] >= 1 else {
      throw ModelError(
        .wrongInputShape,
        "\(model) expects input [batch, channels ≥ \(minimumChannels), samples], got \(shape)")
    }
  }

  /// `seg_signal_context` and its inverse for one input length T.
  struct Framing {
    /// W, S, C.
    let window: Int, stride: Int, context: Int
    let samples: Int
    /// Zeros appended before the S-sample pads: W − ((S + T mod W) mod W), 1…W.
    let rest: Int
    /// Frames L = 2N/W − 1 with N = T + rest + 2S.
    let frames: Int

    init(configuration c: FaSNetConfiguration, samples t: Int) {
      (window, stride, context, samples) = (c.window, c.stride, c.context, t)
      rest = window - (stride + t % window) % window
      frames = 2 * (t + rest + 2 * stride) / window - 1
    }

    var starts: [Int] { (0..<frames).map { $0 * stride } }

    /// `[B, M, T]` → centre frames `[B, M, L, W]` and context chunks `[B, M, L, 2C+W]`: chunk i
    /// is samples [i·S, i·S + 2C + W) of the signal padded with C + S zeros in front and
    /// rest + S + C behind; its centre frame is chunk samples [C, C + W).
    func split(_ x: Tensor<Float>) -> (centre: Tensor<Float>, context: Tensor<Float>) {
      let padded = x.padded(axis: 2, before: context + stride, after: rest + stride + context)
      let chunks = padded.frames(length: 2 * context + window, starts: starts)
      return (chunks.slice(axis: 3, context..<(context + window)), chunks)
    }

    /// Frames `[R, L, W]` → `[R, T]`: overlap-add at hop S with no window or normalisation,
    /// dropping S samples in front and `rest` + S behind.
    func overlapAdd(_ frames: Tensor<Float>) -> Tensor<Float> {
      frames.overlapAdd(starts: starts, length: samples + rest + 2 * stride)
        .slice(axis: 1, stride..<(stride + samples))
    }
  }

  /// The encoder on context chunks `[rows, …, L, 2C+W]` (any layout whose leading extent is
  /// `rows`): one dot product per chunk and filter → `[rows, N, L]` (before `enc_LN`).
  static func encode(_ chunks: Tensor<Float>, rows: Int, encoder: Conv1d<Float>) -> Tensor<Float> {
    let (n, k) = (encoder.weight.shape[0], encoder.weight.shape[2])
    let flat = chunks.reshaped([-1, k])
    return flat.linear(weight: encoder.weight.reshaped([n, k]), bias: nil)
      .reshaped([rows, flat.shape[0] / rows, n]).transposed(1, 2)
  }

  /// `x` repeated `times` along `axis` (PyTorch `torch.cat([x] * times, axis)`).
  static func repeated(_ x: Tensor<Float>, _ times: Int, axis: Int) -> Tensor<Float> {
    times == 1 ? x : Tensor.concatenate(Array(repeating: x, count: times), axis: axis)
  }

  /// `seq_cos_sim(ref, target)`: ref `[Mr, R, Lr]`, target `[Mt, R, Lt]` (a channel count of 1
  /// broadcasts) → `[max(Mr, Mt), R, Lr − Lt + 1]`, the correlation at each lag divided by
  /// (‖ref window‖ + 1e-8)·(‖target‖ + 1e-8).
  static func cosineSimilarity(_ ref: Tensor<Float>, _ target: Tensor<Float>) -> Tensor<Float> {
    let channels = max(ref.shape[0], target.shape[0])
    let r = ref.shape[0] < channels ? repeated(ref, channels, axis: 0) : ref
    let tg = target.shape[0] < channels ? repeated(target, channels, axis: 0) : target
    let eps: Float = 1e-8
    let correlation = r.rowCorrelation(tg)
    let ones = Tensor<Float>(repeating: 1, shape: tg.shape)
    let refNorm = r.squared().rowCorrelation(ones).sqrtZeroGradientAtZero() + eps
    let targetNorm =
      tg.squared().sum(alongAxes: [2], keepingDimensions: true).sqrtZeroGradientAtZero() + eps
    return correlation / (refNorm * targetNorm)
  }
}
