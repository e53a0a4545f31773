import NN
import Testing

@Suite("Tensor operations")
struct TensorOpsTests {
  @Test func broadcastingArithmeticMatchesPyTorch() {
    let a = Tensor<Double>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    let b = Tensor<Double>(shape: [3], scalars: [10, 20, 30])
    let c = Tensor<Double>(shape: [2, 1], scalars: [2, 3])
    #expect((a + b).scalars == [11, 22, 33, 14, 25, 36])
    #expect((a * c).scalars == [2, 4, 6, 12, 15, 18])
    #expect((b - c).shape == [2, 3])
    #expect((b - c).scalars == [8, 18, 28, 7, 17, 27])
    #expect((a / 2).scalars == [0.5, 1, 1.5, 2, 2.5, 3])
  }

  @Test func broadcastingGradients() {
    let a = randomTensor([2, 3, 4], seed: 1)
    let b = randomTensor([3, 1], seed: 2)
    let c = randomTensor([4], seed: 3)
    let d = Tensor<Double>(shape: [1, 3, 1], scalars: [1.5, 2.0, 2.5], requiresGrad: true)
    checkGradients([a, b, c, d]) { (a + b) * c - a / d + 2 * a - (1 - c) }
  }

  @Test func pointwiseGradients() {
    let x = randomTensor([3, 5], seed: 4)
    checkGradients([x]) { x.tanh() + x.sigmoid() * x.exp() + x.squared() }
    checkGradients([x]) { (x.abs() + 0.5).log() + (x.abs() + 1).sqrt() }
    checkGradients([x]) { x.relu() + x.leakyRelu(negativeSlope: 0.3) - (-x) }
    checkGradients([x]) { x.clamped(min: -0.5, max: 0.5) }
  }

  @Test func shapeOperations() {
    let x = Tensor<Double>(shape: [2, 3], scalars: [0, 1, 2, 3, 4, 5])
    #expect(x.permuted([1, 0]).scalars == [0, 3, 1, 4, 2, 5])
    #expect(x.reshaped([3, -1]).shape == [3, 2])
    #expect(x.slice(axis: 1, 1..<3).scalars == [1, 2, 4, 5])
    #expect(x.padded(axis: 1, before: 1, after: 2).scalars == [0, 0, 1, 2, 0, 0, 0, 3, 4, 5, 0, 0])
    let y = Tensor<Double>(shape: [2, 1], scalars: [9, 8])
    #expect(Tensor.concatenate([x, y], axis: 1).scalars == [0, 1, 2, 9, 3, 4, 5, 8])
    #expect(Tensor.concatenate([x, x], axis: 0).shape == [4, 3])
    let parts = x.split(axis: 1, sizes: [1, 2])
    #expect(parts[1].scalars == [1, 2, 4, 5])
    #expect(x.flattened().shape == [6])
  }

  @Test func shapeGradients() {
    let x = randomTensor([2, 3, 4], seed: 5)
    let y = randomTensor([2, 2, 4], seed: 6)
    checkGradients([x, y]) {
      let joined = Tensor.concatenate([x, y], axis: 1)  // [2, 5, 4]
      let moved = joined.permuted([2, 0, 1]).reshaped([4, 10])
      return moved.slice(axis: 1, 2..<9).padded(axis: 0, before: 1, after: 2).transposed(0, 1)
    }
  }

  @Test func reductions() {
    let x = Tensor<Double>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    #expect(x.sum().item == 21)
    #expect(x.mean().item == 3.5)
    #expect(x.sum(alongAxes: [0]).scalars == [5, 7, 9])
    #expect(x.sum(alongAxes: [1], keepingDimensions: true).shape == [2, 1])
    #expect(x.mean(alongAxes: [-1]).scalars == [2, 5])
    let r = randomTensor([2, 3, 4], seed: 7)
    checkGradients([r]) { r.sum(alongAxes: [0, 2]) + r.mean(alongAxes: [1]).sum() }
  }

  @Test func matmulWithTransposes() {
    let a = Tensor<Double>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    let b = Tensor<Double>(shape: [3, 2], scalars: [1, 0, 0, 1, 1, 1])
    #expect(a.matmul(b).scalars == [4, 5, 10, 11])
    #expect(a.matmul(a, transposeOther: true).scalars == [14, 32, 32, 77])
    let p = randomTensor([3, 4], seed: 8)
    let q = randomTensor([5, 3], seed: 9)
    let s = randomTensor([4, 5], seed: 10)
    checkGradients([p, q]) { p.matmul(q, transposeSelf: true, transposeOther: true) }
    checkGradients([p, s]) { p.matmul(s) }
    checkGradients([q, p]) { q.matmul(p) }
    checkGradients([s, p]) { s.matmul(p, transposeSelf: true, transposeOther: true) }
    checkGradients([p]) { p.matmul(p, transposeSelf: true) }
  }

  @Test func floatTensorsUseSinglePrecisionBLAS() {
    let a = Tensor<Float>(shape: [2, 2], scalars: [1, 2, 3, 4])
    #expect(a.matmul(a).scalars == [7, 10, 15, 22])
    #expect(a.converted(to: Double.self).scalars == [1, 2, 3, 4])
  }
}
