internal import COpenBLAS

/// Whether a matrix operand is used as stored or transposed.
public enum MatrixTransposition: Sendable {
  case none
  case transposed

  fileprivate var cblas: CBLAS_TRANSPOSE {
    switch self {
    case .none: CblasNoTrans
    case .transposed: CblasTrans
    }
  }
}

/// Thin, safe entry points to OpenBLAS.
///
/// This is the only place in the package that talks to BLAS; higher layers (the NN core, features)
/// call these functions.
public enum BLAS {
  /// General matrix multiply on row-major `Float` matrices: `C ← α·op(A)·op(B) + β·C`.
  ///
  /// - Parameters:
  ///   - a: `op(A)` is `m × k`; stored row-major as `m × k` (`.none`) or `k × m` (`.transposed`).
  ///   - b: `op(B)` is `k × n`; stored as `k × n` (`.none`) or `n × k` (`.transposed`).
  ///   - c: `m × n`, row-major; read when `beta ≠ 0`, always written.
  /// - Complexity: O(m·n·k), multithreaded by OpenBLAS.
  public static func gemm(
    _ transA: MatrixTransposition = .none, _ a: UnsafeBufferPointer<Float>,
    _ transB: MatrixTransposition = .none, _ b: UnsafeBufferPointer<Float>,
    into c: UnsafeMutableBufferPointer<Float>,
    m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0
  ) {
    precondition(m >= 0 && n >= 0 && k >= 0, "matrix sizes must be non-negative")
    precondition(a.count >= m * k, "A holds \(a.count) values, needs \(m * k)")
    precondition(b.count >= k * n, "B holds \(b.count) values, needs \(k * n)")
    precondition(c.count >= m * n, "C holds \(c.count) values, needs \(m * n)")
    guard m > 0, n > 0 else { return }
    let lda = transA == .none ? k : m
    let ldb = transB == .none ? n : k
    gated {
      cblas_sgemm(
        CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k), alpha,
        a.baseAddress, Int32(max(lda, 1)), b.baseAddress, Int32(max(ldb, 1)), beta,
        c.baseAddress, Int32(max(n, 1)))
    }
  }

  /// Row-major matrix product of two arrays: returns `A·B` (`m × n`) for `A` `m × k`, `B` `k × n`.
  public static func matmul(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) -> [Float] {
    var c = [Float](repeating: 0, count: m * n)
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        c.withUnsafeMutableBufferPointer { pc in
          gemm(.none, pa, .none, pb, into: pc, m: m, n: n, k: k)
        }
      }
    }
    return c
  }

  /// The number of threads OpenBLAS uses (from `OPENBLAS_NUM_THREADS` or the core count).
  public static var threadCount: Int {
    get { Int(openblas_get_num_threads()) }
    set {
      precondition(newValue >= 1, "thread count must be at least 1")
      openblas_set_num_threads(Int32(newValue))
    }
  }

  /// OpenBLAS's build description, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen".
  public static var configuration: String {
    guard let c = openblas_get_config() else { return "unknown" }
    return String(cString: c)
  }
}
