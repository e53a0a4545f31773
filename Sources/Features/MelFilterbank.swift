import Foundation

/// Triangular mel filters over the one-sided FFT bins, as `librosa.filters.mel` builds them
/// with its defaults (Slaney's mel scale, `htk=False`, and Slaney area normalisation,
/// `norm='slaney'`).
///
/// Mel scale: linear below 1 kHz (`mel = 3·f/200`), logarithmic above
/// (`mel = 15 + 27·ln(f/1000)/ln 6.4`). `melCount + 2` points equally spaced in mel between
/// `minimumHz` and `maximumHz` give the edges; filter i rises from edge i to edge i+1 and falls to
/// edge i+2, scaled by `2/(edge[i+2] − edge[i])` so each filter has roughly unit area in Hz.
///
/// ```swift
/// let mel = MelFilterbank(sampleRate: 32_000, fftLength: 1024, melCount: 64)
/// mel.weights[3 * mel.binCount + k]   // weight of FFT bin k in mel band 3
/// ```
public struct MelFilterbank: Sendable, Equatable {
  /// Mel bands.
  public let melCount: Int
  /// One-sided FFT bins, `fftLength/2 + 1`.
  public let binCount: Int
  /// `[melCount, binCount]` row-major weights.
  public let weights: [Float]
  /// The `melCount + 2` band edges in Hz (band i peaks at `edgesHz[i + 1]`).
  public let edgesHz: [Double]

  /// Builds the filters.
  /// - Parameters:
  ///   - sampleRate: in Hz.
  ///   - fftLength: FFT size N (bins `k·sampleRate/N`, k = 0…N/2).
  ///   - melCount: number of bands (≥ 1).
  ///   - minimumHz: lowest edge (default 0).
  ///   - maximumHz: highest edge (default `sampleRate/2`).
  public init(
    sampleRate: Int, fftLength: Int, melCount: Int, minimumHz: Double = 0, maximumHz: Double? = nil
  ) {
    precondition(sampleRate > 0 && fftLength >= 2 && melCount >= 1, "invalid mel filterbank sizes")
    let top = maximumHz ?? Double(sampleRate) / 2
    precondition(
      minimumHz >= 0 && top > minimumHz, "the mel range must be increasing and non-negative")
    self.melCount = melCount
    binCount = fftLength / 2 + 1
    let low = Self.mel(hz: minimumHz)
    let high = Self.mel(hz: top)
    let edges = (0..<(melCount + 2)).map {
      Self.hz(mel: low + (high - low) * Double($0) / Double(melCount + 1))
    }
    edgesHz = edges
    let frequencies = (0..<binCount).map { Double($0) * Double(sampleRate) / Double(fftLength) }
    var weights = [Float](repeating: 0, count: melCount * binCount)
    for i in 0..<melCount {
      let norm = 2 / (edges[i + 2] - edges[i])
      for (k, f) in frequencies.enumerated() {
        let lower = (f - edges[i]) / (edges[i + 1] - edges[i])
        let upper = (edges[i + 2] - f) / (edges[i + 2] - edges[i + 1])
        weights[i * binCount + k] = Float(max(0, min(lower, upper)) * norm)
      }
    }
    self.weights = weights
  }

  /// Slaney mel of a frequency in Hz.
  public static func mel(hz: Double) -> Double {
    hz < 1000 ? hz * 3 / 200 : 15 + log(hz / 1000) / (log(6.4) / 27)
  }

  /// The frequency in Hz of a Slaney mel value.
  public static func hz(mel: Double) -> Double {
    mel < 15 ? mel * 200 / 3 : 1000 * exp((log(6.4) / 27) * (mel - 15))
  }

  /// `out[m] = Σₖ weights[m, k]·spectrum[k]` for one frame.
  func apply(_ spectrum: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
    weights.withUnsafeBufferPointer { w in
      for m in 0..<melCount {
        var sum: Float = 0
        let row = m * binCount
        for k in 0..<binCount { sum += w[row + k] * spectrum[k] }
        out[m] = sum
      }
    }
  }
}
