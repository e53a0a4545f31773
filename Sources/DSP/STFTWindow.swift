import Foundation

/// A window function for short-time Fourier transforms.
///
/// Values are computed in double precision and rounded once to `Float`, which is what
/// `scipy.signal.get_window` followed by a cast to float32 gives; `torch.hann_window` computes
/// in float32 and differs by at most a few ulps.
///
/// ```swift
/// let w = STFTWindow.hamming.values(length: 512)   // periodic: 0.54 − 0.46·cos(2πn/512)
/// ```
public enum STFTWindow: String, Sendable, Codable, CaseIterable {
  /// Hann: `0.5 − 0.5·cos(2πn/M)` (`torch.hann_window`, scipy `'hann'`).
  case hann
  /// Hamming: `0.54 − 0.46·cos(2πn/M)` (scipy `'hamming'`, `torch.hamming_window`).
  case hamming
  /// All ones (scipy `'boxcar'`).
  case rectangular

  /// The window's `length` values.
  ///
  /// - Parameters:
  ///   - length: number of samples (≥ 1).
  ///   - periodic: `true` (the default, what scipy's `get_window` and torch's window functions
  ///     return) uses `M = length`, the DFT-even window for spectral analysis; `false` gives the
  ///     symmetric window with `M = length − 1` (numpy's `np.hamming`).
  /// - Returns: `length` values; a single 1 when `length == 1`.
  public func values(length: Int, periodic: Bool = true) -> [Float] {
    precondition(length >= 1, "a window needs at least one sample, got \(length)")
    if length == 1 { return [1] }
    let m = Double(periodic ? length : length - 1)
    return (0..<length).map { n in
      let c = cos(2 * Double.pi * Double(n) / m)
      switch self {
      case .hann: return Float(0.5 - 0.5 * c)
      case .hamming: return Float(0.54 - 0.46 * c)
      case .rectangular: return 1
      }
    }
  }
}
