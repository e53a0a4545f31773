public import NN
import TensorModule

/// The L3DAS23 audio-visual Task 2 baseline (`audiovisual_Seldnet_augmented`), with PyTorch's
/// module names: `cnn_audio.i.{0,1}.*`, `cnn_visual.i.{0,1}.*`, `visual_output.0.*`, `rnn.*`,
/// `sed.*`, `doa.*`.
///
/// The audio path is ``SELDnet``'s (CNN and bidirectional GRU, `[B, T′, 2·rnn_size]`). The image
/// `[B, 3, H, W]` in [0, 1] goes through ``ImageBranchConfiguration``'s CNN to `[B, T′, H′, W′]`,
/// is flattened over H′W′ and mapped by `visual_output` to `[B, T′, 2·rnn_size]`: the image CNN's
/// output channels play the part of the time frames. Image features come first in the
/// concatenation that feeds the `sed` and `doa` heads.
public final class AudioVisualSELDnet: Module {
  public typealias Scalar = Float
  public var isTraining = true
  public let configuration: AudioVisualSELDnetConfiguration
  /// The audio CNN, GRU and heads (its heads take the image embedding too).
  let audio: SELDnet
  /// The image CNN (`cnn_visual`).
  public let cnnVisual: Sequential<Float>
  /// `Sequential(Linear(H′W′ → 2·rnn_size))` (`visual_output`).
  public let visualOutput: Sequential<Float>

  public var ownParameters: [(name: String, tensor: Tensor<Float>)] { [] }
  /// PyTorch's registration order.
  public var children: [(name: String, module: any Module<Float>)] {
    [
      ("cnn_audio", audio.cnn), ("cnn_visual", cnnVisual), ("visual_output", visualOutput),
      ("rnn", audio.rnn), ("sed", audio.sed), ("doa", audio.doa),
    ]
  }

  /// Builds the network with PyTorch's default initialisation drawn from `seed`.
  ///
  /// - Throws: ``ModelError`` (`invalidConfiguration`) listing every problem.
  public init(_ configuration: AudioVisualSELDnetConfiguration, seed: UInt64 = 0) throws {
    let problems = configuration.problems
    guard problems.isEmpty else {
      throw ModelError(
        .invalidConfiguration,
        "invalid audio-visual SELDnet configuration: " + problems.joined(separator: "; "))
    }
    self.configuration = configuration
    audio = try SELDnet(
      configuration.audio, extraHeadFeatures: configuration.imageEmbeddingSize, seed: seed)
    var rng = SplitMix64(seed: seed ^ 0x5EED_1A6E)
    cnnVisual = configuration.image.build(
      dropout: configuration.audio.dropoutPerc, seed: seed ^ 0x5EED_1A6E, using: &rng)
    visualOutput = Sequential([
      Linear(
        inFeatures: configuration.image.pooledPixels, outFeatures: configuration.imageEmbeddingSize,
        using: &rng)
    ])
  }

  /// Checks the inputs: audio `[B, input_channels, freq_dim, time_dim]` (exactly `time_dim`
  /// frames: the image branch yields that many pooled frames) and images `[B, 3, H, W]` in [0, 1].
  public func validate(input: Tensor<Float>, images: Tensor<Float>) throws {
    let a = configuration.audio
    guard input.shape.count == 4, input.shape[0] >= 1,
      Array(input.shape.dropFirst()) == [a.inputChannels, a.freqDim, a.timeDim]
    else {
      throw ModelError(
        .wrongInputShape,
        "audio-visual SELDnet expects audio [batch, \(a.inputChannels), \(a.freqDim), \(a.timeDim)] "
          + "(exactly time_dim frames, since the image branch gives \(configuration.frames) frames), got \(input.shape)")
    }
    try configuration.image.validate(images: images, batch: input.shape[0], model: "audio-visual SELDnet")
  }

  /// The forward pass: `(sed, doa)`, as ``SELDnet/forward(_:)`` gives them.
  ///
  /// - Parameter observe: called with the fixture's activation names (`cnn_visual.i`,
  ///   `cnn_audio.i`, `rnn`, `flatten_visual`, `visual_output`), like PyTorch forward hooks.
  public func forward(
    _ input: Tensor<Float>, images: Tensor<Float>, observe: ((String, Tensor<Float>) -> Void)? = nil
  ) throws -> (sed: Tensor<Float>, doa: Tensor<Float>) {
    try validate(input: input, images: images)
    let flat = ImageBranchConfiguration.features(
      cnnVisual, images, name: "cnn_visual", flattenName: "flatten_visual", observe: observe)
    var a = input
    for (i, block) in audio.cnn.layers.enumerated() {
      a = block(a)
      observe?("cnn_audio.\(i)", a)
    }
    let sequence = audio.rnn(SELDnet.sequence(a))
    observe?("rnn", sequence)
    let embedded = visualOutput(flat)
    observe?("visual_output", embedded)
    return audio.heads(Tensor.concatenate([embedded, sequence], axis: 2))
  }
}
