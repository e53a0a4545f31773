import Foundation
import NN
import TensorModule
import Testing

private func random(_ shape: [Int], seed: UInt64, scale: Double = 1) -> Tensor<Float> {
  var rng = SplitMix64(seed: seed)
  let count = shape.reduce(1, *)
  return Tensor(shape: shape, scalars: (0..<count).map { _ in Float(Double.random(in: -scale...scale, using: &rng)) })
}

private func maxDifference(_ a: Tensor<Float>, _ b: Tensor<Float>) -> Float {
  zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

@Suite("transformer operations of the NN core")
struct TransformerOpsTests {
  @Test("GELU uses the exact error function in Float and Double")
  func gelu() {
    let xs: [Double] = [-9, -5, -3.1, -1.5, -1.4142, -0.7, -1e-3, 0, 1e-3, 0.5, 1.4142, 2.2, 4, 9]
    let float = Tensor<Float>(shape: [xs.count], scalars: xs.map(Float.init)).gelu()
    let double = Tensor<Double>(shape: [xs.count], scalars: xs).gelu()
    for (i, x) in xs.enumerated() {
      let exact = 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
      #expect(abs(Double(float.scalars[i]) - exact) <= 2e-7 * max(1, abs(x)), "x = \(x)")
      #expect(abs(double.scalars[i] - exact) <= 1e-15 * max(1, abs(x)), "x = \(x)")
    }
  }

  @Test("streamed attention equals the recorded matmul-softmax-matmul composition")
  func attention() {
    // 200 queries and 600 keys: two query blocks and two key blocks, partial last blocks.
    let q = random([1, 200, 32], seed: 1, scale: 2)
    let k = random([1, 600, 32], seed: 2, scale: 2)
    let v = random([1, 600, 32], seed: 3)
    let streamed = withNoGrad { Tensor.multiHeadAttention(query: q, key: k, value: v, heads: 4) }
    let qr = Tensor(shape: q.shape, scalars: q.scalars, requiresGrad: true)
    let composed = Tensor.multiHeadAttention(query: qr, key: k, value: v, heads: 4)
    #expect(composed.requiresGrad && !streamed.requiresGrad)
    #expect(streamed.shape == [1, 200, 32])
    #expect(maxDifference(streamed, composed.detached()) < 1e-5)
  }

  @Test("channels-last convolution and group norm equal conv1d and groupNorm between transposes")
  func channelsLast() {
    for (k, stride, cin) in [(10, 5, 1), (3, 2, 8), (2, 2, 8), (4, 1, 3)] {
      let x = random([2, 57, cin], seed: UInt64(k * 10 + stride))
      let w = random([6, cin, k], seed: 9)
      let b = random([6], seed: 10)
      let fast = withNoGrad { x.conv1dChannelsLast(weight: w, bias: b, stride: stride) }
      let reference = x.transposed(1, 2).conv1d(weight: w, bias: b, stride: stride).transposed(1, 2)
      #expect(fast.shape == reference.shape)
      #expect(maxDifference(fast, reference) < 1e-5, "k \(k) stride \(stride)")
    }
    let x = random([2, 40, 6], seed: 11, scale: 3)
    let gamma = random([6], seed: 12)
    let beta = random([6], seed: 13)
    let fast = withNoGrad { x.channelGroupNormChannelsLast(weight: gamma, bias: beta) }
    let reference = x.transposed(1, 2).groupNorm(groups: 6, weight: gamma, bias: beta).transposed(1, 2)
    #expect(maxDifference(fast, reference) < 1e-5)
  }

  @Test("grouped channels-last convolution equals grouped conv1d between transposes")
  func groupedChannelsLast() {
    // 600 steps: three output tiles of 256, the last partial; kernels longer than the input
    // reach into the padding on both sides; `frames` keeps a prefix.
    for (length, k, padding, groups, frames) in [(600, 16, 8, 4, 600), (600, 7, 3, 2, nil), (5, 12, 6, 1, nil)] {
      let x = random([2, length, 8], seed: UInt64(length + k))
      let w = random([12, 8 / groups, k], seed: 21)
      let b = random([12], seed: 22)
      let fast = withNoGrad {
        x.groupedConv1dChannelsLast(weight: w, bias: b, padding: padding, groups: groups, frames: frames)
      }
      var reference = x.transposed(1, 2).conv1d(weight: w, bias: b, padding: padding, groups: groups)
      if let frames { reference = reference.slice(axis: 2, 0..<frames) }
      reference = reference.transposed(1, 2)
      #expect(fast.shape == reference.shape)
      #expect(maxDifference(fast, reference) < 1e-5, "L \(length) k \(k) groups \(groups)")
    }
  }

  @Test("weight norm folds g·v/‖v‖ over every axis but dim; argmax takes the first maximum")
  func weightNormAndArgmax() {
    let v = Tensor<Double>(shape: [2, 1, 2], scalars: [3, 1, 4, 1])
    let w = WeightNorm.fold(g: Tensor(shape: [1, 1, 2], scalars: [10, 2]), v: v, dim: 2)
    #expect(w.scalars == [6, 2.0 / 2.0.squareRoot() * 1, 8, 2.0 / 2.0.squareRoot() * 1])
    #expect(Tensor<Float>(shape: [2, 3], scalars: [1, 3, 3, 2, 2, 0]).argmax() == [1, 0])
    let s = Tensor<Float>(shape: [1, 3], scalars: [1, 2, 3]).softmax()
    #expect(abs(s.scalars.reduce(0, +) - 1) < 1e-6 && s.scalars[2] > s.scalars[1])
  }
}
