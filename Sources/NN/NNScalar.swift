// NN: tensors with reverse-mode autograd and PyTorch-equal layers.
internal import TensorModule

#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

// Module-qualified wrappers: inside `extension Double`, a bare `exp` would name the requirement.
@inline(__always) private func libmExp(_ x: Double) -> Double { exp(x) }
@inline(__always) private func libmLog(_ x: Double) -> Double { log(x) }
@inline(__always) private func libmTanh(_ x: Double) -> Double { tanh(x) }

/// The element types a ``Tensor`` can hold: `Float` for models, `Double` for gradient checks.
///
/// The requirements are the few scalar functions and the BLAS GEMM the kernels need; every
/// kernel is written once, generically, and specialised for both types.
public protocol NNScalar: BinaryFloatingPoint, Sendable
where RawSignificand: FixedWidthInteger {
  /// eˣ.
  static func exp(_ x: Self) -> Self
  /// Natural logarithm.
  static func log(_ x: Self) -> Self
  /// Hyperbolic tangent.
  static func tanh(_ x: Self) -> Self
  /// Row-major strided GEMM: `C ← α·op(A)·op(B) + β·C` (`op(A)` is `m × k`).
  static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
    a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
    beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
}

extension Float: NNScalar {
  @inline(__always) public static func exp(_ x: Float) -> Float { expf(x) }
  @inline(__always) public static func log(_ x: Float) -> Float { logf(x) }
  @inline(__always) public static func tanh(_ x: Float) -> Float { tanhf(x) }
  public static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    BLAS.gemm(
      transA ? .transposed : .none, transB ? .transposed : .none, m: m, n: n, k: k,
      alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
  }
}

extension Double: NNScalar {
  @inline(__always) public static func exp(_ x: Double) -> Double { libmExp(x) }
  @inline(__always) public static func log(_ x: Double) -> Double { libmLog(x) }
  @inline(__always) public static func tanh(_ x: Double) -> Double { libmTanh(x) }
  public static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
    a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
    beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    BLAS.gemm(
      transA ? .transposed : .none, transB ? .transposed : .none, m: m, n: n, k: k,
      alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
  }
}

extension NNScalar {
  /// The logistic function 1 / (1 + e⁻ˣ).
  @inline(__always) static func sigmoid(_ x: Self) -> Self { 1 / (1 + exp(-x)) }
}
