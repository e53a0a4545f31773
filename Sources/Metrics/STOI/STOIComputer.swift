internal import DSP
import Foundation

/// A reusable STOI / ESTOI evaluator: holds the one-third-octave band layout, the Hann window,
/// the FFT plan, one Octave-compatible resampler per input rate and its work buffers, so that
/// scoring thousands of pairs allocates almost nothing after the first call.
///
/// The algorithm and its references are documented on ``STOI``; results equal pystoi 0.4.1's
/// `stoi(x, y, fs, extended)` to about 1e-12 (see the deviations below).
///
/// **Threads.** An instance owns mutable work buffers and an FFT plan: never call it from two
/// threads at once. Give each worker its own instance (creation costs well under a
/// millisecond; a new input rate adds the design of its resampler).
///
/// **Deviations from pystoi.**
/// - ESTOI: pystoi adds `eps`-scaled Gaussian noise before each normalisation, so its result
///   is not reproducible from run to run. Here nothing random is added and a row or column
///   whose deviation from its mean is exactly zero (e.g. a stretch of digital silence in the
///   estimate) normalises to zeros, which is the mean of pystoi's random outcome. On inputs
///   without exact zeros the two agree to ~1e-12; where a whole 384-ms segment of the estimate
///   is digital silence, pystoi's own run-to-run spread is of order 1e-3.
/// - A signal too short to hold a single 256-sample frame at 10 kHz returns the too-short
///   sentinel (pystoi raises a numpy error there).
/// - Computation is in double precision throughout, as in pystoi (single-precision input is
///   widened exactly).
///
/// ```swift
/// let computer = try STOIComputer()
/// for (clean, estimate) in pairs {
///   let score = try computer.stoi(clean: clean, estimate: estimate, sampleRate: 16_000)
/// }
/// ```
public final class STOIComputer {
  private let plan: FFTPlanDouble
  private let window: [Double]
  private let bands: [Range<Int>]
  private var resamplers: [Int: OctaveResampler] = [:]

  // Work buffers, grown on demand and reused.
  private let pairedInput = Scratch<SIMD2<Double>>()
  private let pairedOutput = Scratch<SIMD2<Double>>()
  private let cleanSignal = Scratch<Double>()
  private let estimateSignal = Scratch<Double>()
  private let cleanKept = Scratch<Double>()
  private let estimateKept = Scratch<Double>()
  private let energies = Scratch<Double>()
  private let cleanBands = Scratch<Double>()
  private let estimateBands = Scratch<Double>()
  private let segment = Scratch<SIMD4<Double>>()

  /// Prepares the band matrix, window and FFT plan.
  ///
  /// - Throws: `MetricsError.setupFailed` if the FFT library cannot plan a 512-point transform.
  public init() throws {
    do {
      plan = try FFTPlanDouble(size: STOI.fftLength)
    } catch {
      throw MetricsError(.setupFailed, "cannot plan the \(STOI.fftLength)-point FFT: \(error)")
    }
    window = STOI.matlabHann(count: STOI.frameLength)
    bands = STOI.thirdOctaveBinRanges
  }

  /// The STOI (or ESTOI) of `estimate` against `clean`.
  ///
  /// - Parameters:
  ///   - clean: the clean reference speech.
  ///   - estimate: the degraded or enhanced speech, same length and rate as `clean`.
  ///   - sampleRate: the rate of both signals in Hz (> 0).
  ///   - extended: `true` for ESTOI, `false` (default) for STOI.
  /// - Returns: the score, or `1e-5` if too few non-silent frames remain.
  /// - Throws: `MetricsError` with `.lengthMismatch`, `.emptySignal`, `.nonFiniteSamples` or
  ///   `.invalidSampleRate`.
  public func stoi(
    clean: [Float], estimate: [Float], sampleRate: Int, extended: Bool = false
  ) throws -> Double {
    try evaluate(clean: clean, estimate: estimate, sampleRate: sampleRate, extended: extended)
      .value
  }

  /// The STOI (or ESTOI) of `estimate` against `clean`, with how it was obtained.
  ///
  /// - Parameters:
  ///   - clean: the clean reference speech.
  ///   - estimate: the degraded or enhanced speech, same length and rate as `clean`.
  ///   - sampleRate: the rate of both signals in Hz (> 0).
  ///   - extended: `true` for ESTOI, `false` (default) for STOI.
  /// - Returns: the score with the too-short flag and frame/segment counts.
  /// - Throws: `MetricsError` with `.lengthMismatch`, `.emptySignal`, `.nonFiniteSamples` or
  ///   `.invalidSampleRate`.
  public func evaluate(
    clean: [Float], estimate: [Float], sampleRate: Int, extended: Bool = false
  ) throws -> STOIResult {
    try clean.withUnsafeBufferPointer { c in
      try estimate.withUnsafeBufferPointer { e in
        try evaluate(clean: c, estimate: e, sampleRate: sampleRate, extended: extended)
      }
    }
  }

  /// The STOI (or ESTOI) of `estimate` against `clean`, read from memory the caller owns.
  ///
  /// - Parameters:
  ///   - clean: the clean reference speech.
  ///   - estimate: the degraded or enhanced speech, same length and rate as `clean`.
  ///   - sampleRate: the rate of both signals in Hz (> 0).
  ///   - extended: `true` for ESTOI, `false` (default) for STOI.
  /// - Returns: the score with the too-short flag and frame/segment counts.
  /// - Throws: `MetricsError` with `.lengthMismatch` (different lengths), `.emptySignal`,
  ///   `.nonFiniteSamples` (NaN or infinity in either signal) or `.invalidSampleRate`
  ///   (not positive, or a rate whose ratio to 10 kHz needs an impractically long filter).
  /// - Complexity: O(n) in the signal length; about 2·n·(filter taps / p) multiply-adds for
  ///   the resampling plus one 512-point FFT per 128 samples at 10 kHz and signal.
  public func evaluate(
    clean: UnsafeBufferPointer<Float>, estimate: UnsafeBufferPointer<Float>, sampleRate: Int,
    extended: Bool = false
  ) throws -> STOIResult {
    guard sampleRate > 0 else {
      throw MetricsError(.invalidSampleRate, "sample rate must be positive, got \(sampleRate) Hz")
    }
    guard clean.count == estimate.count else {
      throw MetricsError(
        .lengthMismatch,
        "clean and estimate must have the same length, found \(clean.count) and "
          + "\(estimate.count) samples")
    }
    guard !clean.isEmpty else {
      throw MetricsError(.emptySignal, "clean and estimate are empty")
    }
    try Self.checkFinite(clean, name: "clean")
    try Self.checkFinite(estimate, name: "estimate")

    // 1. Both signals in double precision at 10 kHz.
    let count: Int
    if sampleRate == STOI.sampleRate {
      count = clean.count
      Self.widen(clean, into: cleanSignal.reserve(count))
      Self.widen(estimate, into: estimateSignal.reserve(count))
    } else {
      let resampler = try resampler(for: sampleRate)
      count = resampler.outputCount(forInputCount: clean.count)
      let pairs = pairedInput.reserve(clean.count)
      for index in 0..<clean.count {
        pairs[index] = SIMD2(Double(clean[index]), Double(estimate[index]))
      }
      let resampled = pairedOutput.reserve(count)
      resampler.resample(
        pairs: UnsafeBufferPointer(start: pairs, count: clean.count),
        into: UnsafeMutableBufferPointer(start: resampled, count: count))
      let x = cleanSignal.reserve(count)
      let y = estimateSignal.reserve(count)
      for index in 0..<count {
        x[index] = resampled[index].x
        y[index] = resampled[index].y
      }
    }

    // 2. Silent-frame removal and overlap-add of the kept frames.
    let keptLength = removeSilentFrames(count: count)
    // 3. Band envelopes; the STFT drops the last frame, as pystoi and MATLAB do.
    let frameCount = Self.frameStarts(length: keptLength)
    guard frameCount >= STOI.segmentLength else {
      return STOIResult(
        value: STOI.tooShortValue, isTooShort: true, frameCount: frameCount, segmentCount: 0,
        extended: extended)
    }
    // Rows are padded with zeros so that four consecutive segments can be loaded as one SIMD
    // vector even at the end (the extra lanes are discarded).
    let rowStride = frameCount + Self.segmentLanes
    let x = cleanBands.reserve(STOI.bandCount * rowStride)
    let y = estimateBands.reserve(STOI.bandCount * rowStride)
    bandEnvelopes(of: cleanKept.pointer, frameCount: frameCount, rowStride: rowStride, into: x)
    bandEnvelopes(
      of: estimateKept.pointer, frameCount: frameCount, rowStride: rowStride, into: y)

    // 4. Intermediate intelligibility per 30-frame segment, then the mean.
    let segmentCount = frameCount - STOI.segmentLength + 1
    let value =
      extended
      ? extendedMeasure(x, y, rowStride: rowStride, segmentCount: segmentCount)
      : classicMeasure(x, y, rowStride: rowStride, segmentCount: segmentCount)
    return STOIResult(
      value: value, isTooShort: false, frameCount: frameCount, segmentCount: segmentCount,
      extended: extended)
  }

  // MARK: - Steps

  private func resampler(for sampleRate: Int) throws -> OctaveResampler {
    if let cached = resamplers[sampleRate] { return cached }
    do {
      // pystoi: resample_oct(x, FS, fs), i.e. up by 10 000 and down by fs, reduced.
      let made = try OctaveResampler(upsampling: STOI.sampleRate, downsampling: sampleRate)
      resamplers[sampleRate] = made
      return made
    } catch {
      throw MetricsError(
        .invalidSampleRate,
        "cannot resample \(sampleRate) Hz to \(STOI.sampleRate) Hz: \(error)")
    }
  }

  /// Number of frames pystoi takes from a signal of `length` samples: starts 0, 128, …
  /// strictly below `length − 256`.
  private static func frameStarts(length: Int) -> Int {
    length > STOI.frameLength ? (length - STOI.frameLength - 1) / STOI.hopLength + 1 : 0
  }

  /// Drops frames of the clean signal whose energy is `dynamicRangeDB` or more below the
  /// loudest and overlap-adds the kept windowed frames of both signals
  /// (pystoi `remove_silent_frames`, MATLAB `removeSilentFrames`).
  /// - Returns: the length of the rebuilt signals in `cleanKept` / `estimateKept`.
  private func removeSilentFrames(count: Int) -> Int {
    let frameCount = Self.frameStarts(length: count)
    guard frameCount > 0 else { return 0 }
    let length = STOI.frameLength
    let hop = STOI.hopLength
    let x = cleanSignal.pointer
    let y = estimateSignal.pointer
    let energy = energies.reserve(frameCount)
    var loudest = -Double.infinity
    window.withUnsafeBufferPointer { w in
      guard let w = w.baseAddress else { return }
      for f in 0..<frameCount {
        let sum = Self.windowedEnergy(w, x + f * hop, count: length)
        let decibels = 20 * Foundation.log10(sum.squareRoot() + STOI.epsilon)
        energy[f] = decibels
        loudest = max(loudest, decibels)
      }
    }
    var keptCount = 0
    for f in 0..<frameCount where loudest - STOI.dynamicRangeDB - energy[f] < 0 {
      keptCount += 1
    }
    let keptLength = (keptCount - 1) * hop + length
    let xs = cleanKept.reserve(keptLength)
    let ys = estimateKept.reserve(keptLength)
    // Overlap-add with hop = frameLength/2: each kept frame's first half adds onto the
    // previous frame's second half, and its second half is written fresh.
    xs.update(repeating: 0, count: hop)
    ys.update(repeating: 0, count: hop)
    window.withUnsafeBufferPointer { w in
      guard let w = w.baseAddress else { return }
      var target = 0
      for f in 0..<frameCount where loudest - STOI.dynamicRangeDB - energy[f] < 0 {
        let source = f * hop
        Self.accumulateWindowed(w, x + source, into: xs + target, count: hop)
        Self.accumulateWindowed(w, y + source, into: ys + target, count: hop)
        Self.multiplyWindowed(w + hop, x + source + hop, into: xs + target + hop, count: hop)
        Self.multiplyWindowed(w + hop, y + source + hop, into: ys + target + hop, count: hop)
        target += hop
      }
    }
    return keptLength
  }

  /// One-third-octave band envelopes `sqrt(OBM · |X|²)` of [1], equation 1.
  ///
  /// Stored band-major, `envelopes[band · rowStride + frame]`, with zeros from `frameCount` to
  /// `rowStride`.
  private func bandEnvelopes(
    of signal: UnsafeMutablePointer<Double>, frameCount: Int, rowStride: Int,
    into envelopes: UnsafeMutablePointer<Double>
  ) {
    let length = STOI.frameLength
    window.withUnsafeBufferPointer { w in
      guard let w = w.baseAddress else { return }
      for f in 0..<frameCount {
        plan.forward { input in
          guard let frame = input.baseAddress else { return }
          Self.multiplyWindowed(w, signal + f * STOI.hopLength, into: frame, count: length)
          // The zero padding survives between calls (the forward transform preserves its
          // input and this plan is never used for an inverse), so clear it once per signal.
          if f == 0 { (frame + length).update(repeating: 0, count: input.count - length) }
        } consume: { spectrum in
          guard let bins = spectrum.baseAddress else { return }
          for (band, range) in bands.enumerated() {
            envelopes[band * rowStride + f] = Self.power(bins, range).squareRoot()
          }
        }
      }
    }
    for band in 0..<STOI.bandCount {
      (envelopes + band * rowStride + frameCount).update(
        repeating: 0, count: rowStride - frameCount)
    }
  }

  /// Segments evaluated together, one per SIMD lane.
  private static let segmentLanes = 4
  private typealias Lanes = SIMD4<Double>

  @inline(__always)
  private static func lanes(_ pointer: UnsafeMutablePointer<Double>) -> Lanes {
    UnsafeRawPointer(pointer).loadUnaligned(as: Lanes.self)
  }

  /// The sum of the first `count` lanes of `values`.
  @inline(__always)
  private static func sum(_ values: Lanes, lanes count: Int) -> Double {
    var total = 0.0
    for lane in 0..<min(count, segmentLanes) { total += values[lane] }
    return total
  }

  /// Classic STOI: the mean correlation over bands and segments ([1], equation 6).
  ///
  /// Per band and segment the estimate is scaled to the clean energy, clipped at β dB SDR
  /// ([1] Eq. 3) and correlated with the clean envelope ([1] Eq. 5). Segments m…m+3 share SIMD
  /// lanes; each lane does exactly the scalar computation.
  private func classicMeasure(
    _ x: UnsafeMutablePointer<Double>, _ y: UnsafeMutablePointer<Double>, rowStride: Int,
    segmentCount: Int
  ) -> Double {
    let n = STOI.segmentLength
    let eps = Lanes(repeating: STOI.epsilon)
    let clipFactor = 1 + Foundation.pow(10, -STOI.clippingBoundDB / 20)
    let clipped = segment.reserve(n)
    let count = Lanes(repeating: Double(n))
    var total = 0.0
    for band in 0..<STOI.bandCount {
      let xRow = x + band * rowStride
      let yRow = y + band * rowStride
      var m = 0
      while m < segmentCount {
        let xs = xRow + m
        let ys = yRow + m
        var xEnergy = Lanes()
        var yEnergy = Lanes()
        for t in 0..<n {
          let a = Self.lanes(xs + t)
          let b = Self.lanes(ys + t)
          xEnergy += a * a
          yEnergy += b * b
        }
        let scale = xEnergy.squareRoot() / (yEnergy.squareRoot() + eps)
        var xSum = Lanes()
        var ySum = Lanes()
        for t in 0..<n {
          let a = Self.lanes(xs + t)
          // min(αy, (1 + 10^(−β/20))·x) per lane; `replacing` compiles to a blend, the
          // generic `pointwiseMin` to scalar code.
          let scaled = Self.lanes(ys + t) * scale
          let bound = a * clipFactor
          let v = scaled.replacing(with: bound, where: bound .< scaled)
          clipped[t] = v
          xSum += a
          ySum += v
        }
        let xMean = xSum / count
        let yMean = ySum / count
        var xx = Lanes()
        var yy = Lanes()
        var xy = Lanes()
        for t in 0..<n {
          let a = Self.lanes(xs + t) - xMean
          let b = clipped[t] - yMean
          xx += a * a
          yy += b * b
          xy += a * b
        }
        let correlation = xy / ((xx.squareRoot() + eps) * (yy.squareRoot() + eps))
        total += Self.sum(correlation, lanes: segmentCount - m)
        m += Self.segmentLanes
      }
    }
    return total / Double(segmentCount * STOI.bandCount)
  }

  /// Extended STOI ([3]): the mean inner product of normalised clean and estimate columns.
  ///
  /// Each 15 × 30 segment is normalised to zero mean and unit norm along time for every band,
  /// then along bands for every frame; the measure is the mean over frames and segments of the
  /// inner product of the clean and estimate columns. Segments m…m+3 share SIMD lanes.
  private func extendedMeasure(
    _ x: UnsafeMutablePointer<Double>, _ y: UnsafeMutablePointer<Double>, rowStride: Int,
    segmentCount: Int
  ) -> Double {
    let n = STOI.segmentLength
    let bandCount = STOI.bandCount
    let xn = segment.reserve(2 * bandCount * n)
    let yn = xn + bandCount * n
    let bands = Lanes(repeating: Double(bandCount))
    var total = 0.0
    var m = 0
    while m < segmentCount {
      Self.rowNormalize(x + m, stride: rowStride, into: xn)
      Self.rowNormalize(y + m, stride: rowStride, into: yn)
      var segmentTotal = Lanes()
      for t in 0..<n {
        var xSum = Lanes()
        var ySum = Lanes()
        for band in 0..<bandCount {
          xSum += xn[band * n + t]
          ySum += yn[band * n + t]
        }
        let xMean = xSum / bands
        let yMean = ySum / bands
        var xx = Lanes()
        var yy = Lanes()
        var xy = Lanes()
        for band in 0..<bandCount {
          let a = xn[band * n + t] - xMean
          let b = yn[band * n + t] - yMean
          xx += a * a
          yy += b * b
          xy += a * b
        }
        segmentTotal += xy * Self.inverseNorm(xx) * Self.inverseNorm(yy)
      }
      total += Self.sum(segmentTotal, lanes: segmentCount - m)
      m += Self.segmentLanes
    }
    return total / Double(n) / Double(segmentCount)
  }

  /// Loads a 15 × 30 segment for four consecutive start frames (rows `stride` apart) into
  /// `output`, each row with its mean removed and scaled to unit norm.
  private static func rowNormalize(
    _ segment: UnsafeMutablePointer<Double>, stride: Int, into output: UnsafeMutablePointer<Lanes>
  ) {
    let n = STOI.segmentLength
    let count = Lanes(repeating: Double(n))
    for band in 0..<STOI.bandCount {
      let row = segment + band * stride
      let out = output + band * n
      var sum = Lanes()
      for t in 0..<n { sum += lanes(row + t) }
      let mean = sum / count
      var energy = Lanes()
      for t in 0..<n {
        let v = lanes(row + t) - mean
        out[t] = v
        energy += v * v
      }
      let scale = inverseNorm(energy)
      for t in 0..<n { out[t] *= scale }
    }
  }

  /// `1/√energy` per lane, or 0 for a zero vector (pystoi would divide 0 by 0 after adding
  /// random eps-level noise; zero is that noise's mean contribution).
  @inline(__always)
  private static func inverseNorm(_ energy: Lanes) -> Lanes {
    (1 / energy.squareRoot()).replacing(with: 0, where: energy .<= 0)
  }

  private static func checkFinite(_ signal: UnsafeBufferPointer<Float>, name: String) throws {
    guard let base = signal.baseAddress else { return }
    // v·0 is 0 for finite v and NaN for NaN or ±∞, so one vector sum screens the whole signal.
    var screen = SIMD8<Float>()
    let vectorCount = signal.count / 8 * 8
    let raw = UnsafeRawPointer(base)
    var index = 0
    while index < vectorCount {
      screen +=
        raw.loadUnaligned(
          fromByteOffset: index * MemoryLayout<Float>.stride, as: SIMD8<Float>.self) * 0
      index += 8
    }
    var tail: Float = 0
    for rest in vectorCount..<signal.count { tail += signal[rest] * 0 }
    guard (screen.sum() + tail).isNaN else { return }
    if let bad = signal.firstIndex(where: { !$0.isFinite }) {
      throw MetricsError(
        .nonFiniteSamples, "\(name) sample \(bad) is \(signal[bad]); STOI needs finite samples")
    }
  }

  private static func widen(
    _ signal: UnsafeBufferPointer<Float>, into output: UnsafeMutablePointer<Double>
  ) {
    for index in signal.indices { output[index] = Double(signal[index]) }
  }

  /// `Σ (w[s]·x[s])²` over `count` (a multiple of 8) samples.
  @inline(__always)
  private static func windowedEnergy(
    _ w: UnsafePointer<Double>, _ x: UnsafePointer<Double>, count: Int
  ) -> Double {
    let rw = UnsafeRawPointer(w)
    let rx = UnsafeRawPointer(x)
    let size = MemoryLayout<Lanes>.size
    var low = Lanes()
    var high = Lanes()
    var offset = 0
    let end = count * MemoryLayout<Double>.stride
    while offset < end {
      let a =
        rw.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
        * rx.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
      let b =
        rw.loadUnaligned(fromByteOffset: offset + size, as: Lanes.self)
        * rx.loadUnaligned(fromByteOffset: offset + size, as: Lanes.self)
      low += a * a
      high += b * b
      offset &+= 2 * size
    }
    return (low + high).sum()
  }

  /// `out[s] += w[s]·x[s]` over `count` (a multiple of 4) samples.
  @inline(__always)
  private static func accumulateWindowed(
    _ w: UnsafePointer<Double>, _ x: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>,
    count: Int
  ) {
    let rw = UnsafeRawPointer(w)
    let rx = UnsafeRawPointer(x)
    let ro = UnsafeMutableRawPointer(out)
    var offset = 0
    let end = count * MemoryLayout<Double>.stride
    while offset < end {
      let sum =
        ro.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
        + rw.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
        * rx.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
      ro.storeBytes(of: sum, toByteOffset: offset, as: Lanes.self)
      offset &+= MemoryLayout<Lanes>.size
    }
  }

  /// `out[s] = w[s]·x[s]` over `count` (a multiple of 4) samples.
  @inline(__always)
  private static func multiplyWindowed(
    _ w: UnsafePointer<Double>, _ x: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>,
    count: Int
  ) {
    let rw = UnsafeRawPointer(w)
    let rx = UnsafeRawPointer(x)
    let ro = UnsafeMutableRawPointer(out)
    var offset = 0
    let end = count * MemoryLayout<Double>.stride
    while offset < end {
      let product =
        rw.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
        * rx.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
      ro.storeBytes(of: product, toByteOffset: offset, as: Lanes.self)
      offset &+= MemoryLayout<Lanes>.size
    }
  }

  /// `Σ_k re_k² + im_k²` over the bins `range` of an interleaved half spectrum, two bins per
  /// step in two accumulators.
  @inline(__always)
  private static func power(_ bins: UnsafePointer<Double>, _ range: Range<Int>) -> Double {
    let raw = UnsafeRawPointer(bins)
    let binSize = MemoryLayout<SIMD2<Double>>.size
    var even = SIMD2<Double>()
    var odd = SIMD2<Double>()
    var k = range.lowerBound
    while k + 1 < range.upperBound {
      let a = raw.loadUnaligned(fromByteOffset: k * binSize, as: SIMD2<Double>.self)
      let b = raw.loadUnaligned(fromByteOffset: (k + 1) * binSize, as: SIMD2<Double>.self)
      even += a * a
      odd += b * b
      k += 2
    }
    if k < range.upperBound {
      let a = raw.loadUnaligned(fromByteOffset: k * binSize, as: SIMD2<Double>.self)
      even += a * a
    }
    return (even + odd).sum()
  }
}

extension STOI {
  /// MATLAB's `hanning(count)` (numpy `hanning(count + 2)[1:-1]`): a Hann window without its
  /// zero end points, `0.5 − 0.5·cos(2π(i + 1)/(count + 1))`.
  static func matlabHann(count: Int) -> [Double] {
    // numpy evaluates 0.5 + 0.5·cos(π·k/(M − 1)) for k = 1 − M, 3 − M, …, M − 1 (M = count + 2).
    let m = count + 2
    return (1...count).map { i in
      let k = Double(2 * i + 1 - m)
      return 0.5 + 0.5 * Foundation.cos(Double.pi * k / Double(m - 1))
    }
  }

  /// The FFT bins of each one-third-octave band at 10 kHz with a 512-point FFT (pystoi
  /// `thirdoct`): band `i` (centre 150·2^(i/3) Hz) spans the bins nearest to
  /// 150·2^((2i − 1)/6) Hz up to, not including, the bin nearest to 150·2^((2i + 1)/6) Hz.
  ///
  /// For the STOI constants this is `7..<9, 9..<11, 11..<14, …, 174..<219`.
  public static let thirdOctaveBinRanges: [Range<Int>] = {
    let binCount = fftLength / 2 + 1
    let binWidth = Double(sampleRate) / Double(fftLength)
    func nearestBin(_ frequency: Double) -> Int {
      var best = 0
      var bestDistance = Double.infinity
      for k in 0..<binCount {
        let d = Double(k) * binWidth - frequency
        if d * d < bestDistance {
          bestDistance = d * d
          best = k
        }
      }
      return best
    }
    return (0..<bandCount).map { band in
      let k = Double(band)
      let low = lowestBandCenterHz * Foundation.pow(2, (2 * k - 1) / 6)
      let high = lowestBandCenterHz * Foundation.pow(2, (2 * k + 1) / 6)
      let lower = nearestBin(low)
      return lower..<max(lower, nearestBin(high))
    }
  }()
}

/// A growable block of trivial values, reused across calls.
///
/// Contents are uninitialised after growth; every user writes before reading.
private final class Scratch<Element: BitwiseCopyable> {
  private(set) var pointer: UnsafeMutablePointer<Element>
  private var capacity: Int

  init() {
    capacity = 1
    pointer = .allocate(capacity: 1)
  }

  deinit { pointer.deallocate() }

  /// A pointer to at least `count` elements (the previous contents are lost on growth).
  func reserve(_ count: Int) -> UnsafeMutablePointer<Element> {
    if count > capacity {
      pointer.deallocate()
      capacity = max(count, capacity + capacity / 2)
      pointer = .allocate(capacity: capacity)
    }
    return pointer
  }
}
