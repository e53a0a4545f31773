import NN
import Testing

/// Framing, overlap-add and per-row correlation: values against direct loops, gradients by
/// finite differences (Float64).
@Suite("Framing and row correlation")
struct FramingTests {
  @Test func framesValuesAndGradient() {
    let x = Tensor<Double>(shape: [2, 7], scalars: (0..<14).map(Double.init), requiresGrad: true)
    let f = x.frames(length: 3, starts: [0, 2, 4, 3])
    #expect(f.shape == [2, 4, 3])
    #expect(Array(f.scalars[0..<6]) == [0, 1, 2, 2, 3, 4])
    #expect(Array(f.scalars[12..<15]) == [7, 8, 9])
    let y = randomTensor([3, 2, 9], seed: 11)
    checkGradients([y]) { y.frames(length: 4, starts: [0, 2, 4, 5, 1]) }
  }

  @Test func overlapAddIsTheAdjointOfFrames() {
    let frames = Tensor<Double>(shape: [1, 3, 2], scalars: [1, 2, 3, 4, 5, 6])
    let signal = frames.overlapAdd(starts: [0, 1, 4], length: 7)
    #expect(signal.shape == [1, 7])
    #expect(signal.scalars == [1, 5, 4, 0, 5, 6, 0])
    let z = randomTensor([2, 3, 4], seed: 12)
    checkGradients([z]) { z.overlapAdd(starts: [0, 2, 5], length: 10) }
    // ⟨frames(x), z⟩ = ⟨x, overlapAdd(z)⟩
    let x = randomTensor([2, 10], seed: 13, requiresGrad: false)
    let lhs = zip(x.frames(length: 4, starts: [0, 2, 5]).scalars, z.scalars).reduce(0) {
      $0 + $1.0 * $1.1
    }
    let rhs = zip(x.scalars, z.overlapAdd(starts: [0, 2, 5], length: 10).scalars).reduce(0) {
      $0 + $1.0 * $1.1
    }
    #expect(abs(lhs - rhs) < 1e-12)
  }

  @Test func rowCorrelationValuesAndGradient() {
    let x = Tensor<Double>(shape: [2, 4], scalars: [1, 2, 3, 4, 0, 1, 0, -1])
    let w = Tensor<Double>(shape: [2, 2], scalars: [1, -1, 2, 3])
    #expect(x.rowCorrelation(w).scalars == [-1, -1, -1, 3, 2, -3])
    let a = randomTensor([2, 3, 9], seed: 14)
    let k = randomTensor([2, 3, 4], seed: 15)
    checkGradients([a, k]) { a.rowCorrelation(k) }
  }

  @Test func sqrtWithZeroGradientAtZero() {
    let x = Tensor<Double>(shape: [3], scalars: [0, 4, 2.25], requiresGrad: true)
    let y = x.sqrtZeroGradientAtZero()
    #expect(y.scalars == [0, 2, 1.5])
    y.sum().backward()
    #expect(x.grad == [0, 0.25, 1 / 3])
    let positive = Tensor<Double>(shape: [4], scalars: [0.5, 1, 2, 3], requiresGrad: true)
    checkGradients([positive]) { positive.sqrtZeroGradientAtZero() }
  }
}
