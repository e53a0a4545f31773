internal import CFFTW
import Foundation

/// A real-input FFT of one size: forward (real → half spectrum) and inverse (half spectrum →
/// real), planned once with FFTW and reused for every call.
///
/// Conventions follow FFTW and numpy's `rfft` / `irfft`: the forward transform is unscaled,
/// `X[k] = Σ x[n]·e^{-2πikn/N}` for `k = 0…N/2`; the inverse is unscaled too, so
/// `inverse(forward(x)) = N·x`.
///
/// The spectrum is stored interleaved (`re₀, im₀, re₁, im₁, …`), `2·(N/2 + 1)` values.
/// Planning uses `FFTW_ESTIMATE`, which is deterministic (the same plan, hence the same
/// rounding, on every run). Planning is serialised internally, so plans may be created from
/// any thread; one plan instance must not be used by two threads at once (it owns its work
/// buffers), so give each worker its own.
///
/// ```swift
/// let plan = try FFTPlan(size: 512)
/// var spectrum = [Float](repeating: 0, count: plan.spectrumLength)
/// plan.forward(frame, into: &spectrum)
/// ```
public final class FFTPlan {
  /// The transform length N (real samples).
  public let size: Int
  /// Interleaved spectrum length: `2 · (size/2 + 1)` floats.
  public var spectrumLength: Int { 2 * (size / 2 + 1) }

  private let forwardPlan: OpaquePointer
  private let inversePlan: OpaquePointer
  private let real: UnsafeMutablePointer<Float>
  private let complex: UnsafeMutablePointer<fftwf_complex>

  /// FFTW's planner is not thread-safe; every plan creation and destruction (of any precision,
  /// see `FFTPlanDouble`) goes through it.
  static let planner = NSLock()

  /// Plans transforms of length `size`.
  /// - Throws: `DSPError.invalidSize` for `size < 1`, `.planningFailed` if FFTW refuses.
  public init(size: Int) throws {
    guard size >= 1, size <= 1 << 28 else {
      throw DSPError(.invalidSize, "FFT size must be in 1…2^28, got \(size)")
    }
    self.size = size
    guard let real = fftwf_alloc_real(size), let complex = fftwf_alloc_complex(size / 2 + 1) else {
      throw DSPError(.planningFailed, "cannot allocate FFT buffers of size \(size)")
    }
    let plans = Self.planner.withLock { () -> (OpaquePointer?, OpaquePointer?) in
      let flags = UInt32(FFTW_ESTIMATE)
      let f = fftwf_plan_dft_r2c_1d(Int32(size), real, complex, flags)
      let i = fftwf_plan_dft_c2r_1d(Int32(size), complex, real, flags | UInt32(FFTW_DESTROY_INPUT))
      return (f, i)
    }
    guard let forwardPlan = plans.0, let inversePlan = plans.1 else {
      Self.planner.withLock {
        if let f = plans.0 { fftwf_destroy_plan(f) }
        if let i = plans.1 { fftwf_destroy_plan(i) }
      }
      fftwf_free(real)
      fftwf_free(complex)
      throw DSPError(.planningFailed, "FFTW could not plan a transform of size \(size)")
    }
    self.real = real
    self.complex = complex
    self.forwardPlan = forwardPlan
    self.inversePlan = inversePlan
  }

  deinit {
    let f = forwardPlan
    let i = inversePlan
    Self.planner.withLock {
      fftwf_destroy_plan(f)
      fftwf_destroy_plan(i)
    }
    fftwf_free(real)
    fftwf_free(complex)
  }

  /// Forward transform of `input` (zero-padded if shorter than `size`) into `spectrum`
  /// (`spectrumLength` interleaved floats).
  public func forward(
    _ input: UnsafeBufferPointer<Float>, into spectrum: UnsafeMutableBufferPointer<Float>
  ) {
    precondition(input.count <= size, "input of \(input.count) samples exceeds FFT size \(size)")
    precondition(spectrum.count >= spectrumLength, "spectrum needs \(spectrumLength) floats")
    if let base = input.baseAddress { real.update(from: base, count: input.count) }
    (real + input.count).update(repeating: 0, count: size - input.count)
    fftwf_execute(forwardPlan)
    guard let destination = spectrum.baseAddress else { return }
    UnsafeMutableRawPointer(destination).copyMemory(
      from: complex, byteCount: spectrumLength * MemoryLayout<Float>.size)
  }

  /// Inverse transform of `spectrum` (`spectrumLength` interleaved floats) into `output`
  /// (`size` floats), unscaled.
  public func inverse(
    _ spectrum: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>
  ) {
    precondition(spectrum.count >= spectrumLength, "spectrum needs \(spectrumLength) floats")
    precondition(output.count >= size, "output needs \(size) floats")
    guard let source = spectrum.baseAddress, let destination = output.baseAddress else { return }
    UnsafeMutableRawPointer(complex).copyMemory(
      from: source, byteCount: spectrumLength * MemoryLayout<Float>.size)
    fftwf_execute(inversePlan)
    destination.update(from: real, count: size)
  }

  /// Array convenience: the interleaved half spectrum of `input`.
  public func forward(_ input: [Float]) -> [Float] {
    var spectrum = [Float](repeating: 0, count: spectrumLength)
    input.withUnsafeBufferPointer { i in
      spectrum.withUnsafeMutableBufferPointer { forward(i, into: $0) }
    }
    return spectrum
  }

  /// Array convenience: the unscaled inverse of an interleaved half spectrum.
  public func inverse(_ spectrum: [Float]) -> [Float] {
    var output = [Float](repeating: 0, count: size)
    spectrum.withUnsafeBufferPointer { s in
      output.withUnsafeMutableBufferPointer { inverse(s, into: $0) }
    }
    return output
  }
}

/// An error from the DSP layer.
public struct DSPError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The kind of failure.
  public enum Code: String, Sendable {
    /// A transform or window size outside the supported range.
    case invalidSize
    /// FFTW could not create a plan.
    case planningFailed
  }

  /// What went wrong.
  public var code: Code
  /// Explanation.
  public var message: String

  /// Creates an error.
  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  /// One line: the path (if any) and the message.
  public var description: String { message }
}
