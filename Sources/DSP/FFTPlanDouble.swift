internal import CFFTW
import Foundation

/// A double-precision real-input FFT of one size: forward (real → half spectrum) and inverse
/// (half spectrum → real), planned once with FFTW (`fftw3`) and reused for every call.
///
/// The double-precision twin of ``FFTPlan``, for code that must agree with a float64 reference
/// (numpy) to many digits, such as the STOI port in `Metrics`. Conventions are the same: the
/// forward transform is unscaled, `X[k] = Σ x[n]·e^{-2πikn/N}` for `k = 0…N/2`; the inverse is
/// unscaled too, so `inverse(forward(x)) = N·x`. The spectrum is stored interleaved
/// (`re₀, im₀, re₁, im₁, …`), `2·(N/2 + 1)` values.
///
/// Planning uses `FFTW_ESTIMATE` (deterministic) and shares ``FFTPlan``'s planner lock, so plans
/// of either precision may be created from any thread; one plan instance must not be used by two
/// threads at once (it owns its work buffers), so give each worker its own.
///
/// ```swift
/// let plan = try FFTPlanDouble(size: 512)
/// let spectrum = plan.forward(frame)      // 514 doubles
/// ```
public final class FFTPlanDouble {
  /// The transform length N (real samples).
  public let size: Int
  /// Interleaved spectrum length: `2 · (size/2 + 1)` doubles.
  public var spectrumLength: Int { 2 * (size / 2 + 1) }

  private let forwardPlan: OpaquePointer
  private let inversePlan: OpaquePointer
  private let real: UnsafeMutablePointer<Double>
  private let complex: UnsafeMutablePointer<fftw_complex>

  /// Plans transforms of length `size`.
  ///
  /// - Parameter size: the number of real samples per transform, 1…2²⁸.
  /// - Throws: `DSPError.invalidSize` for a size outside 1…2²⁸, `.planningFailed` if FFTW
  ///   refuses.
  public init(size: Int) throws {
    guard size >= 1, size <= 1 << 28 else {
      throw DSPError(.invalidSize, "FFT size must be in 1…2^28, got \(size)")
    }
    self.size = size
    guard let real = fftw_alloc_real(size), let complex = fftw_alloc_complex(size / 2 + 1) else {
      throw DSPError(.planningFailed, "cannot allocate FFT buffers of size \(size)")
    }
    let plans = FFTPlan.planner.withLock { () -> (OpaquePointer?, OpaquePointer?) in
      let flags = UInt32(FFTW_ESTIMATE)
      let f = fftw_plan_dft_r2c_1d(Int32(size), real, complex, flags)
      let i = fftw_plan_dft_c2r_1d(Int32(size), complex, real, flags | UInt32(FFTW_DESTROY_INPUT))
      return (f, i)
    }
    guard let forwardPlan = plans.0, let inversePlan = plans.1 else {
      FFTPlan.planner.withLock {
        if let f = plans.0 { fftw_destroy_plan(f) }
        if let i = plans.1 { fftw_destroy_plan(i) }
      }
      fftw_free(real)
      fftw_free(complex)
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
    FFTPlan.planner.withLock {
      fftw_destroy_plan(f)
      fftw_destroy_plan(i)
    }
    fftw_free(real)
    fftw_free(complex)
  }

  /// Forward transform of `input` (zero-padded if shorter than `size`) into `spectrum`.
  ///
  /// - Parameters:
  ///   - input: at most `size` real samples.
  ///   - spectrum: room for `spectrumLength` interleaved doubles.
  public func forward(
    _ input: UnsafeBufferPointer<Double>, into spectrum: UnsafeMutableBufferPointer<Double>
  ) {
    precondition(input.count <= size, "input of \(input.count) samples exceeds FFT size \(size)")
    precondition(spectrum.count >= spectrumLength, "spectrum needs \(spectrumLength) doubles")
    if let base = input.baseAddress { real.update(from: base, count: input.count) }
    (real + input.count).update(repeating: 0, count: size - input.count)
    fftw_execute(forwardPlan)
    guard let destination = spectrum.baseAddress else { return }
    UnsafeMutableRawPointer(destination).copyMemory(
      from: complex, byteCount: spectrumLength * MemoryLayout<Double>.size)
  }

  /// Forward transform in the plan's own buffers, without copying input or output.
  ///
  /// `prepare` writes the input into the plan's real buffer (`size` doubles; it holds whatever
  /// the previous call left, since the forward transform preserves its input), the transform
  /// runs, and `consume` reads the interleaved half spectrum (`spectrumLength` doubles) in
  /// place. Neither buffer may escape its closure.
  ///
  /// - Parameters:
  ///   - prepare: fills the `size`-sample input.
  ///   - consume: reads the spectrum and computes the result.
  /// - Returns: what `consume` returns.
  public func forward<Result>(
    prepare: (UnsafeMutableBufferPointer<Double>) -> Void,
    consume: (UnsafeBufferPointer<Double>) -> Result
  ) -> Result {
    prepare(UnsafeMutableBufferPointer(start: real, count: size))
    fftw_execute(forwardPlan)
    // fftw_complex is double[2]; its memory is a plain sequence of doubles.
    let spectrum = UnsafeRawPointer(complex).assumingMemoryBound(to: Double.self)
    return consume(UnsafeBufferPointer(start: spectrum, count: spectrumLength))
  }

  /// Inverse transform of `spectrum` into `output`, unscaled.
  ///
  /// - Parameters:
  ///   - spectrum: `spectrumLength` interleaved doubles.
  ///   - output: room for `size` doubles.
  public func inverse(
    _ spectrum: UnsafeBufferPointer<Double>, into output: UnsafeMutableBufferPointer<Double>
  ) {
    precondition(spectrum.count >= spectrumLength, "spectrum needs \(spectrumLength) doubles")
    precondition(output.count >= size, "output needs \(size) doubles")
    guard let source = spectrum.baseAddress, let destination = output.baseAddress else { return }
    UnsafeMutableRawPointer(complex).copyMemory(
      from: source, byteCount: spectrumLength * MemoryLayout<Double>.size)
    fftw_execute(inversePlan)
    destination.update(from: real, count: size)
  }

  /// Array convenience: the interleaved half spectrum of `input`.
  ///
  /// - Parameter input: at most `size` real samples (zero-padded to `size`).
  /// - Returns: `spectrumLength` interleaved doubles.
  public func forward(_ input: [Double]) -> [Double] {
    var spectrum = [Double](repeating: 0, count: spectrumLength)
    input.withUnsafeBufferPointer { i in
      spectrum.withUnsafeMutableBufferPointer { forward(i, into: $0) }
    }
    return spectrum
  }

  /// Array convenience: the unscaled inverse of an interleaved half spectrum.
  ///
  /// - Parameter spectrum: `spectrumLength` interleaved doubles.
  /// - Returns: `size` real samples, `size` times the original signal.
  public func inverse(_ spectrum: [Double]) -> [Double] {
    var output = [Double](repeating: 0, count: size)
    spectrum.withUnsafeBufferPointer { s in
      output.withUnsafeMutableBufferPointer { inverse(s, into: $0) }
    }
    return output
  }
}
