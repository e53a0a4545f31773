/// Writes the transpose of a small row-major block into a strided destination:
/// `destination[c·stride + r] = source[r·columns + c]` for `r < rows`, `c < columns`.
///
/// Used to turn blocks of frame-major spectra into bin-major feature rows. The columns are
/// taken 16 at a time (one cache line of the source), so every source line is read once and
/// each of the 16 destination rows receives consecutive values, which stay in L1 until whole
/// lines are written. A plain column-by-column loop read each source line 16 times and was
/// the slowest part of `SELDnetSpectrum` after the FFT.
///
/// - Precondition: the source and destination do not overlap.
@inlinable
public func transposeBlock(
  _ source: UnsafePointer<Float>, rows: Int, columns: Int,
  into destination: UnsafeMutablePointer<Float>, stride: Int
) {
  let tile = 16
  for c0 in Swift.stride(from: 0, to: columns, by: tile) {
    let width = min(tile, columns - c0)
    for r in 0..<rows {
      let s = source + r * columns + c0
      let d = destination + c0 * stride + r
      for c in 0..<width { d[c &* stride] = s[c] }
    }
  }
}
