import Foundation

extension STFT {
  /// The signal length `torch.istft` returns without `length`: `hop · (frameCount − 1)`
  /// (the overlap-added length minus the N/2 centre padding on each side).
  public func inverseLength(frameCount: Int) -> Int {
    precondition(frameCount >= 1, "an inverse STFT needs at least one frame")
    return configuration.hopLength * (frameCount - 1)
  }

  /// The inverse STFT as `torch.istft(Z, n_fft, hop, n_fft, window, center=True)` computes it.
  ///
  /// Each frame is inverse-transformed (`irfft`, 1/N scaled; the imaginary parts of the DC and
  /// Nyquist bins are ignored), multiplied by the window and overlap-added; the sum is divided
  /// by the overlap-added squared window (which is not constant near the ends) and the N/2
  /// centre padding is trimmed from each side. Undoes the scale of `.spectrum` scaling too.
  ///
  /// - Parameters:
  ///   - real, imaginary: `binCount × frameCount` bin-major values each.
  ///   - frameCount: frames in the spectrum (≥ 1).
  ///   - output: receives `output.count` samples (torch's `length`): `inverseLength(frameCount:)`
  ///     for the default; any longer tail beyond the overlap-added signal is zero.
  /// - Precondition: centre padding, and a window whose squared overlap-add does not vanish
  ///   (> 1e-11) on the returned range (torch's NOLA check).
  /// - Complexity: O(frames · N log N); one scratch allocation per call.
  public func inverse(
    real: UnsafeBufferPointer<Float>, imaginary: UnsafeBufferPointer<Float>, frameCount: Int,
    into output: UnsafeMutableBufferPointer<Float>
  ) {
    precondition(
      configuration.padding != .scipy, "inverse follows torch.istft and needs centre padding")
    precondition(frameCount >= 1, "an inverse STFT needs at least one frame")
    let n = configuration.fftLength
    let hop = configuration.hopLength
    let bins = binCount
    precondition(
      real.count >= bins * frameCount && imaginary.count >= bins * frameCount,
      "the spectrum needs \(bins) × \(frameCount) values per part")
    let total = n + hop * (frameCount - 1)
    var sum = [Float](repeating: 0, count: total)
    var envelope = [Float](repeating: 0, count: total)
    var spectrum = [Float](repeating: 0, count: 2 * bins)
    var frame = [Float](repeating: 0, count: n)
    let unscale = 1 / (scale * Float(n))
    STFTPlanPool.shared.withPlan(size: n) { plan in
      spectrum.withUnsafeMutableBufferPointer { spectrum in
        frame.withUnsafeMutableBufferPointer { frame in
          for t in 0..<frameCount {
            for k in 0..<bins {
              spectrum[2 * k] = real[k * frameCount + t]
              spectrum[2 * k + 1] = imaginary[k * frameCount + t]
            }
            spectrum[1] = 0
            spectrum[2 * bins - 1] = 0
            plan.inverse(UnsafeBufferPointer(spectrum), into: frame)
            let offset = t * hop
            for i in 0..<n {
              sum[offset + i] += frame[i] * unscale * window[i]
            }
          }
        }
      }
    }
    for t in 0..<frameCount {
      for i in 0..<n { envelope[t * hop + i] += window[i] * window[i] }
    }
    let start = n / 2
    let available = max(0, min(output.count, total - start))
    for i in 0..<available {
      let e = envelope[start + i]
      precondition(
        e > 1e-11, "window overlap-add vanishes at sample \(i) (NOLA fails for this window and hop)"
      )
      output[i] = sum[start + i] / e
    }
    for i in available..<output.count { output[i] = 0 }
  }

  /// Array convenience for `inverse(real:imaginary:frameCount:into:)`.
  /// - Parameter length: samples to return (torch's `length`); `nil` gives
  ///   `inverseLength(frameCount:)`.
  public func inverse(real: [Float], imaginary: [Float], frameCount: Int, length: Int? = nil)
    -> [Float]
  {
    var output = [Float](repeating: 0, count: length ?? inverseLength(frameCount: frameCount))
    real.withUnsafeBufferPointer { r in
      imaginary.withUnsafeBufferPointer { i in
        output.withUnsafeMutableBufferPointer {
          inverse(real: r, imaginary: i, frameCount: frameCount, into: $0)
        }
      }
    }
    return output
  }
}
