public import NN

#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// `torch.stft` / `torch.istft` as MIMO U-Net calls them, written with differentiable tensor
/// ops so that gradients reach the waveform: periodic Hann window of `fftLength`, centre zero
/// padding (`pad_mode='constant'`), one-sided, no normalisation; the inverse divides by the
/// overlap-added squared window and trims the centre padding.
///
/// The forward transform is a strided 1-D convolution of the padded signal with a fixed basis
/// (`w[n]·cos(2πkn/N)` rows, then `−w[n]·sin(2πkn/N)` rows); the inverse is a strided
/// transposed convolution (overlap-add) with the matching irfft-times-window basis. Only the
/// first `binCount` bins are produced and read (MIMO U-Net keeps N/2, dropping Nyquist; a bin
/// not read acts as zero). As in a C2R transform, the imaginary parts of the DC and Nyquist bins
/// have no effect on the inverse.
///
/// - Complexity: O(N · binCount) per frame, the cost of a plain DFT (no FFT).
public struct DifferentiableSTFT<Scalar: NNScalar> {
  /// N, the FFT and window length.
  public let fftLength: Int
  /// Samples between frames.
  public let hopLength: Int
  /// Bins produced by ``spectrum(_:)`` and read by ``inverse(_:)`` (≤ N/2 + 1).
  public let binCount: Int
  /// `[2·binCount, 1, N]`: the analysis basis, real rows then imaginary rows.
  let analysis: Tensor<Scalar>
  /// `[2·binCount, 1, 1, N]`: the synthesis basis (irfft scaled by 1/N, times the window).
  let synthesis: Tensor<Scalar>
  /// The periodic Hann window, in double precision.
  let window: [Double]

  /// Precomputes the window and both bases; `binCount` ≤ N/2 + 1 bins are kept.
  public init(fftLength: Int, hopLength: Int, binCount: Int) {
    precondition(fftLength >= 2 && fftLength % 2 == 0, "fftLength must be even and ≥ 2")
    precondition(hopLength >= 1 && hopLength < fftLength, "hopLength must be in 1..<fftLength")
    precondition(binCount >= 1 && binCount <= fftLength / 2 + 1, "binCount must be in 1...N/2+1")
    (self.fftLength, self.hopLength, self.binCount) = (fftLength, hopLength, binCount)
    let n = fftLength
    // torch.hann_window(N) (periodic): 0.5 − 0.5·cos(2πn/N).
    let window = (0..<n).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n)) }
    self.window = window
    var a = [Scalar](repeating: 0, count: 2 * binCount * n)
    var s = [Scalar](repeating: 0, count: 2 * binCount * n)
    for k in 0..<binCount {
      // A one-sided bin k stands for k and N − k, except DC and Nyquist.
      let weight = (k == 0 || 2 * k == n) ? 1.0 : 2.0
      for t in 0..<n {
        // (k·t) mod N keeps the angle exact for long transforms.
        let angle = 2 * Double.pi * Double((k * t) % n) / Double(n)
        let (c, sn) = (cos(angle), sin(angle))
        a[k * n + t] = Scalar(window[t] * c)
        a[(binCount + k) * n + t] = Scalar(-window[t] * sn)
        s[k * n + t] = Scalar(weight * c * window[t] / Double(n))
        s[(binCount + k) * n + t] = Scalar(-weight * sn * window[t] / Double(n))
      }
    }
    analysis = Tensor(shape: [2 * binCount, 1, n], scalars: a)
    synthesis = Tensor(shape: [2 * binCount, 1, 1, n], scalars: s)
  }

  /// Frames of a `samples`-long signal: 1 + ⌊samples / hop⌋.
  public func frameCount(samples: Int) -> Int { 1 + samples / hopLength }

  /// The STFT of `[R, S]` signals (R rows of S samples): `[R, 2·binCount, T]`, real parts in rows
  /// `0..<binCount` and imaginary parts in rows `binCount..<2·binCount`.
  public func spectrum(_ signal: Tensor<Scalar>) -> Tensor<Scalar> {
    precondition(signal.rank == 2, "spectrum needs [rows, samples], got \(signal.shape)")
    let (rows, samples) = (signal.shape[0], signal.shape[1])
    let half = fftLength / 2
    return signal.reshaped([rows, 1, samples]).padded(axis: 2, before: half, after: half)
      .conv1d(weight: analysis, bias: nil, stride: hopLength)
  }

  /// The inverse STFT of `[R, 2·binCount, T]` (real rows over imaginary rows): `[R, hop·(T−1)]`,
  /// torch.istft with `center=True` and `length=None`.
  ///
  /// - Throws: ``ModelError`` (`wrongInputShape`) when the squared-window envelope vanishes
  ///   somewhere in the output (PyTorch's NOLA error), which needs more frames than one.
  public func inverse(_ spectrum: Tensor<Scalar>) throws -> Tensor<Scalar> {
    precondition(
      spectrum.rank == 3 && spectrum.shape[1] == 2 * binCount,
      "inverse needs [rows, \(2 * binCount), frames], got \(spectrum.shape)")
    let (rows, frames) = (spectrum.shape[0], spectrum.shape[2])
    let envelope = try inverseEnvelope(frames: frames)
    let full = fftLength + hopLength * (frames - 1)
    let half = fftLength / 2
    return spectrum.reshaped([rows, 2 * binCount, 1, frames])
      .convTranspose2d(weight: synthesis, bias: nil, stride: (1, hopLength))
      .reshaped([rows, full])
      .slice(axis: 1, half..<(full - half)) / envelope
  }

  /// The overlap-added squared window over the kept samples, `[hop·(T−1)]`.
  func inverseEnvelope(frames: Int) throws -> Tensor<Scalar> {
    let full = fftLength + hopLength * (frames - 1)
    var sum = [Double](repeating: 0, count: full)
    for f in 0..<frames {
      for t in 0..<fftLength { sum[f * hopLength + t] += window[t] * window[t] }
    }
    let kept = Array(sum[(fftLength / 2)..<(full - fftLength / 2)])
    guard !kept.isEmpty, kept.allSatisfy({ $0 > 1e-11 }) else {
      throw ModelError(
        .wrongInputShape,
        "the inverse STFT of \(frames) frame(s) is undefined: the window envelope vanishes "
          + "(torch.istft's NOLA condition); use at least two frames")
    }
    return Tensor(shape: [kept.count], scalars: kept.map { Scalar($0) })
  }
}
