@testable import DSP
import Foundation
import TensorModule
import Testing

@Suite("FFT")
struct FFTPlanTests {
  /// Single-precision FFT error grows like ε·log N; relative to the signal's L2 norm 1e-5
  /// leaves a wide margin at these sizes.
  static let relativeTolerance = 1e-5

  /// The largest difference between `spectrum` (interleaved one-sided bins) and `scale` times
  /// the double-precision DFT of `x`, and that DFT's largest magnitude.
  static func errorAgainstNaiveDFT(
    _ x: [Float], _ spectrum: [Float], scale: Double
  ) -> (maxError: Double, norm: Double) {
    let size = x.count
    var maxError = 0.0
    var norm = 0.0
    for k in 0...(size / 2) {
      var re = 0.0, im = 0.0
      for n in 0..<size {
        let angle = -2 * Double.pi * Double(k * n % size) / Double(size)
        re += Double(x[n]) * cos(angle)
        im += Double(x[n]) * sin(angle)
      }
      re *= scale
      im *= scale
      maxError = max(
        maxError, abs(re - Double(spectrum[2 * k])), abs(im - Double(spectrum[2 * k + 1])))
      norm = max(norm, (re * re + im * im).squareRoot())
    }
    return (maxError, norm)
  }

  @Test("the forward transform equals a naive DFT", arguments: [1, 2, 7, 16, 250, 512, 1000])
  func forward(size: Int) throws {
    var rng = SplitMix64(seed: UInt64(size))
    let x = (0..<size).map { _ in Float.random(in: -1..<1, using: &rng) }
    let plan = try FFTPlan(size: size)
    let (maxError, norm) = Self.errorAgainstNaiveDFT(x, plan.forward(x), scale: 1)
    #expect(maxError <= Self.relativeTolerance * max(norm, 1) * Double(size).squareRoot())
  }

  @Test(
    "the packed real FFT (N/2-point complex transform) equals a naive DFT, frame by frame",
    arguments: [2, 4, 6, 16, 250, 400, 512, 1024])
  func packed(size: Int) throws {
    var rng = SplitMix64(seed: UInt64(size) + 99)
    let plan = try PackedRealFFT(size: size)
    var spectrum = [Float](repeating: .nan, count: size + 2)
    // A loud frame, then a frame 1e6 times quieter through the same plan: each frame's error
    // must stay relative to its own magnitude.
    for amplitude in [1000 as Float, 1e-3] {
      let x = (0..<size).map { _ in amplitude * Float.random(in: -1..<1, using: &rng) }
      for n in 0..<size { plan.input[n] = x[n] }
      spectrum.withUnsafeMutableBufferPointer { plan.forward(into: $0.baseAddress!, scale: 0.25) }
      let (maxError, norm) = Self.errorAgainstNaiveDFT(x, spectrum, scale: 0.25)
      #expect(spectrum[1] == 0 && spectrum[size + 1] == 0, "DC and Nyquist are real")
      #expect(maxError <= 1e-6 * norm * Double(size).squareRoot(), "N = \(size), ×\(amplitude)")
      #expect(plan.input[size - 1] == x[size - 1], "the input is left unchanged")
    }
  }

  @Test("an odd or empty packed real FFT size throws", arguments: [0, 1, 7, -2])
  func packedInvalid(size: Int) {
    #expect(throws: DSPError.self) { try PackedRealFFT(size: size) }
  }

  @Test("inverse(forward(x)) = N·x", arguments: [8, 511, 4096])
  func roundTrip(size: Int) throws {
    var rng = SplitMix64(seed: 99)
    let x = (0..<size).map { _ in Float.random(in: -1..<1, using: &rng) }
    let plan = try FFTPlan(size: size)
    let y = plan.inverse(plan.forward(x)).map { $0 / Float(size) }
    #expect(zip(x, y).allSatisfy { abs($0 - $1) < 1e-5 })
  }

  @Test("a shorter input is zero-padded")
  func zeroPadding() throws {
    let plan = try FFTPlan(size: 8)
    let spectrum = plan.forward([1, 1])
    // X[k] = 1 + e^{-iπk/4}: X[0] = 2, X[4] = 0.
    #expect(abs(spectrum[0] - 2) < 1e-6 && abs(spectrum[8]) < 1e-6)
  }

  @Test("an invalid size throws", arguments: [0, -4])
  func invalidSize(size: Int) {
    #expect(throws: DSPError.self) { try FFTPlan(size: size) }
  }

  @Test("plans can be created concurrently from many threads")
  func concurrentPlanning() {
    DispatchQueue.concurrentPerform(iterations: 32) { i in
      let plan = try? FFTPlan(size: 64 + i)
      #expect(plan != nil)
    }
  }
}

@Suite("Convolution")
struct ConvolutionTests {
  @Test(
    "overlap-add convolution equals the direct sum",
    arguments: [(1, 1), (5, 3), (1000, 1), (3000, 200), (50, 700), (10_000, 2049)])
  func matchesDirect(lengths: (Int, Int)) throws {
    let (n, m) = lengths
    var rng = SplitMix64(seed: UInt64(n * 7 + m))
    let x = (0..<n).map { _ in Float.random(in: -1..<1, using: &rng) }
    let h = (0..<m).map { _ in Float.random(in: -1..<1, using: &rng) }
    let y = try Convolver(filter: h).convolve(x)
    #expect(y.count == n + m - 1)
    var maxError: Float = 0
    for i in 0..<(n + m - 1) {
      var s: Double = 0
      for k in max(0, i - n + 1)...min(i, m - 1) { s += Double(h[k]) * Double(x[i - k]) }
      maxError = max(maxError, abs(Float(s) - y[i]))
    }
    // Float FFT error scales with sqrt(m)·ε·|terms|; terms are ≤ 1.
    #expect(maxError < 2e-5 * Float(m).squareRoot() + 1e-5, "max error \(maxError)")
  }

  @Test("an empty filter is refused and an empty signal gives an empty result")
  func edges() throws {
    #expect(throws: DSPError.self) { try Convolver(filter: []) }
    #expect(try Convolver(filter: [1, 2]).convolve([]).isEmpty)
  }
}

@Suite("Ambisonics")
struct AmbisonicsTests {
  static let directions: [SIMD3<Double>] = [
    [1, 0, 0], [0, 1, 0], [0, 0, 1], [-1.5, 0.75, -0.5], [2, -1.5, 1], [-0.25, -1.25, 0.75],
  ]

  @Test("the intensity vector of an encoded plane wave points at its source", arguments: directions)
  func intensityOfPlaneWave(direction: SIMD3<Double>) {
    var rng = SplitMix64(seed: 5)
    let s = [Float].gaussianNoise(count: 4000, using: &rng)
    let g = Ambisonics.encodingGains(direction: direction)
    let channels = (0..<4).map { c in s.map { $0 * g[c] } }
    let i = Ambisonics.intensityVector(
      w: channels[0][...], y: channels[1][...], z: channels[2][...], x: channels[3][...],
      range: 0..<4000)
    #expect(Ambisonics.angleDegrees(between: i, and: direction) < 1e-3)
  }

  @Test("SN3D gains: W is 1 and the first-order gains form a unit vector")
  func gains() {
    let g = Ambisonics.encodingGains(direction: [3, 4, 0])
    #expect(g == SIMD4<Float>(1, 0.8, 0, 0.6))
  }

  @Test("azimuth, elevation and angle helpers follow the X-front, Y-left, Z-up convention")
  func angles() {
    #expect(abs(Ambisonics.azimuthDegrees(of: [0, 1, 0]) - 90) < 1e-9)
    #expect(abs(Ambisonics.elevationDegrees(of: [1, 0, 1]) - 45) < 1e-9)
    #expect(abs(Ambisonics.angleDegrees(between: [1, 0, 0], and: [-1, 0, 0]) - 180) < 1e-9)
  }
}
