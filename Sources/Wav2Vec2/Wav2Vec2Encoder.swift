public import NN

/// `wav2vec2.encoder`: positional convolution, transformer layers and the encoder LayerNorm;
/// `[N, T, H]` → `[N, T, H]`.
public final class Wav2Vec2Encoder<Scalar: NNScalar>: Layer {
  public var isTraining = false
  let configuration: Wav2Vec2Configuration
  /// `pos_conv_embed.conv`; its weight is the folded weight norm g·v/‖v‖.
  public let positionalConv: Conv1d<Scalar>
  /// `layer_norm`.
  public let layerNorm: LayerNorm<Scalar>
  /// `layers`.
  public let layers: Sequential<Scalar>

  init(_ c: Wav2Vec2Configuration) {
    configuration = c
    positionalConv = Conv1d(
      weight: zeroTensor([c.hiddenSize, c.hiddenSize / c.positionalGroups, c.positionalKernel]),
      bias: zeroTensor([c.hiddenSize]), padding: c.positionalKernel / 2, groups: c.positionalGroups)
    layerNorm = LayerNorm(normalizedShape: [c.hiddenSize], epsilon: Scalar(c.layerNormEpsilon))
    layers = Sequential((0..<c.layerCount).map { _ in Wav2Vec2EncoderLayer(c) })
  }

  public var ownParameters: [(name: String, tensor: Tensor<Scalar>)] { [] }
  public var children: [(name: String, module: any Module<Scalar>)] {
    [
      ("pos_conv_embed", NamedContainer([("conv", positionalConv)])), ("layer_norm", layerNorm),
      ("layers", layers),
    ]
  }

  /// The positional embedding of `[N, T, H]`: the grouped convolution over time, channels-last,
  /// only its first T frames (transformers' `Wav2Vec2SamePadLayer` drops the last one of an even
  /// kernel), activation.
  func positions(_ h: Tensor<Scalar>) -> Tensor<Scalar> {
    let p = h.groupedConv1dChannelsLast(
      weight: positionalConv.weight, bias: positionalConv.bias, padding: positionalConv.padding,
      groups: positionalConv.groups, frames: h.shape[1])
    if configuration.featureActivation == .gelu, !p.requiresGrad {
      p.formGELU()  // in place on the fresh [N, T, H] output
      return p
    }
    return p.activated(configuration.featureActivation)
  }

  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    let h = input + positions(input)
    if configuration.stableLayerNorm {
      return layerNorm(layers(h))
    }
    return layers(layerNorm(h))
  }
}

/// One transformer layer (`encoder.layers.i`), post-LN or pre-LN as configured.
final class Wav2Vec2EncoderLayer<Scalar: NNScalar>: Layer {
  var isTraining = false
  let stable: Bool
  let heads: Int
  let activation: Wav2Vec2Configuration.Activation
  let query: Linear<Scalar>
  let key: Linear<Scalar>
  let value: Linear<Scalar>
  let output: Linear<Scalar>
  let attentionNorm: LayerNorm<Scalar>
  let intermediate: Linear<Scalar>
  let feedForwardOutput: Linear<Scalar>
  let finalNorm: LayerNorm<Scalar>

  init(_ c: Wav2Vec2Configuration) {
    stable = c.stableLayerNorm
    heads = c.headCount
    activation = c.hiddenActivation
    let h = c.hiddenSize
    query = zeroLinear(h, h)
    key = zeroLinear(h, h)
    value = zeroLinear(h, h)
    output = zeroLinear(h, h)
    attentionNorm = LayerNorm(normalizedShape: [h], epsilon: Scalar(c.layerNormEpsilon))
    intermediate = zeroLinear(h, c.intermediateSize)
    feedForwardOutput = zeroLinear(c.intermediateSize, h)
    finalNorm = LayerNorm(normalizedShape: [h], epsilon: Scalar(c.layerNormEpsilon))
  }

  var ownParameters: [(name: String, tensor: Tensor<Scalar>)] { [] }
  var children: [(name: String, module: any Module<Scalar>)] {
    [
      (
        "attention",
        NamedContainer([("k_proj", key), ("v_proj", value), ("q_proj", query), ("out_proj", output)])
      ),
      ("layer_norm", attentionNorm),
      (
        "feed_forward",
        NamedContainer([("intermediate_dense", intermediate), ("output_dense", feedForwardOutput)])
      ),
      ("final_layer_norm", finalNorm),
    ]
  }

  /// Multi-head self-attention with the output projection.
  func attention(_ h: Tensor<Scalar>) -> Tensor<Scalar> {
    output(Tensor.multiHeadAttention(query: query(h), key: key(h), value: value(h), heads: heads))
  }

  func feedForward(_ h: Tensor<Scalar>) -> Tensor<Scalar> {
    let hidden = intermediate(h)
    if activation == .gelu, !hidden.requiresGrad {
      hidden.formGELU()  // in place on the fresh [N, T, 3072] product
      return feedForwardOutput(hidden)
    }
    return feedForwardOutput(hidden.activated(activation))
  }

  func callAsFunction(_ h: Tensor<Scalar>) -> Tensor<Scalar> {
    if stable {
      let a = h + attention(attentionNorm(h))
      return a + feedForward(finalNorm(a))
    }
    let a = attentionNorm(h + attention(h))
    return finalNorm(a + feedForward(a))
  }
}
