// Operations of transformer encoders: GELU with the exact error function, softmax, argmax and
// batched matrix products (all differentiable except argmax).
internal import _NNKernels

#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

extension Tensor {
  /// GELU with the exact error function, PyTorch `F.gelu` (approximate="none"):
  /// 0.5·x·(1 + erf(x/√2)).
  ///
  /// `Float` uses a vectorised erf within 2.3 ulp (`_NNKernels/Transformer.c`); `Double` uses
  /// the C library's `erf`. The derivative is Φ(x) + x·φ(x).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func gelu() -> Tensor {
    pointwise(
      { x in Scalar(0.5 * Double(x) * (1 + erf(Double(x) * 0.5.squareRoot()))) },
      floatKernel: { l3das_gelu_f32($0, $1, $1) }, saving: .input
    ) { x, _ in
      let v = Double(x)
      let cdf = 0.5 * (1 + erf(v * 0.5.squareRoot()))
      let pdf = Foundation_exp(-0.5 * v * v) / (2 * Double.pi).squareRoot()
      return Scalar(cdf + v * pdf)
    }
  }

  /// GELU (exact erf) in place, for inference: the tensor must not require gradients (it is
  /// neither a parameter nor part of a recorded graph). Saves the copy ``gelu()`` makes.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func formGELU() {
    precondition(!requiresGrad, "formGELU on a tensor that requires gradients; use gelu()")
    scalars.withUnsafeMutableBufferPointer { p in
      guard let base = p.baseAddress else { return }
      if Scalar.self == Float.self {
        l3das_gelu_f32(p.count, float(base), mutableFloat(base))
      } else {
        for i in 0..<p.count { p[i] = Scalar(0.5 * Double(p[i]) * (1 + erf(Double(p[i]) * 0.5.squareRoot()))) }
      }
    }
  }

  /// Softmax over the last axis, PyTorch `F.softmax(x, dim=-1)`: exp(x − max) / Σ exp(x − max)
  /// per row.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func softmax() -> Tensor {
    let length = shape.last ?? 1
    var y = scalars
    if length > 0 {
      y.withUnsafeMutableBufferPointer { p in
        softmaxRows(p.baseAddress!, rows: count / length, length: length, stride: length)
      }
    }
    let saved = y
    return Tensor.record(shape: shape, scalars: y, inputs: [self]) { g, _ in
      // dx = y ⊙ (g − Σ g⊙y) per row.
      var gx = g
      guard length > 0 else { return [gx] }
      for r in 0..<(g.count / length) {
        var dot: Scalar = 0
        for j in 0..<length { dot += g[r * length + j] * saved[r * length + j] }
        for j in 0..<length { gx[r * length + j] = saved[r * length + j] * (g[r * length + j] - dot) }
      }
      return [gx]
    }
  }

  /// The index of the largest value along the last axis for every row (the first one on ties,
  /// as `torch.argmax`; NaN counts as largest). Not differentiable.
  /// - Returns: `count / shape.last` indices, row-major over the leading axes.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func argmax() -> [Int] {
    let length = shape.last ?? 1
    precondition(length > 0, "argmax over an empty axis")
    return scalars.withUnsafeBufferPointer { p in
      (0..<(p.count / length)).map { r in
        var best = 0
        for j in 1..<length {
          let v = p[r * length + j]
          let b = p[r * length + best]
          if v > b || (v.isNaN && !b.isNaN) { best = j }
        }
        return best
      }
    }
  }

  /// Matrix products over leading batch axes, PyTorch `torch.matmul` for equal batch shapes:
  /// `[*, m, k] × [*, k, n] → [*, m, n]`, optionally transposing the last two axes of either
  /// operand first. One GEMM per batch entry.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func batchedMatmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false)
    -> Tensor
  {
    precondition(rank >= 2 && other.rank == rank, "batchedMatmul needs operands of equal rank ≥ 2, got \(shape) and \(other.shape)")
    let batchShape = Array(shape.dropLast(2))
    precondition(batchShape == Array(other.shape.dropLast(2)), "batchedMatmul: batch shapes differ, \(shape) × \(other.shape)")
    let (r0, c0) = (shape[rank - 2], shape[rank - 1])
    let (r1, c1) = (other.shape[rank - 2], other.shape[rank - 1])
    let (m, k) = transposeSelf ? (c0, r0) : (r0, c0)
    let (k2, n) = transposeOther ? (c1, r1) : (r1, c1)
    precondition(k == k2, "batchedMatmul inner sizes differ: \(shape) × \(other.shape)")
    let batches = batchShape.reduce(1, *)
    let (a, b) = (scalars, other.scalars)
    let (ta, tb) = (transposeSelf, transposeOther)
    /// Σ over batches of op(X)·op(Y) with X, Y of the given stored shapes.
    func products(
      _ x: [Scalar], _ tx: Bool, _ xShape: (Int, Int), _ y: [Scalar], _ ty: Bool, _ yShape: (Int, Int),
      _ m: Int, _ n: Int, _ k: Int
    ) -> [Scalar] {
      var out = [Scalar](repeating: 0, count: batches * m * n)
      guard m > 0, n > 0, k > 0 else { return out }
      x.withUnsafeBufferPointer { px in
        y.withUnsafeBufferPointer { py in
          out.withUnsafeMutableBufferPointer { po in
            for i in 0..<batches {
              Scalar.gemm(
                transA: tx, transB: ty, m: m, n: n, k: k, alpha: 1,
                a: px.baseAddress! + i * xShape.0 * xShape.1, lda: xShape.1,
                b: py.baseAddress! + i * yShape.0 * yShape.1, ldb: yShape.1, beta: 0,
                c: po.baseAddress! + i * m * n, ldc: n)
            }
          }
        }
      }
      return out
    }
    let c = products(a, ta, (r0, c0), b, tb, (r1, c1), m, n, k)
    return Tensor.record(shape: batchShape + [m, n], scalars: c, inputs: [self, other]) { g, needs in
      var ga: [Scalar]?
      var gb: [Scalar]?
      if needs[0] {
        ga = ta
          ? products(b, tb, (r1, c1), g, true, (m, n), k, m, n)
          : products(g, false, (m, n), b, !tb, (r1, c1), m, k, n)
      }
      if needs[1] {
        gb = tb
          ? products(g, true, (m, n), a, ta, (r0, c0), n, k, m)
          : products(a, !ta, (r0, c0), g, false, (m, n), k, n, m)
      }
      return [ga, gb]
    }
  }
}

@inline(__always) private func Foundation_exp(_ x: Double) -> Double { exp(x) }

/// Softmax of `rows` rows of `length` values in place (row stride `stride`).
@_specialize(where S == Float)
@_specialize(where S == Double)
func softmaxRows<S: NNScalar>(_ p: UnsafeMutablePointer<S>, rows: Int, length: Int, stride: Int) {
  if S.self == Float.self {
    l3das_softmax_rows_f32(rows, length, mutableFloat(p), stride)
    return
  }
  for r in 0..<rows {
    let row = p + r * stride
    var m = -S.infinity
    for j in 0..<length { m = Swift.max(m, row[j]) }
    var s: S = 0
    for j in 0..<length {
      row[j] = S.exp(row[j] - m)
      s += row[j]
    }
    let inv = 1 / s
    for j in 0..<length { row[j] *= inv }
  }
}
