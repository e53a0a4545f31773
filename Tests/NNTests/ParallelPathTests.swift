import NN
import TensorModule
import Testing

/// Inputs large enough for the multi-threaded kernels, checked against plain compositions.
@Suite("Parallel kernels")
struct ParallelPathTests {
  @Test func batchNormMatchesComposedOperations() {
    let x = randomTensor([2, 3, 120, 100], seed: 1)
    let bn = BatchNorm2d<Double>(features: 3)
    bn.weight.scalars = [0.5, -1, 2]
    bn.bias.scalars = [0.1, 0.2, 0.3]
    let r = randomTensor([2, 3, 120, 100], seed: 2, requiresGrad: false)
    (bn(x) * r).sum().backward()
    let fused = (x.grad!, bn.weight.grad!, bn.bias.grad!)
    let y = bn(x).scalars
    for t in [x, bn.weight, bn.bias] { t.zeroGrad() }
    let mean = x.mean(alongAxes: [0, 2, 3], keepingDimensions: true)
    let centered = x - mean
    let variance = centered.squared().mean(alongAxes: [0, 2, 3], keepingDimensions: true)
    let gamma = bn.weight.reshaped([1, 3, 1, 1])
    let beta = bn.bias.reshaped([1, 3, 1, 1])
    let composed = centered / (variance + 1e-5).sqrt() * gamma + beta
    #expect(maxRelativeError(y, composed.scalars) < 1e-12)
    (composed * r).sum().backward()
    #expect(maxRelativeError(fused.0, x.grad!) < 1e-10)
    #expect(maxRelativeError(fused.1, bn.weight.grad!) < 1e-10)
    #expect(maxRelativeError(fused.2, bn.bias.grad!) < 1e-10)
  }

  @Test func convolutionMatchesDirectSum() {
    var rng = SplitMix64(seed: 3)
    let conv = Conv2d<Double>(
      inChannels: 3, outChannels: 2, kernelSize: (3, 4), stride: (1, 2),
      padding: Padding2D(top: 1, bottom: 0, left: 2, right: 1), using: &rng)
    let x = randomTensor([1, 3, 150, 140], seed: 4, requiresGrad: false)
    let y = conv(x)
    let (h, w, outH, outW) = (150, 140, y.shape[2], y.shape[3])
    var worst = 0.0
    for o in 0..<2 {
      for oy in Swift.stride(from: 0, to: outH, by: 7) {
        for ox in Swift.stride(from: 0, to: outW, by: 5) {
          var s = conv.bias!.scalars[o]
          for c in 0..<3 {
            for ky in 0..<3 {
              for kx in 0..<4 {
                let (iy, ix) = (oy + ky - 1, ox * 2 + kx - 2)
                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                s += conv.weight.scalars[((o * 3 + c) * 3 + ky) * 4 + kx] * x.scalars[(c * h + iy) * w + ix]
              }
            }
          }
          worst = max(worst, abs(s - y.scalars[(o * outH + oy) * outW + ox]))
        }
      }
    }
    #expect(worst < 1e-12)
  }

  /// ⟨A·x, r⟩ = ⟨x, Aᵀ·r⟩ for the bias-free (linear) maps, with Aᵀ·r from backward.
  @Test func convolutionBackwardIsTheAdjoint() {
    var rng = SplitMix64(seed: 5)
    let conv = Conv2d<Double>(
      inChannels: 4, outChannels: 3, kernelSize: (3, 3), stride: (2, 1), padding: Padding2D(1, 2),
      bias: false, using: &rng)
    let deconv = ConvTranspose2d<Double>(
      inChannels: 4, outChannels: 3, kernelSize: (4, 3), stride: (2, 2), bias: false, using: &rng)
    for layer in [conv, deconv] as [any Layer<Double>] {
      let x = randomTensor([2, 4, 90, 80], seed: 6)
      let y = layer(x)
      let r = randomTensor(y.shape, seed: 7, requiresGrad: false)
      y.backward(seed: r.scalars)
      let lhs = zip(y.scalars, r.scalars).reduce(0) { $0 + $1.0 * $1.1 }
      let rhs = zip(x.scalars, x.grad!).reduce(0) { $0 + $1.0 * $1.1 }
      #expect(abs(lhs - rhs) < 1e-9 * max(1, abs(lhs)))
    }
  }

  @Test func maxPoolOnManyPlanes() {
    let x = randomTensor([2, 8, 64, 70], seed: 8)
    let y = x.maxPool2d(kernel: (8, 2))
    #expect(y.shape == [2, 8, 8, 35])
    var expected: [Double] = []
    for plane in 0..<16 {
      for oy in 0..<8 {
        for ox in 0..<35 {
          var best = -Double.infinity
          for ky in 0..<8 {
            for kx in 0..<2 { best = max(best, x.scalars[(plane * 64 + oy * 8 + ky) * 70 + ox * 2 + kx]) }
          }
          expected.append(best)
        }
      }
    }
    #expect(y.scalars == expected)
    y.sum().backward()
    #expect(x.grad!.reduce(0, +) == Double(y.count))
    #expect(x.grad!.filter { $0 != 0 }.count == y.count)
  }
}
