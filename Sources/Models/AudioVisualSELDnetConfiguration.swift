/// The constructor arguments of the L3DAS23 audio-visual Task 2 baseline
/// `audiovisual_Seldnet_augmented` (L3DAS23 models/SELDNet.py), as data: SELDnet-augmented's
/// arguments plus the image branch's.
///
/// JSON keys are PyTorch's argument names (`time_dim`, …, `pool_size_visual`,
/// `cnn_filters_visual`), plus `image_size`, which the reference does not have: it hard-codes
/// `Linear(256, 512)`, so only images pooling to 256 pixels run there. Here the image features'
/// width is computed from `image_size`, and the image embedding has 2 × `rnn_size` features
/// (the reference's 512 with its default `rnn_size` 256; its heads take `rnn_size` × 4 inputs,
/// which is 512 + 2 × `rnn_size` only for 256).
public struct AudioVisualSELDnetConfiguration: Codable, Sendable, Equatable {
  /// The audio path and the heads: SELDnet-augmented (the variant must be `augmented`).
  public var audio: SELDnetConfiguration
  /// The image CNN; its last block's channel count must equal the pooled frame count, because
  /// image channel `c` is joined to output frame `c`.
  public var image: ImageBranchConfiguration

  public init(audio: SELDnetConfiguration, image: ImageBranchConfiguration) {
    self.audio = audio
    self.image = image
  }

  /// The official L3DAS23 model as `train_baseline_task2.py` builds it: 30 s (2400 STFT frames,
  /// 300 label frames), fc 2048, dropout 0.1, 5 image blocks to 300 channels on 512² images.
  public static let l3das23 = AudioVisualSELDnetConfiguration(
    audio: SELDnetConfiguration(variant: .augmented, timeDim: 2400, fcSize: 2048, dropoutPerc: 0.1),
    image: ImageBranchConfiguration(pools: [2, 2, 2, 2, 2], filters: [32, 32, 64, 128, 300]))

  /// Output frames (the GRU's sequence length).
  public var frames: Int { audio.pooledTime(audio.timeDim) }
  /// Width of the image embedding (`visual_output`): 2 × `rnn_size`.
  public var imageEmbeddingSize: Int { 2 * audio.rnnSize }

  /// Every reason this configuration cannot build a network, in one list (empty when valid).
  public var problems: [String] {
    var out = audio.problems + image.problems
    if audio.variant != .augmented {
      out.append("the audio-visual SELDnet is built on Seldnet_augmented, not \(audio.variant)")
    }
    if out.isEmpty && image.outputChannels != frames {
      out.append(
        "cnn_filters_visual must end with the pooled frame count \(frames) (time_dim \(audio.timeDim) "
          + "through pool_size), because image channel c joins output frame c; got \(image.outputChannels)")
    }
    return out
  }

  /// Decodes our own files and PyTorch's constructor arguments (missing ones take PyTorch's
  /// constructor defaults; `image_size` defaults to 512 × 512).
  public init(from decoder: any Decoder) throws {
    audio = try SELDnetConfiguration(from: decoder)
    image = try ImageBranchConfiguration(from: decoder, defaults: Self.l3das23.image)
  }

  public func encode(to encoder: any Encoder) throws {
    try audio.encode(to: encoder)
    try image.encode(to: encoder)
  }
}
