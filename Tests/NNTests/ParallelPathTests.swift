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

  /// Two samples large enough to run on parallel threads (ConvolutionKernels.swift, `ConvPlan`);
  /// rows at the start, middle and end of the plane are checked, and both gradients through the
  /// bilinear identities ⟨y, r⟩ = ⟨x, ∂x⟩ = ⟨W, ∂W⟩. `ConvolutionPlanTests` covers tiles and
  /// runs that share rows.
  @Test func tiledConvolutionMatchesDirectSumAndAdjoints() {
    var rng = SplitMix64(seed: 11)
    let (c, h, w) = (32, 150, 60)
    let conv = Conv2d<Double>(
      inChannels: c, outChannels: 3, kernelSize: (3, 3), padding: Padding2D(1, 1), bias: false,
      using: &rng)
    let x = randomTensor([2, c, h, w], seed: 12)
    let y = conv(x)
    #expect(y.shape == [2, 3, h, w])
    var worst = 0.0
    for n in 0..<2 {
      for o in 0..<3 {
        for oy in [0, 1, 59, 60, 61, 119, 120, 121, 149] {
          for ox in [0, 1, 30, 59] {
            var s = 0.0
            for ch in 0..<c {
              for ky in 0..<3 {
                for kx in 0..<3 {
                  let (iy, ix) = (oy + ky - 1, ox + kx - 1)
                  guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                  s += conv.weight.scalars[((o * c + ch) * 3 + ky) * 3 + kx]
                    * x.scalars[((n * c + ch) * h + iy) * w + ix]
                }
              }
            }
            worst = max(worst, abs(s - y.scalars[((n * 3 + o) * h + oy) * w + ox]))
          }
        }
      }
    }
    #expect(worst < 1e-12)
    let r = randomTensor(y.shape, seed: 13, requiresGrad: false)
    y.backward(seed: r.scalars)
    let lhs = zip(y.scalars, r.scalars).reduce(0) { $0 + $1.0 * $1.1 }
    let viaInput = zip(x.scalars, x.grad!).reduce(0) { $0 + $1.0 * $1.1 }
    let viaWeight = zip(conv.weight.scalars, conv.weight.grad!).reduce(0) { $0 + $1.0 * $1.1 }
    #expect(abs(lhs - viaInput) < 1e-9 * max(1, abs(lhs)))
    #expect(abs(lhs - viaWeight) < 1e-9 * max(1, abs(lhs)))
  }

  /// One-row and one-column products go to gemv (BLAS+NN.swift); every transposition and
  /// leading dimension must give what the plain sum gives.
  @Test(arguments: [(1, 7, 5), (6, 1, 5), (1, 1, 4)])
  func matrixVectorProductsMatchPlainSums(m: Int, n: Int, k: Int) {
    var rng = SplitMix64(seed: 14)
    func values(_ count: Int) -> [Double] { (0..<count).map { _ in Double.random(in: -1...1, using: &rng) } }
    for transA in [false, true] {
      for transB in [false, true] {
        // Stored shapes with one padding column so the leading dimensions are not the widths.
        let (aRows, aCols) = transA ? (k, m) : (m, k)
        let (bRows, bCols) = transB ? (n, k) : (k, n)
        let (lda, ldb, ldc) = (aCols + 1, bCols + 1, n + 1)
        let a = values(aRows * lda)
        let b = values(bRows * ldb)
        let c0 = values(m * ldc)
        var c = c0
        a.withUnsafeBufferPointer { pa in
          b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
              BLAS.gemm(
                transA ? .transposed : .none, transB ? .transposed : .none, m: m, n: n, k: k,
                alpha: 0.5, a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb, beta: 2,
                c: pc.baseAddress!, ldc: ldc)
            }
          }
        }
        for i in 0..<m {
          for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
              let av = transA ? a[p * lda + i] : a[i * lda + p]
              let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
              s += av * bv
            }
            #expect(abs(c[i * ldc + j] - (0.5 * s + 2 * c0[i * ldc + j])) < 1e-12)
          }
        }
      }
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

  /// Batches of ≥ 2¹⁵ hidden values per step run the recurrence's elementwise work on several
  /// threads; every row must still equal the same sequence run alone (Float64, so only the
  /// summation order of the GEMMs can differ).
  @Test(arguments: [false, true])
  func recurrentRowsInParallelMatchRowsAlone(gru: Bool) {
    var rng = SplitMix64(seed: 21)
    let (batch, steps, features, hidden) = (300, 4, 6, 128)
    let network: RecurrentNetwork<Double> =
      gru
      ? GRU(inputSize: features, hiddenSize: hidden, batchFirst: true, bidirectional: true, using: &rng)
      : LSTM(inputSize: features, hiddenSize: hidden, batchFirst: true, bidirectional: true, using: &rng)
    let x = Tensor<Double>(
      shape: [batch, steps, features],
      scalars: (0..<(batch * steps * features)).map { _ in Double.random(in: -1...1, using: &rng) },
      requiresGrad: true)
    let output = network.run(x).output
    (output * output).sum().backward()
    let batchedGradient = x.grad!
    for row in [0, 149, 150, 299] {
      let single = Tensor<Double>(
        shape: [1, steps, features],
        scalars: Array(x.scalars[(row * steps * features)..<((row + 1) * steps * features)]),
        requiresGrad: true)
      let out = network.run(single).output
      (out * out).sum().backward()
      let width = steps * 2 * hidden
      for (a, b) in zip(out.scalars, output.scalars[(row * width)..<((row + 1) * width)]) {
        #expect(abs(a - b) <= 1e-12, "row \(row) output")
      }
      for (a, b) in zip(single.grad!, batchedGradient[(row * steps * features)..<((row + 1) * steps * features)]) {
        #expect(abs(a - b) <= 1e-11, "row \(row) input gradient")
      }
    }
  }

  @Test func rowCorrelationOnManyRowsMatchesPlainSums() {
    var rng = SplitMix64(seed: 22)
    let (rows, lr, lk) = (2000, 40, 17)
    let lags = lr - lk + 1
    func values(_ n: Int) -> [Double] { (0..<n).map { _ in Double.random(in: -1...1, using: &rng) } }
    let x = Tensor<Double>(shape: [rows, lr], scalars: values(rows * lr), requiresGrad: true)
    let w = Tensor<Double>(shape: [rows, lk], scalars: values(rows * lk), requiresGrad: true)
    let g = values(rows * lags)
    let y = x.rowCorrelation(w)
    (y * Tensor(shape: [rows, lags], scalars: g)).sum().backward()
    var gx = [Double](repeating: 0, count: rows * lr)
    var gw = [Double](repeating: 0, count: rows * lk)
    for r in stride(from: 0, to: rows, by: 97) {
      for k in 0..<lags {
        var acc = 0.0
        for j in 0..<lk {
          acc += x.scalars[r * lr + k + j] * w.scalars[r * lk + j]
          gx[r * lr + k + j] += g[r * lags + k] * w.scalars[r * lk + j]
          gw[r * lk + j] += g[r * lags + k] * x.scalars[r * lr + k + j]
        }
        #expect(abs(acc - y.scalars[r * lags + k]) <= 1e-12)
      }
      for j in 0..<lr { #expect(abs(gx[r * lr + j] - x.grad![r * lr + j]) <= 1e-12) }
      for j in 0..<lk { #expect(abs(gw[r * lk + j] - w.grad![r * lk + j]) <= 1e-12) }
    }
  }
}

/// The Float recurrences run the C cell kernels (vectorised per CPU) on blocks of batch rows in
/// parallel; the Double ones the Swift loops. Same weights and input: outputs and every
/// gradient must agree to Float precision, inference (which keeps one step of activations)
/// must equal training's forward, and uneven blocks (odd batch) must not matter.
@Suite("Float recurrent kernels")
struct FloatRecurrenceTests {
  @Test(arguments: [false, true])
  func floatKernelsMatchDoubleRecurrence(gru: Bool) {
    var rng = SplitMix64(seed: 31)
    // 5 × 17 × (G·64) × 64 ≥ 2²⁰: large enough for the row blocks to run on several threads.
    let (batch, steps, features, hidden) = (5, 17, 12, 64)
    func make<S: NNScalar>(_: S.Type, _ rng: inout SplitMix64) -> RecurrentNetwork<S> {
      gru
        ? GRU<S>(inputSize: features, hiddenSize: hidden, layers: 2, batchFirst: true, bidirectional: true, using: &rng)
        : LSTM<S>(inputSize: features, hiddenSize: hidden, layers: 2, batchFirst: true, bidirectional: true, using: &rng)
    }
    let exact = make(Double.self, &rng)
    let fast = make(Float.self, &rng)
    for (f, d) in zip(fast.ownParameters, exact.ownParameters) {
      #expect(f.name == d.name)
      f.tensor.scalars = d.tensor.scalars.map { Float($0) }
    }
    let values = (0..<(batch * steps * features)).map { _ in Double.random(in: -2...2, using: &rng) }
    let xd = Tensor<Double>(shape: [batch, steps, features], scalars: values, requiresGrad: true)
    let xf = Tensor<Float>(shape: [batch, steps, features], scalars: values.map { Float($0) }, requiresGrad: true)
    let weights = randomTensor([batch, steps, 2 * hidden], seed: 32, requiresGrad: false)
    let yd = exact.run(xd).output
    let yf = fast.run(xf).output
    (yd * weights).sum().backward()
    (yf * Tensor<Float>(shape: weights.shape, scalars: weights.scalars.map { Float($0) })).sum().backward()

    func relative(_ a: [Float], _ b: [Double]) -> Double {
      let scale = b.map(abs).max() ?? 1
      return zip(a, b).map { abs(Double($0) - $1) }.max()! / max(scale, 1e-30)
    }
    #expect(relative(yf.scalars, yd.scalars) < 2e-6, "output")  // 2e-7 (GRU), 3e-7 (LSTM) measured
    #expect(relative(xf.grad!, xd.grad!) < 5e-6, "input gradient")  // 3e-7 and 5e-7 measured
    for (f, d) in zip(fast.ownParameters, exact.ownParameters) {
      #expect(relative(f.tensor.grad!, d.tensor.grad!) < 5e-6, "\(d.name) gradient")
    }
    // Equal up to rounding only: tests running concurrently may switch OpenBLAS to one thread
    // (BLAS.forEachPartition), and some products round differently on one thread.
    let inference = withNoGrad { fast.run(xf).output }
    #expect(maxRelativeError(inference.scalars, yf.scalars) < 1e-6)
  }
}

/// A bidirectional layer large enough to run its directions on two threads must equal a
/// forward-only layer on the input plus a forward-only layer on the time-reversed input, with
/// the same weights: outputs, input gradient and every weight gradient (Float64).
@Suite("Bidirectional layers on two threads")
struct ParallelDirectionTests {
  @Test(arguments: [false, true])
  func directionsMatchTwoForwardLayers(gru: Bool) {
    var rng = SplitMix64(seed: 5)
    let (b, t, f, h) = (3, 40, 16, 64)  // 3 × 40 × (G·64) × 64 ≥ 2¹⁶: the threaded path
    func make(_ bidirectional: Bool) -> RecurrentNetwork<Double> {
      gru
        ? GRU(inputSize: f, hiddenSize: h, batchFirst: true, bidirectional: bidirectional, using: &rng)
        : LSTM(inputSize: f, hiddenSize: h, batchFirst: true, bidirectional: bidirectional, using: &rng)
    }
    let both = make(true)
    let (forward, backward) = (make(false), make(false))
    let count = forward.ownParameters.count
    for (i, p) in forward.ownParameters.enumerated() { p.tensor.scalars = both.ownParameters[i].tensor.scalars }
    for (i, p) in backward.ownParameters.enumerated() {
      p.tensor.scalars = both.ownParameters[count + i].tensor.scalars
    }
    func index(_ s: Int, _ step: Int, _ j: Int, _ width: Int) -> Int { (s * t + step) * width + j }
    let values = (0..<(b * t * f)).map { _ in Double.random(in: -1...1, using: &rng) }
    var reversed = values
    for s in 0..<b { for step in 0..<t { for j in 0..<f { reversed[index(s, step, j, f)] = values[index(s, t - 1 - step, j, f)] } } }
    let x = Tensor<Double>(shape: [b, t, f], scalars: values, requiresGrad: true)
    let x1 = Tensor<Double>(shape: [b, t, f], scalars: values, requiresGrad: true)
    let x2 = Tensor<Double>(shape: [b, t, f], scalars: reversed, requiresGrad: true)
    let y = both.run(x).output
    let (y1, y2) = (forward.run(x1).output, backward.run(x2).output)
    let r = (0..<y.count).map { _ in Double.random(in: -1...1, using: &rng) }
    var (r1, r2) = ([Double](repeating: 0, count: y1.count), [Double](repeating: 0, count: y2.count))
    var worst = 0.0
    for s in 0..<b {
      for step in 0..<t {
        for j in 0..<h {
          worst = max(worst, abs(y.scalars[index(s, step, j, 2 * h)] - y1.scalars[index(s, step, j, h)]))
          worst = max(worst, abs(y.scalars[index(s, step, h + j, 2 * h)] - y2.scalars[index(s, t - 1 - step, j, h)]))
          r1[index(s, step, j, h)] = r[index(s, step, j, 2 * h)]
          r2[index(s, t - 1 - step, j, h)] = r[index(s, step, h + j, 2 * h)]
        }
      }
    }
    #expect(worst < 1e-13, "outputs")
    (y * Tensor(shape: y.shape, scalars: r)).sum().backward()
    (y1 * Tensor(shape: y1.shape, scalars: r1)).sum().backward()
    (y2 * Tensor(shape: y2.shape, scalars: r2)).sum().backward()
    var gradient = 0.0
    for s in 0..<b {
      for step in 0..<t {
        for j in 0..<f {
          let expected = x1.grad![index(s, step, j, f)] + x2.grad![index(s, t - 1 - step, j, f)]
          gradient = max(gradient, abs(expected - x.grad![index(s, step, j, f)]))
        }
      }
    }
    #expect(gradient < 1e-13, "input gradient")
    for (i, p) in (forward.ownParameters + backward.ownParameters).enumerated() {
      #expect(maxRelativeError(both.ownParameters[i].tensor.grad!, p.tensor.grad!) < 1e-12, "\(p.name)")
    }
  }
}
