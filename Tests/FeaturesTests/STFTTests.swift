import AudioIO
import DSP
import Features
import Foundation
import SafeTensors
import TensorModule
import Testing

let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

/// Parity tolerance against the float32 references, relative to the reference's largest value.
///
/// Single-precision FFT rounding grows like ε·log₂N ≈ 1e-6 at N = 512; BASELINES.md §6b
/// measured float32-vs-float64 gaps of ≤ 4e-7 relative, so 1e-5 leaves a wide margin.
let parityTolerance = 1e-5

/// The largest |a − b| divided by the largest |b|.
func relativeError(_ a: [Float], _ b: [Float]) -> Double {
  precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
  var error = 0.0
  var scale = 0.0
  for (x, y) in zip(a, b) {
    error = max(error, abs(Double(x) - Double(y)))
    scale = max(scale, abs(Double(y)))
  }
  return scale == 0 ? error : error / scale
}

/// The one-sided DFT of `x` (already padded and windowed) in double precision, O(N²).
func directDFT(_ x: [Double]) -> [(Double, Double)] {
  let n = x.count
  return (0...(n / 2)).map { k in
    var re = 0.0, im = 0.0
    for (i, v) in x.enumerated() {
      let angle = -2 * Double.pi * Double(k * i % n) / Double(n)
      re += v * cos(angle)
      im += v * sin(angle)
    }
    return (re, im)
  }
}

/// An independent, plain reading of the padding rules: build the padded signal, cut frames.
func referenceSTFT(_ x: [Float], configuration c: STFT.Configuration) -> (
  real: [Float], imaginary: [Float], frames: Int
) {
  let n = c.fftLength
  let hop = c.hopLength
  let window = (0..<n).map { i -> Double in
    let cosine = cos(2 * Double.pi * Double(i) / Double(n))
    switch c.window {
    case .hann: return 0.5 - 0.5 * cosine
    case .hamming: return 0.54 - 0.46 * cosine
    case .rectangular: return 1
    }
  }
  var padded: [Double]
  let signal = x.map(Double.init)
  switch c.padding {
  case .scipy:
    padded = [Double](repeating: 0, count: n / 2) + signal + [Double](repeating: 0, count: n / 2)
    while (padded.count - n) % hop != 0 { padded.append(0) }
  case .centerZeros:
    padded = [Double](repeating: 0, count: n / 2) + signal + [Double](repeating: 0, count: n / 2)
  case .centerReflect:
    let head = (1...(n / 2)).reversed().map { signal[$0] }
    let tail = (1...(n / 2)).map { signal[signal.count - 1 - $0] }
    padded = head + signal + tail
  }
  let frames = (padded.count - n) / hop + 1
  let scale = c.scaling == .spectrum ? 1 / window.reduce(0, +) : 1
  var real = [Float](repeating: 0, count: (n / 2 + 1) * frames)
  var imaginary = real
  for t in 0..<frames {
    let frame = (0..<n).map { padded[t * hop + $0] * window[$0] }
    for (k, (re, im)) in directDFT(frame).enumerated() {
      real[k * frames + t] = Float(re * scale)
      imaginary[k * frames + t] = Float(im * scale)
    }
  }
  return (real, imaginary, frames)
}

@Suite("STFT")
struct STFTTests {
  @Test("scipy.signal.stft as SELDnet calls it matches the parity fixture")
  func scipyParity() throws {
    let file = try SafeTensorsFile.read(
      fixtures.appendingPathComponent("spectrum_fast.io.safetensors"))
    let input = try file.floats("input")
    let expectedReal = try file.floats("stft_real")
    let expectedImaginary = try file.floats("stft_imag")
    let stft = try STFT(.seldnet)
    #expect(stft.frameCount(sampleCount: 3000) == 9)
    var real: [Float] = []
    var imaginary: [Float] = []
    for c in 0..<4 {
      let (re, im) = stft.transform(input[(c * 3000)..<((c + 1) * 3000)])
      real += re
      imaginary += im
    }
    let errors = (relativeError(real, expectedReal), relativeError(imaginary, expectedImaginary))
    print("scipy stft relative error: real \(errors.0), imaginary \(errors.1)")
    #expect(errors.0 < parityTolerance && errors.1 < parityTolerance)
  }

  @Test("torch.stft as MIMO U-Net calls it matches the parity fixture")
  func torchParity() throws {
    let file = try SafeTensorsFile.read(
      fixtures.appendingPathComponent("torch_stft.io.safetensors"))
    let stft = try STFT(.mimoUNet)
    // torch computes the window in float32, we in float64 rounded once: a few ulps apart.
    let windowError = relativeError(stft.window, try file.floats("window"))
    print("torch hann_window relative error: \(windowError)")
    #expect(windowError < 1e-6)
    let input = try file.floats("input")
    var real: [Float] = []
    var imaginary: [Float] = []
    for signal in 0..<8 {
      let (re, im) = stft.transform(input[(signal * 2048)..<((signal + 1) * 2048)])
      real += re
      imaginary += im
    }
    #expect(stft.frameCount(sampleCount: 2048) == 17)
    let errors = (
      relativeError(real, try file.floats("stft_real")),
      relativeError(imaginary, try file.floats("stft_imag"))
    )
    print("torch stft relative error: real \(errors.0), imaginary \(errors.1)")
    #expect(errors.0 < parityTolerance && errors.1 < parityTolerance)
  }

  @Test("torch.istft as MIMO U-Net calls it matches the parity fixture")
  func torchInverseParity() throws {
    let file = try SafeTensorsFile.read(
      fixtures.appendingPathComponent("torch_stft.io.safetensors"))
    let stft = try STFT(.mimoUNet)
    let real = try file.floats("istft_in_real")
    let imaginary = try file.floats("istft_in_imag")
    let plane = 257 * 17
    #expect(stft.inverseLength(frameCount: 17) == 2048)
    var output: [Float] = []
    for b in 0..<2 {
      output += stft.inverse(
        real: Array(real[(b * plane)..<((b + 1) * plane)]),
        imaginary: Array(imaginary[(b * plane)..<((b + 1) * plane)]), frameCount: 17)
    }
    let error = relativeError(output, try file.floats("istft_out"))
    print("torch istft relative error: \(error)")
    #expect(error < parityTolerance)
  }

  static let configurations: [STFT.Configuration] = [
    .init(fftLength: 32, hopLength: 24, window: .hamming, padding: .scipy, scaling: .spectrum),
    .init(fftLength: 16, hopLength: 16, window: .hann, padding: .scipy, scaling: .none),
    .init(fftLength: 64, hopLength: 16, window: .hann, padding: .centerZeros, scaling: .none),
    .init(
      fftLength: 30, hopLength: 7, window: .hamming, padding: .centerReflect, scaling: .spectrum),
    .init(fftLength: 8, hopLength: 3, window: .rectangular, padding: .centerZeros, scaling: .none),
  ]

  @Test(
    "every padding, window and scaling equals a direct DFT of the explicitly padded signal",
    arguments: 0..<configurations.count, [17, 40, 101])
  func directDFTAgreement(index: Int, length: Int) throws {
    let configuration = Self.configurations[index]
    var rng = SplitMix64(seed: UInt64(100 * index + length))
    let x = (0..<length).map { _ in Float.random(in: -1..<1, using: &rng) }
    let stft = try STFT(configuration)
    let (real, imaginary) = stft.transform(x)
    let reference = referenceSTFT(x, configuration: configuration)
    #expect(stft.frameCount(sampleCount: length) == reference.frames, "\(configuration)")
    #expect(relativeError(real, reference.real) < parityTolerance, "\(configuration)")
    #expect(relativeError(imaginary, reference.imaginary) < parityTolerance, "\(configuration)")
  }

  @Test(
    "the inverse reconstructs the signal, with and without an explicit length",
    arguments: [
      STFT.Configuration(
        fftLength: 64, hopLength: 16, window: .hann, padding: .centerZeros, scaling: .none),
      STFT.Configuration(
        fftLength: 32, hopLength: 8, window: .hamming, padding: .centerReflect, scaling: .spectrum),
      STFT.Configuration(
        fftLength: 512, hopLength: 128, window: .hann, padding: .centerZeros, scaling: .none),
    ])
  func roundTrip(configuration: STFT.Configuration) throws {
    let stft = try STFT(configuration)
    var rng = SplitMix64(seed: 7)
    let x = (0..<1000).map { _ in Float.random(in: -1..<1, using: &rng) }
    let (real, imaginary) = stft.transform(x)
    let frames = stft.frameCount(sampleCount: x.count)
    let y = stft.inverse(real: real, imaginary: imaginary, frameCount: frames, length: x.count)
    #expect(y.count == x.count)
    #expect(relativeError(y, x) < parityTolerance)
    let natural = stft.inverse(real: real, imaginary: imaginary, frameCount: frames)
    #expect(natural.count == configuration.hopLength * (frames - 1))
    #expect(relativeError(Array(natural), Array(x.prefix(natural.count))) < parityTolerance)
    let longer = stft.inverse(
      real: real, imaginary: imaginary, frameCount: frames, length: x.count + 2000)
    #expect(longer.suffix(1000).allSatisfy { $0 == 0 })
  }

  @Test("the periodic windows are scipy's and torch's", arguments: STFTWindow.allCases)
  func windows(window: STFTWindow) {
    let w = window.values(length: 512)
    let sum = w.reduce(0.0) { $0 + Double($1) }
    switch window {
    case .hamming: #expect(abs(sum - 276.48) < 1e-4)  // BASELINES.md §4.1
    case .hann: #expect(abs(sum - 256) < 1e-4)
    case .rectangular: #expect(sum == 512)
    }
    #expect(
      window.values(length: 5, periodic: false).first
        == window.values(length: 5, periodic: false).last)
  }

  @Test("transforms run concurrently from many threads with identical results")
  func concurrency() throws {
    let stft = try STFT(.seldnet)
    var rng = SplitMix64(seed: 3)
    let x = (0..<5000).map { _ in Float.random(in: -1..<1, using: &rng) }
    let expected = stft.transform(x).real
    final class Results: @unchecked Sendable {
      var ok = [Bool](repeating: false, count: 16); let lock = NSLock()
    }
    let results = Results()
    DispatchQueue.concurrentPerform(iterations: 16) { i in
      let same = stft.transform(x).real == expected
      results.lock.withLock { results.ok[i] = same }
    }
    #expect(results.ok.allSatisfy { $0 })
  }

  @Test(
    "the frame-major transform holds the bin-major values bit for bit",
    arguments: 0..<configurations.count, [17, 400 * 64 + 3])
  func frameMajorLayout(index: Int, length: Int) throws {
    let stft = try STFT(Self.configurations[index])
    var rng = SplitMix64(seed: UInt64(7 * index + length))
    let x = (0..<length).map { _ in Float.random(in: -1..<1, using: &rng) }
    let (real, imaginary) = stft.transform(x)
    let frames = stft.frameCount(sampleCount: length)
    let bins = stft.binCount
    var interleaved = [Float](repeating: .nan, count: 2 * bins * frames)
    x.withUnsafeBufferPointer { s in
      interleaved.withUnsafeMutableBufferPointer { stft.transform(s, frameMajor: $0) }
    }
    var mismatches = 0
    for t in 0..<frames {
      for k in 0..<bins {
        if interleaved[t * 2 * bins + 2 * k] != real[k * frames + t] { mismatches += 1 }
        if interleaved[t * 2 * bins + 2 * k + 1] != imaginary[k * frames + t] { mismatches += 1 }
      }
    }
    #expect(mismatches == 0)
  }
}
