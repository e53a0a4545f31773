internal import COpenBLAS

// Strided BLAS entry points for the NN core: GEMM on sub-matrices (explicit leading dimensions)
// in single and double precision, and AXPY. Pointers are raw so that callers can address blocks
// of larger buffers (one group of a grouped convolution, one time step of an RNN).

extension BLAS {
  /// Strided single-precision GEMM on row-major storage: `C ← α·op(A)·op(B) + β·C`.
  ///
  /// `op(A)` is `m × k`, `op(B)` is `k × n` and `C` is `m × n`; `lda`, `ldb` and `ldc` are the row
  /// strides of the matrices *as stored* (so `lda ≥ k` for `.none`, `lda ≥ m` for `.transposed`).
  /// With β = 0, `C` is not read: it may hold anything, NaN included (callers pass uninitialised
  /// output buffers).
  /// - Complexity: O(m·n·k), multithreaded by OpenBLAS.
  public static func gemm(
    _ transA: MatrixTransposition, _ transB: MatrixTransposition,
    m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    guard m > 0, n > 0 else { return }
    // A one-row or one-column product is a matrix–vector product: sgemm would pack the whole
    // matrix operand on every call (per time step of a batch-1 RNN), gemv streams it once.
    if m == 1, k > 0 {
      // c[1, n] = a · op(B), computed as op(B)ᵀ · aᵀ; a's k elements are at stride 1 or lda.
      // gemv scales y by β (0·NaN would stay NaN in some OpenBLAS versions): clear it first.
      if beta == 0 { c.update(repeating: 0, count: n) }
      gated {
        cblas_sgemv(
          CblasRowMajor, transB == .none ? CblasTrans : CblasNoTrans,
          transB == .none ? Int32(k) : Int32(n), transB == .none ? Int32(n) : Int32(k), alpha,
          b, Int32(max(ldb, 1)), a, transA == .none ? 1 : Int32(max(lda, 1)), beta, c, 1)
      }
      return
    }
    if n == 1, k > 0 {
      // c[m, 1] = op(A) · b, with b's k elements at stride ldb or 1 and c's at stride ldc.
      if beta == 0 { for i in 0..<m { c[i * max(ldc, 1)] = 0 } }
      gated {
        cblas_sgemv(
          CblasRowMajor, transA == .none ? CblasNoTrans : CblasTrans,
          transA == .none ? Int32(m) : Int32(k), transA == .none ? Int32(k) : Int32(m), alpha,
          a, Int32(max(lda, 1)), b, transB == .none ? Int32(max(ldb, 1)) : 1, beta, c,
          Int32(max(ldc, 1)))
      }
      return
    }
    gated {
      cblas_sgemm(
        CblasRowMajor, transA == .none ? CblasNoTrans : CblasTrans,
        transB == .none ? CblasNoTrans : CblasTrans, Int32(m), Int32(n), Int32(k), alpha,
        a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)), beta, c, Int32(max(ldc, 1)))
    }
  }

  /// Strided double-precision GEMM on row-major storage; the same contract as the `Float` form.
  public static func gemm(
    _ transA: MatrixTransposition, _ transB: MatrixTransposition,
    m: Int, n: Int, k: Int, alpha: Double,
    a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
    beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    guard m > 0, n > 0 else { return }
    // A one-row or one-column product is a matrix–vector product: sgemm would pack the whole
    // matrix operand on every call (per time step of a batch-1 RNN), gemv streams it once.
    if m == 1, k > 0 {
      // c[1, n] = a · op(B), computed as op(B)ᵀ · aᵀ; a's k elements are at stride 1 or lda.
      // gemv scales y by β (0·NaN would stay NaN in some OpenBLAS versions): clear it first.
      if beta == 0 { c.update(repeating: 0, count: n) }
      gated {
        cblas_dgemv(
          CblasRowMajor, transB == .none ? CblasTrans : CblasNoTrans,
          transB == .none ? Int32(k) : Int32(n), transB == .none ? Int32(n) : Int32(k), alpha,
          b, Int32(max(ldb, 1)), a, transA == .none ? 1 : Int32(max(lda, 1)), beta, c, 1)
      }
      return
    }
    if n == 1, k > 0 {
      // c[m, 1] = op(A) · b, with b's k elements at stride ldb or 1 and c's at stride ldc.
      if beta == 0 { for i in 0..<m { c[i * max(ldc, 1)] = 0 } }
      gated {
        cblas_dgemv(
          CblasRowMajor, transA == .none ? CblasNoTrans : CblasTrans,
          transA == .none ? Int32(m) : Int32(k), transA == .none ? Int32(k) : Int32(m), alpha,
          a, Int32(max(lda, 1)), b, transB == .none ? Int32(max(ldb, 1)) : 1, beta, c,
          Int32(max(ldc, 1)))
      }
      return
    }
    gated {
      cblas_dgemm(
        CblasRowMajor, transA == .none ? CblasNoTrans : CblasTrans,
        transB == .none ? CblasNoTrans : CblasTrans, Int32(m), Int32(n), Int32(k), alpha,
        a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)), beta, c, Int32(max(ldc, 1)))
    }
  }

  /// `y ← α·x + y` on `count` contiguous single-precision values.
  public static func axpy(
    count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
  ) {
    guard count > 0 else { return }
    gated {
      cblas_saxpy(Int32(count), alpha, x, 1, y, 1)
    }
  }

  /// `y ← α·x + y` on `count` contiguous double-precision values.
  public static func axpy(
    count: Int, alpha: Double, x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>
  ) {
    guard count > 0 else { return }
    gated {
      cblas_daxpy(Int32(count), alpha, x, 1, y, 1)
    }
  }
}
