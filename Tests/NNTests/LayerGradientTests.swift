import NN
import TensorModule
import Testing

/// Finite-difference checks (Float64) of every layer, through input and parameters.
@Suite("Layer gradients")
struct LayerGradientTests {
  @Test func linear() {
    var rng = SplitMix64(seed: 1)
    let layer = Linear<Double>(inFeatures: 4, outFeatures: 3, using: &rng)
    let x = randomTensor([2, 5, 4], seed: 2)
    checkGradients([x] + layer.parameters()) { layer(x) }
  }

  @Test(arguments: [
    (stride: 1, padding: 0, dilation: 1, groups: 1),
    (stride: 2, padding: 2, dilation: 1, groups: 2),
    (stride: 1, padding: 1, dilation: 2, groups: 4),
  ])
  func conv1d(configuration c: (stride: Int, padding: Int, dilation: Int, groups: Int)) {
    var rng = SplitMix64(seed: 3)
    let layer = Conv1d<Double>(
      inChannels: 4, outChannels: 4, kernelSize: 3, stride: c.stride, padding: c.padding,
      dilation: c.dilation, groups: c.groups, using: &rng)
    let x = randomTensor([2, 4, 11], seed: 4)
    checkGradients([x] + layer.parameters()) { layer(x) }
  }

  @Test func conv2dWithAsymmetricPaddingStrideAndDilation() {
    var rng = SplitMix64(seed: 5)
    let layer = Conv2d<Double>(
      inChannels: 3, outChannels: 2, kernelSize: (3, 2), stride: (2, 1),
      padding: Padding2D(top: 1, bottom: 2, left: 0, right: 1), dilation: (1, 2), using: &rng)
    let x = randomTensor([2, 3, 7, 6], seed: 6)
    checkGradients([x] + layer.parameters()) { layer(x) }
    let pointwise = Conv2d<Double>(inChannels: 3, outChannels: 2, kernelSize: (1, 1), using: &rng)
    checkGradients([x] + pointwise.parameters()) { pointwise(x) }
  }

  @Test func convTranspose2d() {
    var rng = SplitMix64(seed: 7)
    let layer = ConvTranspose2d<Double>(
      inChannels: 3, outChannels: 2, kernelSize: (3, 2), stride: (2, 3), padding: (1, 0),
      using: &rng)
    let x = randomTensor([2, 3, 4, 3], seed: 8)
    checkGradients([x] + layer.parameters()) { layer(x) }
  }

  @Test func batchNormTrainingAndEvaluation() {
    let bn = BatchNorm2d<Double>(features: 3)
    bn.weight.scalars = [0.5, 1.5, -1]
    bn.bias.scalars = [0.1, 0.2, 0.3]
    let x = randomTensor([2, 3, 2, 3], seed: 9)
    checkGradients([x] + bn.parameters()) { bn(x) }
    bn.eval()
    checkGradients([x] + bn.parameters()) { bn(x) }
    let bn1 = BatchNorm1d<Double>(features: 4)
    let y = randomTensor([5, 4], seed: 10)
    checkGradients([y] + bn1.parameters()) { bn1(y) }
  }

  @Test func groupAndLayerNorm() {
    let gn = GroupNorm<Double>(groups: 2, channels: 4, epsilon: 1e-8)
    gn.weight.scalars = [1, 2, 0.5, -1]
    gn.bias.scalars = [0, 0.1, 0.2, 0.3]
    let x = randomTensor([2, 4, 5], seed: 11)
    checkGradients([x] + gn.parameters()) { gn(x) }
    let ln = LayerNorm<Double>(normalizedShape: [5])
    ln.weight.scalars = [1, 2, 3, 4, 5]
    checkGradients([x] + ln.parameters()) { ln(x) }
  }

  @Test func activationsPoolingAndDropout() {
    let x = randomTensor([2, 3, 5, 4], seed: 12)
    let prelu = PReLU<Double>()
    checkGradients([x] + prelu.parameters()) { prelu(x) }
    let perChannel = PReLU<Double>(parameterCount: 3)
    checkGradients([x] + perChannel.parameters()) { perChannel(x) }
    checkGradients([x]) { MaxPool2d<Double>(kernel: (2, 2))(x) }
    checkGradients([x]) { MaxPool2d<Double>(kernel: (3, 1), stride: (1, 1))(x) }
    checkGradients([x]) { Tanh<Double>()(x) + Sigmoid<Double>()(x) + LeakyReLU<Double>(negativeSlope: 0.3)(x) }
    checkGradients([x]) {
      var rng = SplitMix64(seed: 13)
      return x.dropout(probability: 0.3, training: true, using: &rng)
    }
  }

  @Test func lstmBidirectionalTwoLayers() {
    var rng = SplitMix64(seed: 14)
    let lstm = LSTM<Double>(
      inputSize: 3, hiddenSize: 4, layers: 2, batchFirst: true, bidirectional: true, using: &rng)
    let x = randomTensor([2, 5, 3], seed: 15)
    checkGradients([x] + lstm.parameters(), maxChecks: 20) { lstm(x) }
    checkGradients([x] + lstm.parameters(), maxChecks: 20) { lstm.run(x).hidden }
  }

  @Test func gruBidirectionalTwoLayersTimeFirst() {
    var rng = SplitMix64(seed: 16)
    let gru = GRU<Double>(
      inputSize: 3, hiddenSize: 4, layers: 2, batchFirst: false, bidirectional: true, using: &rng)
    let x = randomTensor([5, 2, 3], seed: 17)
    checkGradients([x] + gru.parameters(), maxChecks: 20) { gru(x) }
    checkGradients([x] + gru.parameters(), maxChecks: 20) { gru.run(x).hidden }
    let single = GRU<Double>(inputSize: 3, hiddenSize: 2, bias: false, using: &rng)
    checkGradients([x] + single.parameters()) { single(x) }
  }

  @Test func losses() {
    let p = randomTensor([3, 4], seed: 18)
    let t = randomTensor([3, 4], seed: 19, requiresGrad: false)
    checkGradients([p]) { l1Loss(p, t) }
    checkGradients([p]) { mseLoss(p, t) }
    let probability = p.sigmoid().detached()
    probability.setRequiresGrad(true)
    let target = (t + 1) / 2
    checkGradients([probability]) { bceLoss(probability, target) }
  }
}
