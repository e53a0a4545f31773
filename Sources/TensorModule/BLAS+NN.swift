internal import COpenBLAS

// Strided BLAS entry points for the NN core: GEMM on sub-matrices (explicit leading dimensions)
// in single and double precision, and AXPY. Pointers are raw so that callers can address blocks
// of larger buffers (one group of a grouped convolution, one time step of an RNN).

extension BLAS {
  /// Strided single-precision GEMM on row-major storage: `C ← α·op(A)·op(B) + β·C`.
  ///
  /// `op(A)` is `m × k`, `op(B)` is `k × n` and `C` is `m × n`; `lda`, `ldb` and `ldc` are the row
  /// strides of the matrices *as stored* (so `lda ≥ k` for `.none`, `lda ≥ m` for `.transposed`).
  /// - Complexity: O(m·n·k), multithreaded by OpenBLAS.
  public static func gemm(
    _ transA: MatrixTransposition, _ transB: MatrixTransposition,
    m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    guard m > 0, n > 0 else { return }
    cblas_sgemm(
      CblasRowMajor, transA == .none ? CblasNoTrans : CblasTrans,
      transB == .none ? CblasNoTrans : CblasTrans, Int32(m), Int32(n), Int32(k), alpha,
      a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)), beta, c, Int32(max(ldc, 1)))
  }

  /// Strided double-precision GEMM on row-major storage; the same contract as the `Float` form.
  public static func gemm(
    _ transA: MatrixTransposition, _ transB: MatrixTransposition,
    m: Int, n: Int, k: Int, alpha: Double,
    a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
    beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    guard m > 0, n > 0 else { return }
    cblas_dgemm(
      CblasRowMajor, transA == .none ? CblasNoTrans : CblasTrans,
      transB == .none ? CblasNoTrans : CblasTrans, Int32(m), Int32(n), Int32(k), alpha,
      a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)), beta, c, Int32(max(ldc, 1)))
  }

  /// `y ← α·x + y` on `count` contiguous single-precision values.
  public static func axpy(
    count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
  ) {
    guard count > 0 else { return }
    cblas_saxpy(Int32(count), alpha, x, 1, y, 1)
  }

  /// `y ← α·x + y` on `count` contiguous double-precision values.
  public static func axpy(
    count: Int, alpha: Double, x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>
  ) {
    guard count > 0 else { return }
    cblas_daxpy(Int32(count), alpha, x, 1, y, 1)
  }
}
