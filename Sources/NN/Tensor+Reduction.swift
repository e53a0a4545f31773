// Sums and means over axes, and matrix products through BLAS.

extension Tensor {
  /// The sum of all elements, as a 0-dimensional tensor.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func sum() -> Tensor {
    let total = scalars.withUnsafeBufferPointer { contiguousSum($0.baseAddress, count: $0.count) }
    let n = count
    return Tensor.record(shape: [], scalars: [total], inputs: [self]) { g, _ in
      [[Scalar](repeating: g[0], count: n)]
    }
  }

  /// The mean of all elements, as a 0-dimensional tensor.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func mean() -> Tensor { sum() / Scalar(Swift.max(count, 1)) }

  /// Sums over `axes` (negative axes count from the end); kept axes have extent 1 when
  /// `keepingDimensions` is true, and are dropped otherwise (PyTorch `sum(dim, keepdim)`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
    let resolved = Set(axes.map { $0 < 0 ? rank + $0 : $0 })
    let kept = shape.enumerated().map { resolved.contains($0.offset) ? 1 : $0.element }
    let values = reduceSum(scalars, shape: shape, to: kept)
    let original = shape
    let outShape = keepingDimensions ? kept : shape.enumerated().filter { !resolved.contains($0.offset) }.map(\.element)
    return Tensor.record(shape: outShape, scalars: values, inputs: [self]) { g, _ in
      [broadcastValues(g, shape: kept, to: original)]
    }
  }

  /// The mean over `axes` (PyTorch `mean(dim, keepdim)`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func mean(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
    let n = axes.map { shape[$0 < 0 ? rank + $0 : $0] }.reduce(1, *)
    return sum(alongAxes: axes, keepingDimensions: keepingDimensions) / Scalar(n)
  }

  /// Matrix product of two 2-D tensors, `[m, k] × [k, n] → [m, n]`, optionally transposing
  /// either operand first.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false)
    -> Tensor
  {
    precondition(rank == 2 && other.rank == 2, "matmul needs 2-D tensors, got \(shape) and \(other.shape)")
    let m = transposeSelf ? shape[1] : shape[0]
    let k = transposeSelf ? shape[0] : shape[1]
    let k2 = transposeOther ? other.shape[1] : other.shape[0]
    let n = transposeOther ? other.shape[0] : other.shape[1]
    precondition(k == k2, "matmul inner sizes differ: \(shape) × \(other.shape)")
    let a = scalars
    let b = other.scalars
    let lda = shape[1]
    let ldb = other.shape[1]
    let c = gemmArrays(
      a, transA: transposeSelf, lda: lda, b, transB: transposeOther, ldb: ldb, m: m, n: n, k: k)
    let ta = transposeSelf
    let tb = transposeOther
    return Tensor.record(shape: [m, n], scalars: c, inputs: [self, other]) { g, needs in
      var ga: [Scalar]?
      var gb: [Scalar]?
      if needs[0] {
        // dA = g·Bᵀ (stored as op⁻¹ of A's layout)
        ga = ta
          ? gemmArrays(b, transA: tb, lda: ldb, g, transB: true, ldb: n, m: k, n: m, k: n)
          : gemmArrays(g, transA: false, lda: n, b, transB: !tb, ldb: ldb, m: m, n: k, k: n)
      }
      if needs[1] {
        gb = tb
          ? gemmArrays(g, transA: true, lda: n, a, transB: ta, ldb: lda, m: n, n: k, k: m)
          : gemmArrays(a, transA: !ta, lda: lda, g, transB: false, ldb: n, m: k, n: n, k: m)
      }
      return [ga, gb]
    }
  }
}

/// The sum of `count` contiguous values in eight interleaved partial sums, combined pairwise.
/// One running sum is a chain of dependent additions (four cycles each); eight independent
/// ones vectorise and are also a little more accurate.
@inline(__always)
func contiguousSum<S: NNScalar>(_ p: UnsafePointer<S>?, count: Int) -> S {
  guard let p, count > 0 else { return 0 }
  var (a0, a1, a2, a3, a4, a5, a6, a7): (S, S, S, S, S, S, S, S) = (0, 0, 0, 0, 0, 0, 0, 0)
  var j = 0
  while j + 8 <= count {
    a0 += p[j]
    a1 += p[j + 1]
    a2 += p[j + 2]
    a3 += p[j + 3]
    a4 += p[j + 4]
    a5 += p[j + 5]
    a6 += p[j + 6]
    a7 += p[j + 7]
    j += 8
  }
  var tail: S = 0
  while j < count {
    tail += p[j]
    j += 1
  }
  return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + tail
}

/// `op(A)·op(B)` for row-major arrays with the given leading dimensions, plus `row` added to
/// every row of the result when given (a bias).
@_specialize(where S == Float)
@_specialize(where S == Double)
func gemmArrays<S: NNScalar>(
  _ a: [S], transA: Bool, lda: Int, _ b: [S], transB: Bool, ldb: Int, m: Int, n: Int, k: Int,
  addingRow row: [S]? = nil
) -> [S] {
  var c: [S]
  if let row {
    // Every row of C starts as `row` and the product is added to it (β = 1): one pass over C
    // instead of zeroing it, OpenBLAS clearing it again for β = 0, and a separate bias pass.
    precondition(row.count == n, "gemmArrays: row has \(row.count) values, C has \(n) columns")
    c = [S](unsafeUninitializedCapacity: m * n) { pc, initialized in
      row.withUnsafeBufferPointer { pr in
        for r in 0..<m { (pc.baseAddress! + r * n).initialize(from: pr.baseAddress!, count: n) }
      }
      initialized = m * n
    }
  } else {
    c = [S](repeating: 0, count: m * n)
  }
  guard k > 0, m > 0, n > 0 else { return c }
  a.withUnsafeBufferPointer { pa in
    b.withUnsafeBufferPointer { pb in
      c.withUnsafeMutableBufferPointer { pc in
        S.gemm(
          transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: pa.baseAddress!,
          lda: lda, b: pb.baseAddress!, ldb: ldb, beta: row == nil ? 0 : 1, c: pc.baseAddress!,
          ldc: n)
      }
    }
  }
  return c
}
