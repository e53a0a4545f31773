/// Linear convolution by FFT overlap-add, for long signals and medium-length filters
/// (room impulse responses, reverberation tails).
///
/// One `Convolver` holds the filter's spectrum and an FFT plan, so convolving many signals
/// with the same filter costs one forward and one inverse FFT per block.
///
/// ```swift
/// let reverb = try Convolver(filter: impulseResponse)
/// let wet = reverb.convolve(dry)          // dry.count + impulseResponse.count - 1 samples
/// ```
public final class Convolver {
  /// The filter length in samples.
  public let filterLength: Int
  /// Input samples consumed per FFT block.
  public let blockLength: Int
  private let plan: FFTPlan
  private let filterSpectrum: [Float]

  /// Prepares convolution with `filter` (at least one sample).
  /// - Throws: `DSPError.invalidSize` for an empty filter.
  public init(filter: [Float]) throws {
    guard !filter.isEmpty else { throw DSPError(.invalidSize, "the convolution filter is empty") }
    filterLength = filter.count
    // An FFT of at least 4× the filter keeps the per-sample cost near its minimum.
    var fftSize = 256
    while fftSize < 4 * filter.count { fftSize <<= 1 }
    plan = try FFTPlan(size: fftSize)
    blockLength = fftSize - filter.count + 1
    filterSpectrum = plan.forward(filter)
  }

  /// The full linear convolution of `signal` with the filter:
  /// `y[n] = Σₖ h[k]·x[n−k]`, `signal.count + filterLength − 1` samples (empty for an
  /// empty signal).
  /// - Complexity: O((n + m)·log(fftSize)).
  public func convolve(_ signal: [Float]) -> [Float] {
    guard !signal.isEmpty else { return [] }
    let n = plan.size
    let outputCount = signal.count + filterLength - 1
    var output = [Float](repeating: 0, count: outputCount)
    var spectrum = [Float](repeating: 0, count: plan.spectrumLength)
    var block = [Float](repeating: 0, count: n)
    let scale = 1 / Float(n)
    signal.withUnsafeBufferPointer { x in
      var start = 0
      while start < x.count {
        let count = min(blockLength, x.count - start)
        spectrum.withUnsafeMutableBufferPointer { s in
          plan.forward(UnsafeBufferPointer(rebasing: x[start..<start + count]), into: s)
        }
        Self.multiply(&spectrum, by: filterSpectrum, scale: 1)
        spectrum.withUnsafeBufferPointer { s in
          block.withUnsafeMutableBufferPointer { plan.inverse(s, into: $0) }
        }
        let valid = min(count + filterLength - 1, outputCount - start)
        output.withUnsafeMutableBufferPointer { y in
          for i in 0..<valid { y[start + i] += block[i] * scale }
        }
        start += count
      }
    }
    return output
  }
}

extension Convolver {
  /// The full linear convolutions of one signal with each of several filters, sharing the signal's
  /// spectrum (one forward FFT for the signal, one per filter, one inverse per filter).
  ///
  /// Use it to render one source through several impulse responses (e.g. the four Ambisonics
  /// channels of a reverberation tail).
  ///
  /// - Returns: one array per filter, `signal.count + filter.count − 1` samples each.
  /// - Throws: `DSPError.invalidSize` if a filter is empty.
  public static func convolve(_ signal: [Float], withEach filters: [[Float]]) throws -> [[Float]] {
    guard !signal.isEmpty else { return filters.map { _ in [] } }
    guard let longest = filters.map(\.count).max() else { return [] }
    guard filters.allSatisfy({ !$0.isEmpty }) else {
      throw DSPError(.invalidSize, "a convolution filter is empty")
    }
    var size = 256
    while size < signal.count + longest - 1 { size <<= 1 }
    let plan = try FFTPlan(size: size)
    let signalSpectrum = plan.forward(signal)
    let scale = 1 / Float(size)
    return filters.map { filter in
      var spectrum = plan.forward(filter)
      multiply(&spectrum, by: signalSpectrum, scale: scale)
      return Array(plan.inverse(spectrum).prefix(signal.count + filter.count - 1))
    }
  }
}

extension Convolver {
  /// `a ← scale · a ⊙ b` for interleaved complex spectra of equal length.
  fileprivate static func multiply(_ a: inout [Float], by b: [Float], scale: Float) {
    precondition(a.count == b.count, "spectra differ in length")
    a.withUnsafeMutableBufferPointer { s in
      b.withUnsafeBufferPointer { h in
        var k = 0
        while k < s.count {
          let re = s[k] * h[k] - s[k + 1] * h[k + 1]
          let im = s[k] * h[k + 1] + s[k + 1] * h[k]
          s[k] = re * scale
          s[k + 1] = im * scale
          k += 2
        }
      }
    }
  }
}
