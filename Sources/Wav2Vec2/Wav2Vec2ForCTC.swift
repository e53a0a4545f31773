public import NN
import TensorModule

/// wav2vec 2.0 with a CTC head, transformers' `Wav2Vec2ForCTC` (and the official scorer's
/// `Wav2Vec2ForMaskedLM`, the same network) for inference and as a differentiable model.
///
/// Baevski et al., "wav2vec 2.0: A Framework for Self-Supervised Learning of Speech
/// Representations", NeurIPS 2020. Parameters carry transformers' `state_dict` names
/// (`wav2vec2.feature_extractor.conv_layers.0.conv.weight`, …, `lm_head.weight`); the
/// positional convolution's weight is stored folded (see ``load(from:)``).
///
/// Layout: input `[N, L]` samples (normalised, see ``Wav2Vec2Tokenizer``) → logits
/// `[N, T, V]` with T = ``Wav2Vec2Configuration/frameCount(samples:)``.
/// 1. Feature encoder: per configured layer, Conv1d (no padding) → norm → activation; the norm
///    is GroupNorm(C groups) after layer 0 only (`group`), or LayerNorm over channels after
///    every layer (`layer`).
/// 2. Feature projection: LayerNorm(C) → Linear(C → H).
/// 3. Positional embedding: Conv1d(H → H, K, padding K/2, G groups) over time, the last frame
///    dropped when K is even, activation; added to the features.
/// 4. Encoder: post-LN (`h = LN(h + pos)`, then per layer `h = LN(h + Attn(h))`,
///    `h = LN(h + FFN(h))`) or pre-LN (`h = h + pos`; `h = h + Attn(LN(h))`,
///    `h = h + FFN(LN(h))`; a final LN).
/// 5. `lm_head`: Linear(H → V).
///
/// Without a recorded graph (``withNoGrad(_:)``, or parameters that do not require gradients
/// as after ``load(from:)``) nothing is kept for backward and the attention is streamed.
public final class Wav2Vec2ForCTC<Scalar: NNScalar>: Module {
  public var isTraining = false
  /// The architecture.
  public let configuration: Wav2Vec2Configuration
  /// `wav2vec2`: the feature encoder, the feature projection and the transformer.
  public let backbone: Wav2Vec2Backbone<Scalar>
  /// `lm_head`.
  public let head: Linear<Scalar>

  /// A model whose parameters are all zero, to be filled by ``load(from:)`` (nothing is drawn:
  /// 94 M parameters cost only their allocation). Parameters do not require gradients (mark them
  /// with `setRequiresGrad(true)` to train).
  public init(_ configuration: Wav2Vec2Configuration) {
    self.configuration = configuration
    backbone = Wav2Vec2Backbone(configuration)
    head = zeroLinear(configuration.hiddenSize, configuration.vocabularySize)
    for parameter in parameters() { parameter.setRequiresGrad(false) }
  }

  /// A model with seeded random parameters: U(−1/√fanIn, 1/√fanIn) for every weight and bias
  /// (PyTorch's default for Linear and Conv1d; fanIn from the weight's shape), norms at weight 1
  /// and bias 0. For benchmarks and tests.
  public convenience init(_ configuration: Wav2Vec2Configuration, seed: UInt64) {
    self.init(configuration)
    var rng = SplitMix64(seed: seed)
    var bound = 1.0
    for (name, tensor) in namedParameters() {
      let isNorm = name.contains("norm")
      if tensor.rank >= 2 { bound = 1 / Double(tensor.shape.dropFirst().reduce(1, *)).squareRoot() }
      if isNorm {
        tensor.scalars = [Scalar](repeating: name.hasSuffix("weight") ? 1 : 0, count: tensor.count)
        continue
      }
      // Draws in registration order; a bias takes the bound of the weight before it.
      tensor.scalars = uniformValues(count: tensor.count, bound: bound, using: &rng)
    }
  }

  public var ownParameters: [(name: String, tensor: Tensor<Scalar>)] { [] }
  public var children: [(name: String, module: any Module<Scalar>)] {
    [("wav2vec2", backbone), ("lm_head", head)]
  }

  /// The CTC logits `[N, T, V]` of normalised input `[N, L]`.
  public func logits(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    head(backbone(input))
  }
}

/// `wav2vec2`: everything before the CTC head; `[N, L]` → hidden states `[N, T, H]`.
public final class Wav2Vec2Backbone<Scalar: NNScalar>: Layer {
  public var isTraining = false
  let configuration: Wav2Vec2Configuration
  /// `feature_extractor.conv_layers`.
  public let featureEncoder: Sequential<Scalar>
  /// `feature_projection.layer_norm`.
  public let projectionNorm: LayerNorm<Scalar>
  /// `feature_projection.projection`.
  public let projection: Linear<Scalar>
  /// `encoder`.
  public let encoder: Wav2Vec2Encoder<Scalar>

  init(_ c: Wav2Vec2Configuration) {
    configuration = c
    featureEncoder = Sequential(c.convolutionChannels.indices.map { Wav2Vec2ConvLayer(c, index: $0) })
    let channels = c.convolutionChannels.last ?? 1
    projectionNorm = LayerNorm(normalizedShape: [channels], epsilon: Scalar(c.layerNormEpsilon))
    projection = zeroLinear(channels, c.hiddenSize)
    encoder = Wav2Vec2Encoder(c)
  }

  public var ownParameters: [(name: String, tensor: Tensor<Scalar>)] { [] }
  public var children: [(name: String, module: any Module<Scalar>)] {
    [
      ("feature_extractor", NamedContainer([("conv_layers", featureEncoder)])),
      ("feature_projection", NamedContainer([("layer_norm", projectionNorm), ("projection", projection)])),
      ("encoder", encoder),
    ]
  }

  /// Hidden states `[N, T, H]` of input `[N, L]`.
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    precondition(input.rank == 2, "wav2vec2 takes [N, samples], got \(input.shape)")
    // Channels-last throughout: [N, L, 1] → [N, T, C] (the feature encoder's convolutions are
    // GEMMs on strided views of their input, with no unfolding and no transposes).
    let features = featureEncoder(input.reshaped([input.shape[0], input.shape[1], 1]))
    return encoder(projection(projectionNorm(features)))
  }
}

/// A module that only groups named children (PyTorch modules that exist for their names).
final class NamedContainer<Scalar: NNScalar>: Module {
  var isTraining = false
  let children: [(name: String, module: any Module<Scalar>)]
  init(_ children: [(name: String, module: any Module<Scalar>)]) { self.children = children }
  var ownParameters: [(name: String, tensor: Tensor<Scalar>)] { [] }
}

/// One feature-encoder layer: `conv` → optional `layer_norm` (GroupNorm over time or LayerNorm
/// over channels) → activation, on channels-last sequences: `[N, L, Cin]` →
/// `[N, ⌊(L − k)/s⌋ + 1, C]`.
final class Wav2Vec2ConvLayer<Scalar: NNScalar>: Layer {
  var isTraining = false
  let conv: Conv1d<Scalar>
  let groupNorm: GroupNorm<Scalar>?
  let layerNorm: LayerNorm<Scalar>?
  let activation: Wav2Vec2Configuration.Activation

  init(_ c: Wav2Vec2Configuration, index i: Int) {
    let inChannels = i == 0 ? 1 : c.convolutionChannels[i - 1]
    let channels = c.convolutionChannels[i]
    conv = Conv1d(
      weight: zeroTensor([channels, inChannels, c.convolutionKernels[i]]),
      bias: c.convolutionBias ? zeroTensor([channels]) : nil, stride: c.convolutionStrides[i])
    switch c.featureNorm {
    case .group:
      groupNorm = i == 0 ? GroupNorm(groups: channels, channels: channels) : nil
      layerNorm = nil
    case .layer:
      groupNorm = nil
      layerNorm = LayerNorm(normalizedShape: [channels])
    }
    activation = c.featureActivation
  }

  var ownParameters: [(name: String, tensor: Tensor<Scalar>)] { [] }
  var children: [(name: String, module: any Module<Scalar>)] {
    var result: [(name: String, module: any Module<Scalar>)] = [("conv", conv)]
    if let groupNorm { result.append(("layer_norm", groupNorm)) }
    if let layerNorm { result.append(("layer_norm", layerNorm)) }
    return result
  }

  func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    var x = input.conv1dChannelsLast(weight: conv.weight, bias: conv.bias, stride: conv.stride)
    // Inference in Float works in place on the fresh convolution output (a copy less of the
    // largest activations: 196 MB for layer 0 on 30 s of audio).
    let inPlace = Scalar.self == Float.self && !x.requiresGrad
    if let groupNorm {
      if inPlace {
        x.formChannelGroupNormChannelsLast(weight: groupNorm.weight, bias: groupNorm.bias, epsilon: groupNorm.epsilon)
      } else {
        x = x.channelGroupNormChannelsLast(weight: groupNorm.weight, bias: groupNorm.bias, epsilon: groupNorm.epsilon)
      }
    }
    if let layerNorm { x = layerNorm(x) }
    if inPlace, activation == .gelu {
      x.formGELU()
      return x
    }
    return x.activated(activation)
  }
}

/// `count` draws of U(−bound, bound) from the top 53 bits of each SplitMix64 output.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func uniformValues<Scalar: NNScalar>(count: Int, bound: Double, using rng: inout SplitMix64) -> [Scalar] {
  [Scalar](unsafeUninitializedCapacity: count) { buffer, initialized in
    for i in 0..<count { buffer[i] = Scalar((Double(rng.next() >> 11) * 0x1p-53 * 2 - 1) * bound) }
    initialized = count
  }
}

/// A Linear layer of zeros (`[out, in]` weight, `[out]` bias), to be loaded.
func zeroLinear<Scalar: NNScalar>(_ inFeatures: Int, _ outFeatures: Int) -> Linear<Scalar> {
  Linear(weight: zeroTensor([outFeatures, inFeatures]), bias: zeroTensor([outFeatures]))
}

/// A tensor of zeros, allocated without a per-element generic fill (94 M parameters).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func zeroTensor<Scalar: NNScalar>(_ shape: [Int]) -> Tensor<Scalar> {
  let count = shape.reduce(1, *)
  return Tensor(
    shape: shape,
    scalars: [Scalar](unsafeUninitializedCapacity: count) { buffer, initialized in
      UnsafeMutableRawBufferPointer(buffer).initializeMemory(as: UInt8.self, repeating: 0)
      initialized = count
    })
}

extension Tensor {
  /// The activation named by a wav2vec2 configuration.
  func activated(_ activation: Wav2Vec2Configuration.Activation) -> Tensor {
    switch activation {
    case .gelu: return gelu()
    case .relu: return relu()
    case .silu: return self * sigmoid()
    case .geluTanh:
      // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
      let inner = (self + self * self * self * Scalar(0.044715)) * Scalar((2 / Double.pi).squareRoot())
      return self * (inner.tanh() + Scalar(1)) * Scalar(0.5)
    }
  }
}
