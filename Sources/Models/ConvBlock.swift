import NN
import TensorModule

/// The convolution block the L3DAS SELDnet baselines and both L3DAS23 image branches repeat:
/// `Sequential(Conv2d 3×3 pad 1, BatchNorm2d, ReLU, MaxPool2d(pool), Dropout)`, so the
/// `state_dict` keys of block `i` are `i.0.*` (convolution) and `i.1.*` (BatchNorm).
enum ConvBlock {
  /// One block per `(filters, pool)` pair, `inChannels` in; dropout layers come from `dropout`.
  static func stack(
    inChannels: Int, filters: [Int], pools: [(Int, Int)], using rng: inout SplitMix64,
    dropout: () -> Dropout<Float>
  ) -> Sequential<Float> {
    var blocks: [any Layer<Float>] = []
    var channels = inChannels
    for (count, pool) in zip(filters, pools) {
      blocks.append(
        Sequential<Float>([
          Conv2d(
            inChannels: channels, outChannels: count, kernelSize: (3, 3), padding: Padding2D(1, 1),
            using: &rng),
          BatchNorm2d(features: count), ReLU(), MaxPool2d(kernel: pool), dropout(),
        ]))
      channels = count
    }
    return Sequential(blocks)
  }
}

/// The image branch of the L3DAS23 audio-visual baselines: blocks of ``ConvBlock`` on an RGB
/// image `[B, 3, H, W]`, each pooling both axes by one factor (PyTorch `nn.MaxPool2d(p)`).
/// No pretrained encoder and no normalisation: the official transform is `ToTensor` only.
public struct ImageBranchConfiguration: Sendable, Equatable {
  /// Square max-pool factor per block (`pool_size_visual`).
  public var pools: [Int]
  /// Output channels per block (`cnn_filters_visual`).
  public var filters: [Int]
  /// Image `[height, width]` the network is built for (512 × 512 in L3DAS23).
  public var imageSize: [Int]

  public init(pools: [Int], filters: [Int], imageSize: [Int] = [512, 512]) {
    self.pools = pools
    self.filters = filters
    self.imageSize = imageSize
  }

  /// `(height, width)` after every pool (floor division per block, as MaxPool2d does).
  public var pooledSize: (height: Int, width: Int) {
    guard imageSize.count == 2 else { return (0, 0) }
    return pools.reduce((imageSize[0], imageSize[1])) { size, p in p < 1 ? (0, 0) : (size.0 / p, size.1 / p) }
  }
  /// Pixels per output channel after the last block: the image features' width once flattened.
  public var pooledPixels: Int { pooledSize.height * pooledSize.width }
  /// Channels of the last block.
  public var outputChannels: Int { filters.last ?? 3 }

  /// Every reason this branch cannot be built, in one list (empty when valid).
  public var problems: [String] {
    var out: [String] = []
    if pools.isEmpty || pools.contains(where: { $0 < 1 }) {
      out.append("pool_size_visual needs at least one pool ≥ 1 (got \(pools))")
    }
    if filters.count != pools.count || filters.contains(where: { $0 < 1 }) {
      out.append(
        "cnn_filters_visual needs one positive count per pool_size_visual block (\(pools.count)), got \(filters)")
    }
    if imageSize.count != 2 || imageSize.contains(where: { $0 < 1 }) {
      out.append("image_size must be [height ≥ 1, width ≥ 1] (got \(imageSize))")
    }
    if out.isEmpty && pooledPixels < 1 {
      out.append("image_size \(imageSize) pools to zero pixels through \(pools)")
    }
    return out
  }

  enum CodingKeys: String, CodingKey {
    case pools = "pool_size_visual"
    case filters = "cnn_filters_visual"
    case imageSize = "image_size"
  }

  /// Reads PyTorch's `pool_size_visual` and `cnn_filters_visual` and our `image_size` from the
  /// model's flat argument object; a missing key takes its value from `defaults`.
  init(from decoder: any Decoder, defaults: ImageBranchConfiguration) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    pools = try c.decodeIfPresent([Int].self, forKey: .pools) ?? defaults.pools
    filters = try c.decodeIfPresent([Int].self, forKey: .filters) ?? defaults.filters
    imageSize = try c.decodeIfPresent([Int].self, forKey: .imageSize) ?? defaults.imageSize
  }

  /// Writes the three keys into the model's flat argument object.
  func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(pools, forKey: .pools)
    try c.encode(filters, forKey: .filters)
    try c.encode(imageSize, forKey: .imageSize)
  }

  /// The branch as layers, with PyTorch's initialisation drawn from `rng`; the dropout layers
  /// (probability `dropout`) draw their masks from streams derived from `seed`.
  func build(dropout: Double, seed: UInt64, using rng: inout SplitMix64) -> Sequential<Float> {
    var dropoutSeed = seed &* 0x9E37_79B9_7F4A_7C15
    return ConvBlock.stack(
      inChannels: 3, filters: filters, pools: pools.map { ($0, $0) }, using: &rng
    ) {
      dropoutSeed &+= 1
      return Dropout(probability: dropout, seed: dropoutSeed)
    }
  }

  /// Runs the branch `layers` on `images`, reporting block `i` as `name.i`, and flattens the
  /// result over its pixels: `[B, C′, H′·W′]` (reported as `flattenName`).
  static func features(
    _ layers: Sequential<Float>, _ images: Tensor<Float>, name: String, flattenName: String,
    observe: ((String, Tensor<Float>) -> Void)?
  ) -> Tensor<Float> {
    var x = images
    for (i, block) in layers.layers.enumerated() {
      x = block(x)
      observe?("\(name).\(i)", x)
    }
    let flat = x.reshaped([x.shape[0], x.shape[1], x.shape[2] * x.shape[3]])
    observe?(flattenName, flat)
    return flat
  }

  /// Checks `images` against the branch: `[batch, 3, height, width]` with values in [0, 1].
  func validate(images: Tensor<Float>, batch: Int, model: String) throws {
    let shape = images.shape
    guard shape == [batch, 3] + imageSize else {
      throw ModelError(
        .wrongInputShape,
        "\(model) expects images [\(batch), 3, \(imageSize[0]), \(imageSize[1])] (batch of the audio input, "
          + "RGB, the configured image_size), got \(shape)")
    }
    if let bad = images.scalars.first(where: { !($0 >= 0 && $0 <= 1) }) {
      throw ModelError(
        .wrongInputShape,
        "\(model) expects images scaled to [0, 1] as torchvision's ToTensor gives (divide 8-bit pixels "
          + "by 255); found \(bad)")
    }
  }
}
