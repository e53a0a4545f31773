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
  /// eˣ in straight-line arithmetic (no call, no branch), so that loops over arrays vectorise;
  /// within 1.1 ulp of eˣ (measured) for x in [−87, 88], and the range is clamped to that.
  ///
  /// Cephes' `expf` scheme: n = round(x / ln 2) by the 1.5·2²³ trick, r = x − n·ln 2 in two
  /// parts (Cody–Waite), eʳ by its degree-7 minimax polynomial, then 2ⁿ through the exponent
  /// bits. glibc's `expf` is a function call, which kept every activation loop scalar: the
  /// sigmoid and tanh of the recurrent layers were the largest cost of their forward pass.
  @inline(__always) public static func exp(_ x: Float) -> Float {
    let x = Swift.min(Swift.max(x, -87), 88)
    // t's low mantissa bits hold n as an integer: no float → int conversion (which would trap
    // on NaN) is needed for 2ⁿ.
    let t = x * 1.442_695_04 + 12_582_912
    let n = t - 12_582_912
    let r = (x - n * 0.693_359_375) - n * -2.121_944_4e-4
    var p: Float = 1.987_569_15e-4
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_59e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_12e-1
    p = p * r * r + r + 1
    let scale = Float(bitPattern: (t.bitPattern &- 0x4B40_0000 &+ 127) << 23)
    return p * scale
  }
  @inline(__always) public static func log(_ x: Float) -> Float { logf(x) }
  /// tanh x without a call or branch (see `exp`): Cephes' `tanhf`, an odd polynomial for
  /// |x| < 0.625 and 1 − 2 / (e²ˣ + 1) above, both computed and one selected.
  @inline(__always) public static func tanh(_ x: Float) -> Float {
    let a = Swift.abs(x)
    let large = 1 - 2 / (exp(2 * a) + 1)
    let z = x * x
    var p: Float = -5.704_988_727_45e-3
    p = p * z + 2.063_908_879_54e-2
    p = p * z - 5.373_971_555_31e-2
    p = p * z + 1.333_144_220_36e-1
    p = p * z - 3.333_328_194_22e-1
    let small = p * z * x + x
    return a < 0.625 ? small : (x < 0 ? -large : large)
  }
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

/// `pointer` as `Float`, for the C kernels of `_NNKernels` (only called where `S` is `Float`).
@inline(__always)
func float<S>(_ pointer: UnsafePointer<S>) -> UnsafePointer<Float> {
  UnsafeRawPointer(pointer).assumingMemoryBound(to: Float.self)
}

@inline(__always)
func mutableFloat<S>(_ pointer: UnsafeMutablePointer<S>) -> UnsafeMutablePointer<Float> {
  UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: Float.self)
}
