import Foundation
import NN
import TensorModule
import Testing

/// PyTorch behaviours checked with hand-computed values.
@Suite("PyTorch semantics")
struct SemanticsTests {
  @Test func batchNormUpdatesRunningStatisticsWithUnbiasedVariance() {
    let bn = BatchNorm1d<Double>(features: 1)
    let x = Tensor<Double>(shape: [4, 1], scalars: [1, 2, 3, 6])  // mean 3, biased var 3.5
    let y = bn(x)
    let invStd = 1 / (3.5 + 1e-5).squareRoot()
    #expect(isClose(y.scalars, [-2, -1, 0, 3].map { $0 * invStd }))
    #expect(isClose(bn.runningMean.scalars, [0.3]))
    #expect(isClose(bn.runningVariance.scalars, [0.9 + 0.1 * 14.0 / 3]))  // unbiased 14/3
    #expect(bn.batchesTracked.scalars == [1])
    bn.eval()
    let z = bn(Tensor(shape: [1, 1], scalars: [1.3]))
    #expect(isClose(z.scalars, [1.0 / (0.9 + 1.4 / 3 + 1e-5).squareRoot()]))
    #expect(bn.batchesTracked.scalars == [1])
  }

  @Test func groupNormUsesWholeSampleStatistics() {
    let gn = GroupNorm<Double>(groups: 1, channels: 2, epsilon: 1e-8)
    gn.weight.scalars = [1, 2]
    gn.bias.scalars = [0, 1]
    let y = gn(Tensor(shape: [1, 2, 2], scalars: [0, 2, 4, 6]))  // mean 3, var 5
    let s = 1 / (5 + 1e-8).squareRoot()
    #expect(isClose(y.scalars, [-3 * s, -1 * s, 2 * s + 1, 6 * s + 1]))
  }

  @Test func maxPoolFloorModeAndFirstMaximumTies() {
    let x = Tensor<Double>(
      shape: [1, 1, 3, 5], scalars: [1, 5, 5, 0, 9, 2, 3, 1, 5, 9, 7, 7, 7, 7, 7], requiresGrad: true)
    let y = x.maxPool2d(kernel: (2, 2))
    #expect(y.shape == [1, 1, 1, 2])  // last row and column dropped
    #expect(y.scalars == [5, 5])
    y.sum().backward()
    #expect(x.grad == [0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
  }

  @Test func dropoutScalesSurvivorsAndIsIdentityInEvaluation() {
    let drop = Dropout<Double>(probability: 0.25, seed: 5)
    let x = Tensor<Double>(repeating: 1, shape: [10_000])
    let y = drop(x)
    #expect(Set(y.scalars).isSubset(of: [0, 4.0 / 3]))
    let kept = Double(y.scalars.filter { $0 != 0 }.count) / 10_000
    #expect(abs(kept - 0.75) < 0.02)
    drop.eval()
    #expect(drop(x).scalars == x.scalars)
  }

  @Test func preluAndLeakyReLU() {
    let x = Tensor<Double>(shape: [4], scalars: [-2, -0.5, 0, 3])
    #expect(PReLU<Double>()(x).scalars == [-0.5, -0.125, 0, 3])
    #expect(isClose(LeakyReLU<Double>(negativeSlope: 0.3)(x).scalars, [-0.6, -0.15, 0, 3]))
  }

  @Test func gruStepMatchesTheGateEquations() {
    var rng = SplitMix64(seed: 1)
    let gru = GRU<Double>(inputSize: 1, hiddenSize: 1, layers: 1, batchFirst: true, using: &rng)
    let p = Dictionary(uniqueKeysWithValues: gru.namedParameters().map { ($0.name, $0.tensor) })
    p["weight_ih_l0"]!.scalars = [0.1, 0.2, 0.3]  // r, z, n
    p["weight_hh_l0"]!.scalars = [0.4, 0.5, 0.6]
    p["bias_ih_l0"]!.scalars = [0.01, 0.02, 0.03]
    p["bias_hh_l0"]!.scalars = [0.04, 0.05, 0.06]
    let x = Tensor<Double>(shape: [1, 2, 1], scalars: [1, -2])
    func sigmoid(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
    var h = 0.0
    var expected: [Double] = []
    for xt in [1.0, -2.0] {
      let r = sigmoid(0.1 * xt + 0.01 + 0.4 * h + 0.04)
      let z = sigmoid(0.2 * xt + 0.02 + 0.5 * h + 0.05)
      let n = tanh(0.3 * xt + 0.03 + r * (0.6 * h + 0.06))  // b_hn inside the reset product
      h = (1 - z) * n + z * h
      expected.append(h)
    }
    let (out, hidden) = gru.run(x)
    #expect(isClose(out.scalars, expected))
    #expect(isClose(hidden.scalars, [expected[1]]))
    #expect(
      gru.stateDict().map(\.name) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"])
  }

  @Test func lstmStepMatchesTheGateEquationsInBothDirections() {
    var rng = SplitMix64(seed: 2)
    let lstm = LSTM<Double>(inputSize: 1, hiddenSize: 1, batchFirst: true, bidirectional: true, using: &rng)
    #expect(
      lstm.stateDict().map(\.name) == [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse",
        "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
      ])
    for (_, t) in lstm.namedParameters() {
      t.scalars = [0.1, 0.2, 0.3, 0.4].prefix(t.count).map { $0 }  // i, f, g, o
    }
    func sigmoid(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
    func run(_ xs: [Double]) -> [Double] {
      var (h, c) = (0.0, 0.0)
      var out: [Double] = []
      for x in xs {
        let pre = [0.1, 0.2, 0.3, 0.4].map { $0 * x + $0 * h + 2 * $0 }
        let (i, f, g, o) = (sigmoid(pre[0]), sigmoid(pre[1]), tanh(pre[2]), sigmoid(pre[3]))
        c = f * c + i * g
        h = o * tanh(c)
        out.append(h)
      }
      return out
    }
    let xs = [0.5, -1.0, 2.0]
    let forward = run(xs)
    let backward = Array(run(xs.reversed()).reversed())  // reverse output stored at its own t
    let out = lstm(Tensor(shape: [1, 3, 1], scalars: xs))
    #expect(isClose(out.scalars, zip(forward, backward).flatMap { [$0, $1] }))
  }

  @Test func rnnInterLayerDropoutOnlyInTraining() {
    var rng = SplitMix64(seed: 3)
    let gru = GRU<Double>(inputSize: 2, hiddenSize: 3, layers: 2, batchFirst: true, dropout: 0.5, using: &rng)
    let x = randomTensor([2, 4, 2], seed: 4, requiresGrad: false)
    let a = gru(x)
    let b = gru(x)
    #expect(a.scalars != b.scalars)  // fresh masks between the layers
    gru.eval()
    #expect(gru(x).scalars == gru(x).scalars)
  }

  @Test func lossesAreMeanReducedAndBCEClampsTheLog() {
    let p = Tensor<Double>(shape: [4], scalars: [0, 1, 0.5, 0.25])
    let t = Tensor<Double>(shape: [4], scalars: [1, 1, 0, 0.5])
    #expect(isClose([l1Loss(p, t).item], [(1 + 0 + 0.5 + 0.25) / 4]))
    #expect(isClose([mseLoss(p, t).item], [(1 + 0 + 0.25 + 0.0625) / 4]))
    let expected = (100 + 0 + -log(0.5) + -(0.5 * log(0.25) + 0.5 * log(0.75))) / 4
    #expect(isClose([bceLoss(p, t).item], [expected]))
  }

  @Test func defaultInitialisationBounds() {
    var rng = SplitMix64(seed: 6)
    let conv = Conv2d<Float>(inChannels: 4, outChannels: 8, kernelSize: (3, 3), using: &rng)
    let bound = 1 / Float(36).squareRoot()
    #expect(conv.weight.scalars.allSatisfy { abs($0) <= bound })
    #expect(conv.weight.scalars.map { abs($0) }.max()! > 0.9 * bound)
    #expect(conv.bias!.scalars.allSatisfy { abs($0) <= bound })
    let deconv = ConvTranspose2d<Float>(inChannels: 2, outChannels: 5, kernelSize: (2, 2), using: &rng)
    #expect(deconv.weight.shape == [2, 5, 2, 2])
    #expect(deconv.weight.scalars.allSatisfy { abs($0) <= 1 / Float(20).squareRoot() })
    let gru = GRU<Float>(inputSize: 3, hiddenSize: 16, using: &rng)
    #expect(gru.parameters().allSatisfy { $0.scalars.allSatisfy { abs($0) <= 0.25 } })
    let bn = BatchNorm2d<Float>(features: 3)
    #expect(bn.stateDict().map(\.name) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"])
  }

  @Test func adamMatchesPyTorchUpdateRule() {
    let p = Tensor<Double>(shape: [2], scalars: [1, -2], requiresGrad: true)
    let adam = Adam(parameters: [p], learningRate: 0.1, weightDecay: 0.01)
    var (m, v, value) = ([0.0, 0.0], [0.0, 0.0], [1.0, -2.0])
    for step in 1...3 {
      adam.zeroGrad()
      (p * p * p).sum().backward()  // gradient 3p²
      adam.step()
      for i in 0..<2 {
        let g = 3 * value[i] * value[i] + 0.01 * value[i]
        m[i] = 0.9 * m[i] + 0.1 * g
        v[i] = 0.999 * v[i] + 0.001 * g * g
        let denominator = v[i].squareRoot() / (1 - pow(0.999, Double(step))).squareRoot() + 1e-8
        value[i] -= 0.1 / (1 - pow(0.9, Double(step))) * m[i] / denominator
      }
      #expect(isClose(p.scalars, value))
    }
  }

  @Test func gradientClippingByTotalNorm() {
    let a = Tensor<Double>(shape: [2], scalars: [0, 0], requiresGrad: true)
    let b = Tensor<Double>(shape: [1], scalars: [0], requiresGrad: true)
    a.grad = [3, 0]
    b.grad = [4]
    let norm = clipGradientNorm([a, b], maxNorm: 1)
    #expect(norm == 5)
    let c = 1 / (5 + 1e-6)
    #expect(isClose(a.grad!, [3 * c, 0]))
    #expect(isClose(b.grad!, [4 * c]))
    #expect(clipGradientNorm([a, b], maxNorm: 10) < 1.0001)
    #expect(isClose(b.grad!, [4 * c]))  // below the limit: unchanged
  }

  @Test func nestedStateDictNames() {
    var rng = SplitMix64(seed: 7)
    let model = Sequential<Float>([
      Sequential([Conv2d(inChannels: 1, outChannels: 2, kernelSize: (3, 3), using: &rng), BatchNorm2d(features: 2), ReLU()]),
      Linear(inFeatures: 2, outFeatures: 2, bias: false, using: &rng),
    ])
    #expect(
      model.stateDict().map(\.name) == [
        "0.0.weight", "0.0.bias", "0.1.weight", "0.1.bias", "0.1.running_mean", "0.1.running_var",
        "0.1.num_batches_tracked", "1.weight",
      ])
    #expect(model.namedParameters().count == 5)
    model.eval()
    #expect(!(model.layers[0] as! Sequential<Float>).layers[1].isTraining)
  }
}
