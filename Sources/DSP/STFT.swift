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
/// One FFTW plan per size is shared by all transforms (see `FFTPlan`); a call allocates its
/// scratch buffers once, never per frame, so it is safe to call concurrently from many threads.
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
    let n = configuration.fftLength
    let hop = configuration.hopLength
    let length = signal.count
    let frames = frameCount(sampleCount: length)
    let bins = binCount
    precondition(
      real.count >= bins * frames && imaginary.count >= bins * frames,
      "STFT output needs \(bins) × \(frames) values per part")
    if configuration.padding == .centerReflect {
      precondition(
        length > n / 2, "reflect padding needs more than \(n / 2) samples, got \(length)")
    }
    let pad = leadingPadding
    let reflect = configuration.padding == .centerReflect
    var frame = [Float](repeating: 0, count: n)
    var spectrum = [Float](repeating: 0, count: 2 * bins)
    STFTPlanPool.shared.withPlan(size: n) { plan in
      frame.withUnsafeMutableBufferPointer { frame in
        spectrum.withUnsafeMutableBufferPointer { spectrum in
          window.withUnsafeBufferPointer { window in
            for t in 0..<frames {
              let start = t * hop - pad
              // Samples inside the signal; the rest is padding.
              let inside = max(0, -start)..<max(max(0, -start), min(n, length - start))
              for i in inside { frame[i] = signal[start + i] * window[i] }
              for i in 0..<inside.lowerBound {
                frame[i] = reflect ? signal[-(start + i)] * window[i] : 0
              }
              for i in inside.upperBound..<n {
                frame[i] = reflect ? signal[2 * (length - 1) - (start + i)] * window[i] : 0
              }
              plan.forward(UnsafeBufferPointer(frame), into: spectrum)
              for k in 0..<bins {
                real[k * frames + t] = spectrum[2 * k] * scale
                imaginary[k * frames + t] = spectrum[2 * k + 1] * scale
              }
            }
          }
        }
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
