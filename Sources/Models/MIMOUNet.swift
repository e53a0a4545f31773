public import NN
import TensorModule

/// The L3DAS22 Task 1 baseline, MIMO U-Net beamforming (`MIMO_UNet_Beamforming`, models/MMUB.py,
/// after Ren et al., "A neural beamforming network for B-format 3D speech enhancement and
/// recognition", 2021), with PyTorch's module names, so `state_dict` keys are
/// `encoder.i.{0,1}.*`, `decoder.j.{0,1}.*`, `conv2d.*` and `linear.*`.
///
/// Input: waveforms `[B, C, S]` (C = `input_channel`). The network computes the STFT of every
/// channel (``DifferentiableSTFT``, torch.stft semantics), stacks real over imaginary bins into a
/// `[B, C, fft, T]` map, runs a 10-level U-Net (Conv2d → BatchNorm2d → LeakyReLU(0.3) per level,
/// "same" padding with the smaller pad first for even kernels; mirrored ConvTranspose2d levels
/// cropped back to the encoder sizes after their BatchNorm and activation; skips concatenated
/// decoder-first), a 1×1 Conv2d back to C channels and a Linear over the fft rows. The result is
/// an unbounded complex mask per channel; the masked spectra are summed over channels, a zero
/// Nyquist row is implied, and the inverse STFT gives the output `[B, 1, hop·⌊S/hop⌋]`.
///
/// The frame count 1 + ⌊S/hop⌋ must be a multiple of the product of the time strides (8 for the
/// baseline, whose training inputs are 76,672 samples = 600 frames).
public final class MIMOUNet: Module {
  /// The element type: the model runs in `Float`, as the PyTorch reference does.
  public typealias Scalar = Float
  /// Whether BatchNorm uses batch statistics (training) or running statistics (eval).
  public var isTraining = true
  /// The constructor arguments this network was built from.
  public let configuration: MIMOUNetConfiguration
  /// One `Sequential(Conv2d, BatchNorm2d, LeakyReLU(0.3))` per level, shallowest first (the
  /// reference's `nn.ModuleList`; only its children are called).
  public let encoder: Sequential<Float>
  /// One `Sequential(ConvTranspose2d, BatchNorm2d, LeakyReLU(0.3))` per level, deepest first.
  public let decoder: Sequential<Float>
  /// 1×1 convolution from the first level's channels back to the input channels.
  public let conv2d: Conv2d<Float>
  /// Linear map over the fft feature rows (real and imaginary mask), per channel and frame.
  public let linear: Linear<Float>
  /// The STFT front end and its inverse (no parameters).
  public let stft: DifferentiableSTFT<Float>

  /// None: every parameter belongs to a child.
  public var ownParameters: [(name: String, tensor: Tensor<Float>)] { [] }
  /// `encoder`, `decoder`, `conv2d`, `linear`, in PyTorch's registration order.
  public var children: [(name: String, module: any Module<Float>)] {
    [("encoder", encoder), ("decoder", decoder), ("conv2d", conv2d), ("linear", linear)]
  }

  /// Builds the network with PyTorch's default initialisation drawn from `seed`.
  ///
  /// - Throws: ``ModelError`` (`invalidConfiguration`) listing every problem of the
  ///   configuration.
  public convenience init(_ configuration: MIMOUNetConfiguration, seed: UInt64 = 0) throws {
    try self.init(configuration, bottleneckExtraChannels: 0, seed: seed)
  }

  /// The network whose deepest decoder level takes `bottleneckExtraChannels` more input channels
  /// (the audio-visual model concatenates its image features to the bottleneck there).
  init(_ configuration: MIMOUNetConfiguration, bottleneckExtraChannels: Int, seed: UInt64) throws {
    let problems = configuration.problems
    guard problems.isEmpty else {
      throw ModelError(
        .invalidConfiguration,
        "invalid MIMO U-Net configuration: " + problems.joined(separator: "; "))
    }
    self.configuration = configuration
    var rng = SplitMix64(seed: seed)
    let levels = configuration.levelCount
    var encoderBlocks: [any Layer<Float>] = []
    var channels = configuration.inputChannel
    for i in 0..<levels {
      let (kf, kt) = configuration.kernel(i)
      // The reference's F.pad "same" padding, folded into the convolution (identical values).
      let padding = Padding2D(
        top: kf / 2 - (kf % 2 == 0 ? 1 : 0), bottom: kf / 2,
        left: kt / 2 - (kt % 2 == 0 ? 1 : 0), right: kt / 2)
      encoderBlocks.append(
        Sequential<Float>([
          Conv2d(
            inChannels: channels, outChannels: configuration.unetChannel[i], kernelSize: (kf, kt),
            stride: configuration.strides(i), padding: padding, using: &rng),
          BatchNorm2d(features: configuration.unetChannel[i]), LeakyReLU(negativeSlope: 0.3),
        ]))
      channels = configuration.unetChannel[i]
    }
    encoder = Sequential(encoderBlocks)
    var decoderBlocks: [any Layer<Float>] = []
    for j in 0..<levels {
      let level = levels - 1 - j
      decoderBlocks.append(
        Sequential<Float>([
          ConvTranspose2d(
            inChannels: configuration.decoderInputChannels(j) + (j == 0 ? bottleneckExtraChannels : 0),
            outChannels: configuration.unetChannel[level], kernelSize: configuration.kernel(level),
            stride: configuration.strides(level), using: &rng),
          BatchNorm2d(features: configuration.unetChannel[level]), LeakyReLU(negativeSlope: 0.3),
        ]))
    }
    decoder = Sequential(decoderBlocks)
    // PyTorch creates conv2d and linear before the encoder and decoder; the draws differ from
    // PyTorch's anyway (another generator), so only the distribution matters.
    conv2d = Conv2d(
      inChannels: configuration.unetChannel[0], outChannels: configuration.inputChannel,
      kernelSize: (1, 1), using: &rng)
    linear = Linear(
      inFeatures: configuration.featureRowCount, outFeatures: configuration.featureRowCount,
      using: &rng)
    stft = DifferentiableSTFT(
      fftLength: configuration.fftSize, hopLength: configuration.hopSize,
      binCount: configuration.validFrequencyCount)
  }

  /// Checks `input` against the configuration: `[B ≥ 1, input_channel, S]` with 1 + ⌊S/hop⌋ a
  /// multiple of the product of the time strides.
  public func validate(input shape: [Int]) throws {
    let c = configuration
    guard shape.count == 3, shape[0] >= 1, shape[1] == c.inputChannel, shape[2] >= 0 else {
      throw ModelError(
        .wrongInputShape,
        "MIMO U-Net expects waveforms [batch, \(c.inputChannel), samples], got \(shape)")
    }
    let frames = c.frameCount(samples: shape[2])
    guard frames % c.timeStrideProduct == 0, frames >= 2 else {
      throw ModelError(
        .wrongInputShape,
        "MIMO U-Net needs 1 + ⌊samples/\(c.hopSize)⌋ frames to be a multiple of "
          + "\(c.timeStrideProduct) (the product of the time strides) and at least 2; "
          + "\(shape[2]) samples give \(frames) frames")
    }
  }

  /// The forward pass: `[B, C, S]` waveforms → `[B, 1, hop·⌊S/hop⌋]` enhanced waveform.
  ///
  /// - Parameter observe: called with the fixture's activation names and values as they are
  ///   computed (`stft_real`, `stft_imag`, `encoder.i`, `decoder.j` before its crop, `conv2d`,
  ///   `linear` in the reference's `[B, C, T, fft]` layout), like PyTorch forward hooks.
  /// - Throws: ``ModelError`` (`wrongInputShape`) for an input the network cannot take.
  public func forward(
    _ input: Tensor<Float>, observe: ((String, Tensor<Float>) -> Void)? = nil
  ) throws -> Tensor<Float> {
    try validate(input: input.shape)
    return try run(input, observe: observe, bottleneck: nil)
  }

  /// The forward pass on a validated input; `bottleneck` (if any) replaces the deepest encoder
  /// output before the decoder (its skip connection keeps the encoder's own value).
  func run(
    _ input: Tensor<Float>, observe: ((String, Tensor<Float>) -> Void)?,
    bottleneck: ((Tensor<Float>) throws -> Tensor<Float>)?
  ) throws -> Tensor<Float> {
    let c = configuration
    let (batch, channels, samples) = (input.shape[0], input.shape[1], input.shape[2])
    let bins = c.validFrequencyCount
    let frames = c.frameCount(samples: samples)
    // [B, C, 2·bins, T]: real rows over imaginary rows, as torch.cat(…, 2) in the reference.
    let features = stft.spectrum(input.reshaped([batch * channels, samples]))
      .reshaped([batch, channels, 2 * bins, frames])
    let real = features.slice(axis: 2, 0..<bins)
    let imag = features.slice(axis: 2, bins..<(2 * bins))
    observe?("stft_real", real)
    observe?("stft_imag", imag)

    var skips: [Tensor<Float>] = []
    var x = features
    for (i, block) in encoder.layers.enumerated() {
      x = block(x)
      observe?("encoder.\(i)", x)
      skips.append(x)
    }
    if let bottleneck { x = try bottleneck(x) }
    for (j, block) in decoder.layers.enumerated() {
      let level = c.levelCount - 1 - j
      if j > 0 { x = Tensor.concatenate([x, skips[level]], axis: 1) }
      x = block(x)
      observe?("decoder.\(j)", x)
      let (sf, st) = c.strides(level)
      x = Self.centreCrop(x, height: skips[level].shape[2] * sf, width: skips[level].shape[3] * st)
    }
    let projected = conv2d(x)
    observe?("conv2d", projected)
    let mixed = linear(projected.permuted([0, 1, 3, 2]))
    observe?("linear", mixed)
    let mask = mixed.permuted([0, 1, 3, 2])
    let maskReal = mask.slice(axis: 2, 0..<bins)
    let maskImag = mask.slice(axis: 2, bins..<(2 * bins))
    // Complex product per channel, then the beamformer's sum over channels: [B, bins, T] each.
    let outReal = (real * maskReal - imag * maskImag).sum(alongAxes: [1])
    let outImag = (real * maskImag + imag * maskReal).sum(alongAxes: [1])
    let spectrum = Tensor.concatenate([outReal, outImag], axis: 1)
    let waveform = try stft.inverse(spectrum)
    return waveform.reshaped([batch, 1, waveform.shape[1]])
  }

  /// `x` `[B, C, H, W]` cut to `[B, C, height, width]`, removing ⌊excess/2⌋ at the start of each
  /// axis and the rest at the end (the reference's `decode_padding_same`).
  static func centreCrop(_ x: Tensor<Float>, height: Int, width: Int) -> Tensor<Float> {
    let (h, w) = (x.shape[2], x.shape[3])
    precondition(h >= height && w >= width, "cannot crop \(x.shape) to \(height)×\(width)")
    var y = x
    if w != width { y = y.slice(axis: 3, (w - width) / 2..<((w - width) / 2 + width)) }
    if h != height { y = y.slice(axis: 2, (h - height) / 2..<((h - height) / 2 + height)) }
    return y
  }
}
