import Foundation

/// A short-time Fourier transform with the conventions of `scipy.signal.stft` or
/// `torch.stft` / `torch.istft`, chosen by its `Configuration`.
///
/// For a signal `x` of length L, frame `t` of the (padded) signal `p` is
/// `Z[k, t] = s · Σₙ w[n]·p[t·hop + n]·e^{−2πikn/N}` for the one-sided bins `k = 0…N/2`, with
/// `N = fftLength`, window `w` and scale `s` (1, or `1/Σw` for `.spectrum` scaling). Padding:
///
/// - `.scipy` (scipy's `boundary='zeros', padded=True`): N/2 zeros on each side, then zeros at
///   the end so the frames tile the padded signal exactly. Frames:
///   `⌈L / hop⌉ + 1`.
/// - `.centerZeros` / `.centerReflect` (torch's `center=True` with `pad_mode='constant'` or
///   `'reflect'`): N/2 samples on each side. Frames: `1 + ⌊L / hop⌋`.
///
/// Output layout is scipy's and torch's: bin-major, `[binCount, frameCount]` row-major
/// (`Z[k, t]` at index `k·frameCount + t`), real and imaginary parts in separate buffers.
///
/// FFTW plans are kept per size and reused by all transforms: the forward frames go through
/// `PackedRealFFT` (an N/2-point complex FFT, 2× faster than FFTW's estimated real plan and, with
/// FFTW 3.3.10, bit-identical to it), the inverse through `FFTPlan`. A call allocates its scratch
/// buffers once, never per frame, so it is safe to call concurrently from many threads.
///
/// ```swift
/// let stft = try STFT(.seldnet)                       // scipy, Hamming 512, hop 400
/// let (re, im) = stft.transform(channel)              // 257 × stft.frameCount(sampleCount:)
/// let torch = try STFT(.mimoUNet)                     // torch, Hann 512, hop 128
/// let y = torch.inverse(real: re2, imaginary: im2, frameCount: 17)
/// ```
public struct STFT: Sendable {
  /// The parameters of a transform; the presets reproduce the two baselines.
  public struct Configuration: Sendable, Codable, Equatable {
    /// How the signal is extended before framing.
    public enum Padding: String, Sendable, Codable, CaseIterable {
      /// scipy's `boundary='zeros', padded=True`.
      case scipy
      /// torch's `center=True, pad_mode='constant'`.
      case centerZeros
      /// torch's `center=True, pad_mode='reflect'` (mirror without repeating the edge sample).
      case centerReflect
    }

    /// How frames are scaled.
    public enum Scaling: String, Sendable, Codable, CaseIterable {
      /// No scaling (torch, `normalized=False`).
      case none
      /// scipy's `scaling='spectrum'`: multiply by `1/Σw`, so a full-scale sinusoid on a bin
      /// has magnitude about ½.
      case spectrum
    }

    /// FFT size N and frame (window) length, in samples (≥ 2, even).
    public var fftLength: Int
    /// Hop between frame starts, in samples (1…N).
    public var hopLength: Int
    /// The window, used periodic.
    public var window: STFTWindow
    /// Signal extension before framing.
    public var padding: Padding
    /// Frame scaling.
    public var scaling: Scaling

    /// Creates a configuration.
    public init(
      fftLength: Int, hopLength: Int, window: STFTWindow, padding: Padding, scaling: Scaling
    ) {
      self.fftLength = fftLength
      self.hopLength = hopLength
      self.window = window
      self.padding = padding
      self.scaling = scaling
    }

    /// The SELDnet input spectrum (L3DAS21/22 `spectrum_fast`):
    /// `scipy.signal.stft(x, window='hamming', nperseg=512, noverlap=112)`, 12.5 ms hop at 32 kHz.
    public static let seldnet = Configuration(
      fftLength: 512, hopLength: 400, window: .hamming, padding: .scipy, scaling: .spectrum)

    /// The STFT inside MIMO U-Net (L3DAS22 Task 1): `torch.stft(x, 512, 128,
    /// window=torch.hann_window(512), center=True, pad_mode='constant')`.
    public static let mimoUNet = Configuration(
      fftLength: 512, hopLength: 128, window: .hann, padding: .centerZeros, scaling: .none)
  }

  /// The configuration.
  public let configuration: Configuration
  /// The periodic window, `fftLength` values.
  public let window: [Float]
  /// The scale applied to every frame (1 or `1/Σw`).
  public let scale: Float

  /// One-sided bins per frame, `fftLength/2 + 1`.
  public var binCount: Int { configuration.fftLength / 2 + 1 }

  /// Prepares a transform (computes the window, plans the FFT once per process and size).
  /// - Throws: `DSPError.invalidSize` for an odd or tiny FFT length or a hop outside 1…N;
  ///   `.planningFailed` if FFTW refuses.
  public init(_ configuration: Configuration) throws {
    let n = configuration.fftLength
    guard n >= 2, n % 2 == 0, n <= 1 << 24 else {
      throw DSPError(.invalidSize, "STFT fftLength must be even and in 2…2^24, got \(n)")
    }
    guard configuration.hopLength >= 1, configuration.hopLength <= n else {
      throw DSPError(
        .invalidSize, "STFT hopLength must be in 1…\(n), got \(configuration.hopLength)")
    }
    self.configuration = configuration
    let window = configuration.window.values(length: n)
    self.window = window
    switch configuration.scaling {
    case .none: scale = 1
    case .spectrum:
      // scipy sums the float32 window in (at least) float32; summing in Double and rounding
      // once is within an ulp of it.
      scale = Float(1 / window.reduce(0.0) { $0 + Double($1) })
    }
    try STFTPlanPool.shared.prepare(size: n)
    try PackedRealFFT.pool.prepare(size: n)
  }

  /// Samples added before the signal (N/2 for every padding mode).
  public var leadingPadding: Int { configuration.fftLength / 2 }

  /// Frames produced for a signal of `sampleCount` samples (see the type's documentation).
  public func frameCount(sampleCount: Int) -> Int {
    precondition(sampleCount >= 0, "sampleCount must be non-negative")
    let n = configuration.fftLength
    let hop = configuration.hopLength
    switch configuration.padding {
    case .scipy:
      let padded = sampleCount + n  // N/2 each side; scipy then pads the end to whole hops
      return (padded - n + hop - 1) / hop + 1
    case .centerZeros, .centerReflect:
      return 1 + sampleCount / hop
    }
  }

  /// Frames per block handed to `withFrameBlocks(_:_:)`: enough for cache-line-wide
  /// transposes into bin-major outputs, few enough to stay in L1/L2.
  public static let blockFrameCount = 64

  /// Computes the frames of `signal` block by block and hands each block to `body`: its first
  /// frame, its frame count (≤ `blockFrameCount`) and the scaled one-sided spectra, frame-major
  /// and interleaved: frame `j`, bin `k` at `[j·2·binCount + 2k]` (real) and `+ 1` (imaginary).
  ///
  /// The buffer is reused between blocks. Values are exactly those `transform` stores.
  ///
  /// - Parameter signal: the samples; with `.centerReflect` more than N/2 of them.
  /// - Complexity: O(frames · N log N); one allocation per call, none per frame.
  public func withFrameBlocks(
    _ signal: UnsafeBufferPointer<Float>,
    _ body: (_ firstFrame: Int, _ count: Int, _ spectra: UnsafeBufferPointer<Float>) -> Void
  ) {
    computeFrames(signal, into: nil, body)
  }

  /// The STFT of `signal` in scipy's memory layout: frame-major, interleaved complex values.
  ///
  /// Frame `t`, bin `k` is at `[t·2·binCount + 2k]` (real) and `+ 1` (imaginary). This is the
  /// memory behind the `[binCount, frames]` array `scipy.signal.stft` returns (a transposed view).
  ///
  /// - Parameters:
  ///   - signal: the samples; with `.centerReflect` more than N/2 of them.
  ///   - frameMajor: at least `2 · binCount · frameCount(sampleCount: signal.count)` values.
  /// - Complexity: O(frames · N log N); no allocation per frame, no transpose.
  public func transform(
    _ signal: UnsafeBufferPointer<Float>, frameMajor: UnsafeMutableBufferPointer<Float>
  ) {
    let count = 2 * binCount * frameCount(sampleCount: signal.count)
    precondition(frameMajor.count >= count, "STFT output needs \(count) values")
    guard count > 0, let base = frameMajor.baseAddress else { return }
    computeFrames(signal, into: base) { _, _, _ in }
  }

  /// Computes every frame's scaled spectrum, into `target` (frame-major, the whole output) or,
  /// when `target` is nil, into a reused block buffer; hands each block to `body`.
  private func computeFrames(
    _ signal: UnsafeBufferPointer<Float>, into target: UnsafeMutablePointer<Float>?,
    _ body: (_ firstFrame: Int, _ count: Int, _ spectra: UnsafeBufferPointer<Float>) -> Void
  ) {
    let n = configuration.fftLength
    let hop = configuration.hopLength
    let length = signal.count
    let frames = frameCount(sampleCount: length)
    let stride = 2 * binCount
    if configuration.padding == .centerReflect {
      precondition(
        length > n / 2, "reflect padding needs more than \(n / 2) samples, got \(length)")
    }
    let pad = leadingPadding
    let reflect = configuration.padding == .centerReflect
    let block = Self.blockFrameCount
    let scale = scale
    let blockCapacity = target == nil ? block * stride : 1
    let blockBuffer = UnsafeMutablePointer<Float>.allocate(capacity: blockCapacity)
    defer { blockBuffer.deallocate() }
    blockBuffer.initialize(repeating: 0, count: blockCapacity)
    PackedRealFFT.pool.withPlan(size: n) { plan in
      let f = plan.input
      window.withUnsafeBufferPointer { window in
        for first in Swift.stride(from: 0, to: frames, by: block) {
          let count = min(block, frames - first)
          let spectra = target.map { $0 + first * stride } ?? blockBuffer
          for j in 0..<count {
            let start = (first + j) * hop - pad
            if start >= 0, start + n <= length, let source = signal.baseAddress,
              let w = window.baseAddress
            {
              // Interior frame (nearly all of them): one vectorised multiply.
              let x = source + start
              for i in 0..<n { f[i] = x[i] * w[i] }
            } else {
              // Samples inside the signal; the rest is padding.
              let inside = max(0, -start)..<max(max(0, -start), min(n, length - start))
              for i in inside { f[i] = signal[start + i] * window[i] }
              for i in 0..<inside.lowerBound {
                f[i] = reflect ? signal[-(start + i)] * window[i] : 0
              }
              for i in inside.upperBound..<n {
                f[i] = reflect ? signal[2 * (length - 1) - (start + i)] * window[i] : 0
              }
            }
            plan.forward(into: spectra + j * stride, scale: scale)
          }
          body(first, count, UnsafeBufferPointer(start: spectra, count: count * stride))
        }
      }
    }
  }

  /// The STFT of `signal` into `real` and `imaginary`, each `binCount × frameCount` values,
  /// bin-major (`Z[k, t]` at `k·frameCount + t`).
  ///
  /// - Parameters:
  ///   - signal: the samples; with `.centerReflect` more than N/2 of them.
  ///   - real, imaginary: at least `binCount · frameCount(sampleCount: signal.count)` values each.
  /// - Complexity: O(frames · N log N); no allocation per frame.
  public func transform(
    _ signal: UnsafeBufferPointer<Float>, real: UnsafeMutableBufferPointer<Float>,
    imaginary: UnsafeMutableBufferPointer<Float>
  ) {
    let frames = frameCount(sampleCount: signal.count)
    let bins = binCount
    precondition(
      real.count >= bins * frames && imaginary.count >= bins * frames,
      "STFT output needs \(bins) × \(frames) values per part")
    withFrameBlocks(signal) { first, count, spectra in
      // Transposed a block at a time, 8 bins (one cache line of pairs) per pass: each bin row
      // receives `count` consecutive values.
      guard let z = spectra.baseAddress, let re = real.baseAddress,
        let im = imaginary.baseAddress
      else { return }
      var k0 = 0
      while k0 < bins {
        let width = min(8, bins - k0)
        for j in 0..<count {
          let pairs = z + j * 2 * bins + 2 * k0
          let row = k0 * frames + first + j
          for k in 0..<width {
            re[row + k &* frames] = pairs[2 * k]
            im[row + k &* frames] = pairs[2 * k + 1]
          }
        }
        k0 += 8
      }
    }
  }

  /// Array convenience for `transform(_:real:imaginary:)`.
  /// - Returns: real and imaginary parts, each `binCount × frameCount` bin-major values.
  public func transform(_ signal: some Collection<Float>) -> (real: [Float], imaginary: [Float]) {
    let samples = Array(signal)
    let count = binCount * frameCount(sampleCount: samples.count)
    var real = [Float](repeating: 0, count: count)
    var imaginary = [Float](repeating: 0, count: count)
    samples.withUnsafeBufferPointer { s in
      real.withUnsafeMutableBufferPointer { r in
        imaginary.withUnsafeMutableBufferPointer { transform(s, real: r, imaginary: $0) }
      }
    }
    return (real, imaginary)
  }
}
