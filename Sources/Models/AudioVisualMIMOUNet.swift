public import NN
import TensorModule

/// The L3DAS23 audio-visual Task 1 baseline (`audiovisual_MIMO_UNet_Beamforming`), with
/// PyTorch's module names: `visual_feature_extractor.i.{0,1}.*`, `visual_linear.*`, then
/// ``MIMOUNet``'s `encoder.*`, `decoder.*`, `conv2d.*`, `linear.*`.
///
/// The image `[B, 3, H, W]` in [0, 1] goes through ``ImageBranchConfiguration``'s CNN to
/// `[B, C′, H′, W′]`, is flattened over H′W′, mapped by `visual_linear` onto the bottleneck's
/// rows × frames and viewed as `[B, C′, rows, frames]`; it is concatenated on channels after the
/// deepest encoder output (the first decoder level takes `unet_channel[-1]` + C′ channels). The
/// skip connections and everything else are MIMO U-Net's, so the output is
/// `[B, 1, hop·⌊S/hop⌋]`.
public final class AudioVisualMIMOUNet: Module {
  public typealias Scalar = Float
  public var isTraining = true
  public let configuration: AudioVisualMIMOUNetConfiguration
  /// The audio U-Net (its first decoder level takes the image channels too).
  let audio: MIMOUNet
  /// The image CNN (`visual_feature_extractor`).
  public let visualFeatureExtractor: Sequential<Float>
  /// `Linear(H′W′ → rows·frames)` (`visual_linear`).
  public let visualLinear: Linear<Float>

  public var ownParameters: [(name: String, tensor: Tensor<Float>)] { [] }
  /// PyTorch's registration order.
  public var children: [(name: String, module: any Module<Float>)] {
    [("visual_feature_extractor", visualFeatureExtractor), ("visual_linear", visualLinear)]
      + audio.children
  }

  /// Builds the network with PyTorch's default initialisation drawn from `seed`.
  ///
  /// - Throws: ``ModelError`` (`invalidConfiguration`) listing every problem.
  public init(_ configuration: AudioVisualMIMOUNetConfiguration, seed: UInt64 = 0) throws {
    let problems = configuration.problems
    guard problems.isEmpty else {
      throw ModelError(
        .invalidConfiguration,
        "invalid audio-visual MIMO U-Net configuration: " + problems.joined(separator: "; "))
    }
    self.configuration = configuration
    audio = try MIMOUNet(
      configuration.audio, bottleneckExtraChannels: configuration.image.outputChannels, seed: seed)
    var rng = SplitMix64(seed: seed ^ 0x5EED_1A6E)
    visualFeatureExtractor = configuration.image.build(
      dropout: configuration.dropoutVisual, seed: seed ^ 0x5EED_1A6E, using: &rng)
    let (rows, frames) = configuration.bottleneck
    visualLinear = Linear(
      inFeatures: configuration.image.pooledPixels, outFeatures: rows * frames, using: &rng)
  }

  /// Checks the inputs: waveforms `[B, input_channel, samples]` (exactly the configured
  /// `samples`) and images `[B, 3, H, W]` in [0, 1].
  public func validate(input: Tensor<Float>, images: Tensor<Float>) throws {
    let c = configuration
    guard input.shape.count == 3, input.shape[0] >= 1,
      Array(input.shape.dropFirst()) == [c.audio.inputChannel, c.samples]
    else {
      throw ModelError(
        .wrongInputShape,
        "audio-visual MIMO U-Net expects waveforms [batch, \(c.audio.inputChannel), \(c.samples)] "
          + "(exactly `samples`, as the image features are mapped onto a bottleneck of "
          + "\(c.bottleneck.rows) × \(c.bottleneck.frames)), got \(input.shape)")
    }
    try c.image.validate(images: images, batch: input.shape[0], model: "audio-visual MIMO U-Net")
  }

  /// The forward pass: waveforms and images → `[B, 1, hop·⌊S/hop⌋]` enhanced waveform.
  ///
  /// - Parameter observe: called with the fixture's activation names
  ///   (`visual_feature_extractor.i`, `visual_flatten`, then ``MIMOUNet``'s), like PyTorch
  ///   forward hooks.
  public func forward(
    _ input: Tensor<Float>, images: Tensor<Float>, observe: ((String, Tensor<Float>) -> Void)? = nil
  ) throws -> Tensor<Float> {
    try validate(input: input, images: images)
    let flat = ImageBranchConfiguration.features(
      visualFeatureExtractor, images, name: "visual_feature_extractor", flattenName: "visual_flatten",
      observe: observe)
    let (rows, frames) = configuration.bottleneck
    let visual = visualLinear(flat).reshaped([flat.shape[0], flat.shape[1], rows, frames])
    return try audio.run(input, observe: observe) { encoded in
      Tensor.concatenate([encoded, visual], axis: 1)
    }
  }
}
