public import NN
import TensorModule

/// The L3DAS Task 2 baseline network (`Seldnet_augmented` / `Seldnet_vanilla`), with PyTorch's
/// module names, so `state_dict` keys are `cnn.i.{0,1}.*`, `rnn.*`, `sed.*` and `doa.*`.
///
/// Input `[B, C, F, T]` (magnitude spectrogram, C = input channels, F = 256 bins); outputs
/// `sed` `[B, T′, classes·overlaps]` in (0, 1) and `doa` `[B, T′, classes·overlaps·3]` in
/// (−1, 1), T′ = T / Π time pools, index layout `class·overlaps + slot` (×3 + xyz for DOA).
public final class SELDnet: Module {
  public typealias Scalar = Float
  public var isTraining = true
  public let configuration: SELDnetConfiguration
  /// One `Sequential(Conv2d 3×3 pad 1, BatchNorm2d, ReLU, MaxPool2d, Dropout)` per block.
  public let cnn: Sequential<Float>
  /// Bidirectional, batch-first GRU over the pooled frames.
  public let rnn: GRU<Float>
  public let sed: Sequential<Float>
  public let doa: Sequential<Float>

  public var ownParameters: [(name: String, tensor: Tensor<Float>)] { [] }
  public var children: [(name: String, module: any Module<Float>)] {
    [("cnn", cnn), ("rnn", rnn), ("sed", sed), ("doa", doa)]
  }

  /// Builds the network with PyTorch's default initialisation drawn from `seed`; dropout masks
  /// come from seeded streams too, so training runs are reproducible.
  public convenience init(_ configuration: SELDnetConfiguration, seed: UInt64 = 0) throws {
    try self.init(configuration, extraHeadFeatures: 0, seed: seed)
  }

  /// The network with heads that take `extraHeadFeatures` more inputs per frame than the GRU
  /// gives (the audio-visual model concatenates its image features there).
  init(_ configuration: SELDnetConfiguration, extraHeadFeatures: Int, seed: UInt64) throws {
    let problems = configuration.problems
    guard problems.isEmpty else {
      throw ModelError(
        .invalidConfiguration, "invalid SELDnet configuration: " + problems.joined(separator: "; "))
    }
    self.configuration = configuration
    var rng = SplitMix64(seed: seed)
    var dropoutSeed = seed &* 0x9E37_79B9_7F4A_7C15
    func nextDropout() -> Dropout<Float> {
      dropoutSeed &+= 1
      return Dropout(probability: configuration.dropoutPerc, seed: dropoutSeed)
    }
    cnn = ConvBlock.stack(
      inChannels: configuration.inputChannels, filters: configuration.cnnFilters,
      pools: configuration.poolSize.indices.map(configuration.pool), using: &rng, dropout: nextDropout)
    dropoutSeed &+= 1
    rnn = GRU(
      inputSize: configuration.recurrentInputSize, hiddenSize: configuration.rnnSize,
      layers: configuration.nRnn, batchFirst: true, dropout: configuration.dropoutPerc,
      bidirectional: true, dropoutSeed: dropoutSeed, using: &rng)
    let (hidden, fc) = (2 * configuration.rnnSize + extraHeadFeatures, configuration.fcSize)
    func head(_ outputs: Int, _ last: any Layer<Float>) -> Sequential<Float> {
      switch configuration.variant {
      case .augmented:
        return Sequential([
          Linear(inFeatures: hidden, outFeatures: fc, using: &rng), ReLU(),
          Linear(inFeatures: fc, outFeatures: fc, using: &rng), ReLU(),
          Linear(inFeatures: fc, outFeatures: fc, using: &rng), ReLU(), nextDropout(),
          Linear(inFeatures: fc, outFeatures: outputs, using: &rng), last,
        ])
      case .vanilla:
        return Sequential([
          Linear(inFeatures: hidden, outFeatures: fc, using: &rng), nextDropout(),
          Linear(inFeatures: fc, outFeatures: outputs, using: &rng), last,
        ])
      }
    }
    sed = head(configuration.sedOutputs, Sigmoid())
    doa = head(configuration.sedOutputs * 3, Tanh())
  }

  /// Checks `input` against the configuration: `[B, input_channels, freq_dim, T]` with T
  /// pooling to at least one frame.
  public func validate(input shape: [Int]) throws {
    let c = configuration
    guard shape.count == 4, shape[0] >= 1, shape[1] == c.inputChannels, shape[2] == c.freqDim,
      c.pooledTime(shape[3]) >= 1
    else {
      throw ModelError(
        .wrongInputShape,
        "SELDnet expects input [batch, \(c.inputChannels), \(c.freqDim), frames] with frames ≥ "
          + "\(c.poolSize.indices.reduce(1) { $0 * c.pool($1).1 }), got \(shape)")
    }
  }

  /// The forward pass: `(sed, doa)`.
  public func forward(_ input: Tensor<Float>) throws -> (sed: Tensor<Float>, doa: Tensor<Float>) {
    try validate(input: input.shape)
    return heads(recurrent(input))
  }

  /// The audio path up to the GRU: `[B, C, F, T]` → `[B, T′, 2·rnn_size]` (input unchecked).
  func recurrent(_ input: Tensor<Float>) -> Tensor<Float> {
    rnn(Self.sequence(cnn(input)))
  }

  /// Both heads on per-frame features `[B, T′, head input]`.
  func heads(_ features: Tensor<Float>) -> (sed: Tensor<Float>, doa: Tensor<Float>) {
    (sed(features), doa(features))
  }

  /// `[B, C, F, T]` → `[B, T, C·F]` with feature index `c·F + f`, the reference's
  /// `permute(0, 3, 1, 2)` and flatten. (The reference reshapes with the stored
  /// `time_dim / Π pools`; this uses the tensor's own frame count.)
  public static func sequence(_ features: Tensor<Float>) -> Tensor<Float> {
    let s = features.shape
    return features.permuted([0, 3, 1, 2]).reshaped([s[0], s[3], s[1] * s[2]])
  }
}
