import Foundation
internal import _NNKernels

/// The product for thin reductions in `_NNKernels/ThinGEMM.c`: C = bias + A · B with a small
/// inner dimension K, each 8 × 32 tile of C formed in AVX-512 registers from the bias and
/// stored once, nothing of C read. Used by `ConvPlan.forward` where a convolution's unfolded
/// taps are few (see `ConvPlan.usesThinProduct`).
enum ThinGEMM {
  /// Whether the kernel runs here: a CPU with AVX-512 F, and `L3DAS_THIN_GEMM` is not `off`
  /// (which keeps the BLAS path, for comparing the two).
  static let isEnabled =
    l3das_thin_gemm_available() != 0 && ProcessInfo.processInfo.environment["L3DAS_THIN_GEMM"] != "off"

  /// Floats of A (m × k) in packed form: panels of 8 rows, zero rows past m.
  static func packedCount(m: Int, k: Int) -> Int { (m + 7) / 8 * 8 * k }

  /// Packs A (m × k, row-major, leading dimension `lda`) into `packed` (`packedCount` floats).
  static func pack(
    m: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int, into packed: UnsafeMutablePointer<Float>
  ) {
    l3das_thin_gemm_pack_f32(m, k, a, lda, packed)
  }

  /// C (m × n, leading dimension `ldc`) = bias + A · B, with A packed by `pack`, B (k × n) of
  /// leading dimension `ldb` and `bias` one value per row of C (nil: zero). Writes exactly the
  /// m × n elements of C and reads none. Only when `isEnabled`.
  static func multiply(
    m: Int, n: Int, k: Int, packed: UnsafePointer<Float>, _ b: UnsafePointer<Float>, ldb: Int,
    bias: UnsafePointer<Float>?, into c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    precondition(isEnabled, "ThinGEMM.multiply needs AVX-512")
    l3das_thin_gemm_f32(m, n, k, packed, b, ldb, bias, c, ldc)
  }
}
