/// The constructor arguments of the L3DAS23 audio-visual Task 1 baseline
/// `audiovisual_MIMO_UNet_Beamforming` (L3DAS23 models/MMUB.py), as data: MIMO U-Net's
/// arguments plus the image branch's.
///
/// JSON keys are PyTorch's argument names (`fft_size`, …, `pool_size_visual`,
/// `cnn_filters_visual`, `dropout_visual`), plus `image_size` and `samples`, which the reference
/// does not have: it hard-codes `Linear(64, 2400)` and `view(B, 256, 32, 75)`, so it runs only on
/// images pooling to 64 pixels, a last image block of 256 channels and a 32 × 75 bottleneck
/// (76,672-sample inputs at the default STFT). Here those sizes are computed from `image_size`,
/// `cnn_filters_visual` and `samples`.
public struct AudioVisualMIMOUNetConfiguration: Codable, Sendable, Equatable {
  /// The audio U-Net.
  public var audio: MIMOUNetConfiguration
  /// The image CNN (`visual_feature_extractor`).
  public var image: ImageBranchConfiguration
  /// Dropout probability of every image block (`dropout_visual`).
  public var dropoutVisual: Double
  /// Input samples per channel: the image features are mapped onto the bottleneck of exactly
  /// this length.
  public var samples: Int

  public init(
    audio: MIMOUNetConfiguration, image: ImageBranchConfiguration, dropoutVisual: Double = 0.3,
    samples: Int = 76_672
  ) {
    self.audio = audio
    self.image = image
    self.dropoutVisual = dropoutVisual
    self.samples = samples
  }

  /// The official L3DAS23 model: the L3DAS22 U-Net on 76,672-sample segments (600 frames),
  /// 6 image blocks to 256 channels on 512² images, image dropout 0.3.
  public static let l3das23 = AudioVisualMIMOUNetConfiguration(
    audio: .l3das22,
    image: ImageBranchConfiguration(pools: [2, 2, 2, 2, 2, 2], filters: [32, 32, 64, 128, 128, 256]))

  /// `(frequency rows, frames)` of the deepest encoder output for `samples`-long inputs.
  public var bottleneck: (rows: Int, frames: Int) {
    let (fs, ts) = (max(audio.frequencyStrideProduct, 1), max(audio.timeStrideProduct, 1))
    return (audio.featureRowCount / fs, audio.frameCount(samples: samples) / ts)
  }

  /// Every reason this configuration cannot build a network, in one list (empty when valid).
  public var problems: [String] {
    var out = audio.problems + image.problems
    if !(0..<1).contains(dropoutVisual) {
      out.append("dropout_visual must be in [0, 1) (got \(dropoutVisual))")
    }
    if samples < 1 { out.append("samples must be ≥ 1 (got \(samples))") }
    if out.isEmpty {
      let frames = audio.frameCount(samples: samples)
      if frames % audio.timeStrideProduct != 0 || frames < 2 {
        out.append(
          "samples \(samples) give \(frames) frames, which must be at least 2 and a multiple of "
            + "\(audio.timeStrideProduct) (the product of the time strides)")
      }
    }
    return out
  }

  enum CodingKeys: String, CodingKey {
    case dropoutVisual = "dropout_visual"
    case samples
  }

  /// Decodes our own files and PyTorch's constructor arguments (missing ones take PyTorch's
  /// constructor defaults; `image_size` 512 × 512, `samples` 76,672).
  public init(from decoder: any Decoder) throws {
    audio = try MIMOUNetConfiguration(from: decoder)
    image = try ImageBranchConfiguration(from: decoder, defaults: Self.l3das23.image)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    dropoutVisual = try c.decodeIfPresent(Double.self, forKey: .dropoutVisual) ?? Self.l3das23.dropoutVisual
    samples = try c.decodeIfPresent(Int.self, forKey: .samples) ?? Self.l3das23.samples
  }

  public func encode(to encoder: any Encoder) throws {
    try audio.encode(to: encoder)
    try image.encode(to: encoder)
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(dropoutVisual, forKey: .dropoutVisual)
    try c.encode(samples, forKey: .samples)
  }
}
