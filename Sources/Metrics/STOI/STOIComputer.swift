internal import DSP
import Dispatch
import Foundation

/// A reusable STOI / ESTOI evaluator: holds the one-third-octave band layout, the Hann window,
/// the FFT plans, the resamplers per input rate and their work buffers, so that scoring
/// thousands of pairs allocates almost nothing after the first call.
///
/// The algorithm and its references are documented on ``STOI``; results equal pystoi 0.4.1's
/// `stoi(x, y, fs, extended)` to about 1e-12 (see the deviations below).
///
/// **Threads.** An instance owns mutable work buffers and FFT plans: never call it from two
/// threads at once. Give each worker its own instance (creation costs well under a
/// millisecond; a new input rate adds the design of its resampler).
///
/// With `parallel` (the default) one evaluation splits its work — the resampling by output
/// block, the spectra by frame, the measure by band or segment — between the calling thread
/// and up to three helpers from the global dispatch queue. The caller takes parts too, so
/// this stays correct (it just runs on fewer threads) when the caller is itself one of many
/// parallel workers; such callers, which already use every core, may prefer
/// `parallel: false`. Every block, frame and segment is computed the same way whichever
/// thread takes it, and partial sums are added in a fixed order, so the result is
/// bit-identical with and without `parallel` and for any number of cores.
///
/// **Speed.** 10 s at 16 kHz take about 6.5 ms on one core and 3.5 ms on two (AMD EPYC,
/// 2 cores), against about 100 ms (STOI) and 170 ms (ESTOI) for pystoi 0.4.1.
///
/// **Deviations from pystoi.**
/// - ESTOI: pystoi adds `eps`-scaled Gaussian noise before each normalisation, so its result
///   is not reproducible from run to run. Here nothing random is added and a row or column
///   whose deviation from its mean is exactly zero (e.g. a stretch of digital silence in the
///   estimate) normalises to zeros, which is the mean of pystoi's random outcome. On inputs
///   without exact zeros the two agree to ~1e-12; where a whole 384-ms segment of the estimate
///   is digital silence, pystoi's own run-to-run spread is of order 1e-3.
/// - Resampling to 10 kHz uses Octave's filter as pystoi does, but for signals of 2 s or more
///   at rates where it is cheaper (16, 8, 32, 48 kHz, …; see ``DSP/OctaveBlockResampler``) it
///   is applied by FFT convolution rather than as direct sums: the same values to about 1e-16
///   of each signal's local level, with digital silence kept exactly zero. Scores move by
///   ~1e-14 at most on the test fixtures. ESTOI of an estimate containing digital silence
///   (a run of zeros of half a frame or more) keeps the direct sums: next to such silence
///   ESTOI normalises rounding noise (see above), so any change of rounding would move it by
///   up to ~1e-3.
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
  /// Whether one evaluation is split over several threads (results are the same either way).
  public let parallel: Bool

  private let window: [Double]
  private let bands: [Range<Int>]
  private var resamplers: [Int: OctaveResampler] = [:]
  /// Per-thread state; `workers.count` is the number of threads one evaluation uses.
  private let workers: [Worker]
  /// The threads of the evaluation in progress, if it is parallel.
  private var crew: Crew?

  // Work buffers, grown on demand and reused.
  private let pairedInput = Scratch<SIMD2<Double>>()
  private let pairedOutput = Scratch<SIMD2<Double>>()
  private let cleanSignal = Scratch<Double>()
  private let estimateSignal = Scratch<Double>()
  private let cleanKept = Scratch<Double>()
  private let estimateKept = Scratch<Double>()
  private let energies = Scratch<Double>()
  private let keptFrames = Scratch<Int>()
  private let cleanBands = Scratch<Double>()
  private let estimateBands = Scratch<Double>()
  private let partialSums = Scratch<Double>()
  private let finiteFlags = Scratch<Bool>()

  /// What each thread of an evaluation owns: an FFT plan, a segment buffer, and the
  /// fast-convolution resamplers it has used.
  fileprivate final class Worker {
    /// The worker's position in `workers`.
    let index: Int
    let plan: FFTPlanDouble
    let segment = Scratch<SIMD4<Double>>()

    init(index: Int) throws {
      self.index = index
      plan = try FFTPlanDouble(size: STOI.fftLength)
    }
  }

  /// Per input rate, one fast-convolution resampler per worker (sharing one filter spectrum),
  /// or an empty list where direct sums are cheaper.
  private var blockResamplers: [Int: [OctaveBlockResampler]] = [:]

  /// The most threads one evaluation uses.
  private static let maximumWorkers = 4

  /// Prepares the band matrix, window and FFT plans.
  ///
  /// - Parameter parallel: split each evaluation over up to four threads (default `true`);
  ///   `false` keeps it on the calling thread. The results are bit-identical.
  /// - Throws: `MetricsError.setupFailed` if the FFT library cannot plan a 512-point transform.
  public init(parallel: Bool = true) throws {
    self.parallel = parallel
    let count =
      parallel
      ? min(Self.maximumWorkers, max(1, ProcessInfo.processInfo.activeProcessorCount)) : 1
    do {
      workers = try (0..<count).map { try Worker(index: $0) }
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
  /// - Complexity: O(n) in the signal length: the resampling (FFT convolution, or about
  ///   2·n·(filter taps / p) multiply-adds) plus one 512-point FFT per 128 samples at 10 kHz
  ///   and signal.
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
    // Helpers are woken now, so that their start-up overlaps the checks below.
    if workers.count > 1 { crew = Crew(workers: workers) }
    defer {
      crew?.finish()
      crew = nil
    }

    // 1. Both signals in double precision at 10 kHz, after checking that they are finite
    //    (the fast resampler checks on the way, saving a pass over the input).
    let count: Int
    if sampleRate == STOI.sampleRate {
      try Self.checkFinite(clean, name: "clean")
      try Self.checkFinite(estimate, name: "estimate")
      count = clean.count
      Self.widen(clean, into: cleanSignal.reserve(count))
      Self.widen(estimate, into: estimateSignal.reserve(count))
    } else {
      // ESTOI is ill-conditioned next to digital silence in the estimate: a segment that is
      // silent but for one frame normalises, in exact arithmetic, to columns that are constant
      // across bands, i.e. to pure rounding noise (pystoi adds random noise there). Such pairs
      // are resampled by direct sums, so that their scores keep the exact bits they have
      // always had; everything else takes the fast path when there is one.
      let exact =
        extended
        && Self.hasZeroRun(
          estimate, length: max(1, STOI.frameLength * sampleRate / STOI.sampleRate / 2))
      let resampled = try resample(clean, estimate, sampleRate: sampleRate, direct: exact)
      count = resampled.count
      if !resampled.checked {
        try Self.checkFinite(clean, name: "clean")
        try Self.checkFinite(estimate, name: "estimate")
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
    bandEnvelopes(frameCount: frameCount, rowStride: rowStride, clean: x, estimate: y)

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

  // MARK: - Threads

  /// Runs `body(worker, range)` over `0..<count`: in consecutive parts of at least `grain`
  /// items (at most `partsPerThread` per thread) shared by the threads of the current
  /// evaluation, or in one piece on this thread when it runs alone.
  ///
  /// Which thread (and worker) takes which part varies from run to run; every caller computes
  /// each item independently of the others, so the result does not.
  private func split(
    _ count: Int, grain: Int = 1, _ body: @escaping (Worker, Range<Int>) -> Void
  ) {
    let parts = min(Self.partsPerThread * workers.count, count / max(1, grain))
    guard let crew, parts > 1 else {
      body(workers[0], 0..<count)
      return
    }
    crew.perform(parts: parts) { worker, part in
      body(worker, (count * part / parts)..<(count * (part + 1) / parts))
    }
  }

  /// Parts per thread in `split`: enough to even out a helper that starts late.
  private static let partsPerThread = 16

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

  /// The fast-convolution resamplers for `sampleRate`, one per worker, made on first use, or
  /// `nil` if direct sums are cheaper at this rate.
  private func blockResamplers(
    for sampleRate: Int, _ resampler: OctaveResampler
  ) throws -> [OctaveBlockResampler]? {
    if let cached = blockResamplers[sampleRate] { return cached.isEmpty ? nil : cached }
    do {
      var made: [OctaveBlockResampler] = []
      if let first = try OctaveBlockResampler(resampler) {
        made.append(first)
        for _ in 1..<workers.count { made.append(try first.makeSibling()) }
      }
      blockResamplers[sampleRate] = made
      return made.isEmpty ? nil : made
    } catch {
      throw MetricsError(
        .setupFailed, "cannot plan the FFTs to resample \(sampleRate) Hz to 10 kHz: \(error)")
    }
  }

  /// Signals shorter than this at 10 kHz (2 s) are resampled by direct sums: they cost at most
  /// about a millisecond there, and short clips keep the exact bits of earlier versions.
  private static let minimumFastOutputs = 2 * STOI.sampleRate

  /// Resamples both signals to 10 kHz into `cleanSignal` / `estimateSignal`.
  /// - Returns: the resampled length, and whether the signals were found to be finite on the
  ///   way (`false`: not checked, or not finite).
  private func resample(
    _ clean: UnsafeBufferPointer<Float>, _ estimate: UnsafeBufferPointer<Float>, sampleRate: Int,
    direct: Bool
  ) throws -> (count: Int, checked: Bool) {
    let resampler = try resampler(for: sampleRate)
    let count = resampler.outputCount(forInputCount: clean.count)
    let x = UnsafeMutableBufferPointer(start: cleanSignal.reserve(count), count: count)
    let y = UnsafeMutableBufferPointer(start: estimateSignal.reserve(count), count: count)
    if !direct, count >= Self.minimumFastOutputs,
      let fast = try blockResamplers(for: sampleRate, resampler)
    {
      let blockCount = fast[0].blockCount(forInputCount: clean.count)
      let finite = finiteFlags.reserve(blockCount)
      finite.update(repeating: true, count: blockCount)
      split(blockCount, grain: 4) { worker, blocks in
        if !fast[worker.index].resample(clean, estimate, into: x, y, blocks: blocks) {
          finite[blocks.lowerBound] = false
        }
      }
      var checked = true
      for block in 0..<blockCount where !finite[block] { checked = false }
      return (count, checked)
    }
    // Direct polyphase sums on the interleaved pair, split on output-group boundaries.
    let pairs = pairedInput.reserve(clean.count)
    for index in 0..<clean.count {
      pairs[index] = SIMD2(Double(clean[index]), Double(estimate[index]))
    }
    let resampled = pairedOutput.reserve(count)
    let group = resampler.outputGroupSize
    let groupCount = (count + group - 1) / group
    let input = UnsafeBufferPointer(start: pairs, count: clean.count)
    let output = UnsafeMutableBufferPointer(start: resampled, count: count)
    split(groupCount, grain: 64) { _, groups in
      let outputs = (groups.lowerBound * group)..<min(count, groups.upperBound * group)
      resampler.resample(pairs: input, into: output, outputs: outputs)
      for index in outputs {
        x[index] = resampled[index].x
        y[index] = resampled[index].y
      }
    }
    return (count, false)
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
    window.withUnsafeBufferPointer { w in
      guard let w = w.baseAddress else { return }
      split(frameCount, grain: 128) { _, frames in
        for f in frames {
          let sum = Self.windowedEnergy(w, x + f * hop, count: length)
          energy[f] = 20 * Foundation.log10(sum.squareRoot() + STOI.epsilon)
        }
      }
    }
    var loudest = -Double.infinity
    for f in 0..<frameCount { loudest = max(loudest, energy[f]) }
    let kept = keptFrames.reserve(frameCount)
    var keptCount = 0
    for f in 0..<frameCount where loudest - STOI.dynamicRangeDB - energy[f] < 0 {
      kept[keptCount] = f
      keptCount += 1
    }
    let keptLength = (keptCount - 1) * hop + length
    let xs = cleanKept.reserve(keptLength)
    let ys = estimateKept.reserve(keptLength)
    // Overlap-add with hop = frameLength/2: output chunk j (hop samples) is the second half
    // of kept frame j − 1 plus the first half of kept frame j (either may be missing), added
    // in that order onto zero as the sequential overlap-add does.
    window.withUnsafeBufferPointer { w in
      guard let w = w.baseAddress else { return }
      split(keptCount + 1, grain: 128) { _, chunks in
        for j in chunks {
          let target = j * hop
          if j == 0 {
            xs.update(repeating: 0, count: hop)
            ys.update(repeating: 0, count: hop)
          } else {
            let source = kept[j - 1] * hop + hop
            Self.multiplyWindowed(w + hop, x + source, into: xs + target, count: hop)
            Self.multiplyWindowed(w + hop, y + source, into: ys + target, count: hop)
          }
          if j < keptCount {
            let source = kept[j] * hop
            Self.accumulateWindowed(w, x + source, into: xs + target, count: hop)
            Self.accumulateWindowed(w, y + source, into: ys + target, count: hop)
          }
        }
      }
    }
    return keptLength
  }

  /// One-third-octave band envelopes `sqrt(OBM · |X|²)` of [1], equation 1, of the kept clean
  /// and estimate signals.
  ///
  /// Stored band-major, `envelopes[band · rowStride + frame]`, with zeros from `frameCount` to
  /// `rowStride`.
  private func bandEnvelopes(
    frameCount: Int, rowStride: Int, clean: UnsafeMutablePointer<Double>,
    estimate: UnsafeMutablePointer<Double>
  ) {
    let cleanSignal = cleanKept.pointer
    let estimateSignal = estimateKept.pointer
    window.withUnsafeBufferPointer { w in
      bands.withUnsafeBufferPointer { bands in
        guard let w = w.baseAddress, let bands = bands.baseAddress else { return }
        split(frameCount, grain: 32) { worker, frames in
          Self.bandEnvelopes(
            of: cleanSignal, frames: frames, plan: worker.plan, window: w, bands: bands,
            rowStride: rowStride, into: clean)
          Self.bandEnvelopes(
            of: estimateSignal, frames: frames, plan: worker.plan, window: w, bands: bands,
            rowStride: rowStride, into: estimate)
        }
      }
    }
    for band in 0..<STOI.bandCount {
      (clean + band * rowStride + frameCount).update(repeating: 0, count: rowStride - frameCount)
      (estimate + band * rowStride + frameCount).update(
        repeating: 0, count: rowStride - frameCount)
    }
  }

  private static func bandEnvelopes(
    of signal: UnsafeMutablePointer<Double>, frames: Range<Int>, plan: FFTPlanDouble,
    window w: UnsafePointer<Double>, bands: UnsafePointer<Range<Int>>, rowStride: Int,
    into envelopes: UnsafeMutablePointer<Double>
  ) {
    let length = STOI.frameLength
    for f in frames {
      plan.forward { input in
        guard let frame = input.baseAddress else { return }
        multiplyWindowed(w, signal + f * STOI.hopLength, into: frame, count: length)
        // The zero padding survives between calls (the forward transform preserves its
        // input and this plan is never used for an inverse), so clear it once per run.
        if f == frames.lowerBound {
          (frame + length).update(repeating: 0, count: input.count - length)
        }
      } consume: { spectrum in
        guard let bins = spectrum.baseAddress else { return }
        for band in 0..<STOI.bandCount {
          envelopes[band * rowStride + f] = power(bins, bands[band])
        }
      }
    }
    // The square roots, four at a time along each band's row.
    for band in 0..<STOI.bandCount {
      let row = envelopes + band * rowStride
      var f = frames.lowerBound
      while f + 4 <= frames.upperBound {
        let raw = UnsafeMutableRawPointer(row + f)
        raw.storeBytes(of: raw.loadUnaligned(as: Lanes.self).squareRoot(), as: Lanes.self)
        f += 4
      }
      while f < frames.upperBound {
        row[f] = row[f].squareRoot()
        f += 1
      }
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
  /// lanes; each lane does exactly the scalar computation. Bands are split between threads;
  /// each group's sum is stored and all are added in band, then segment order.
  private func classicMeasure(
    _ x: UnsafeMutablePointer<Double>, _ y: UnsafeMutablePointer<Double>, rowStride: Int,
    segmentCount: Int
  ) -> Double {
    let groupCount = (segmentCount + Self.segmentLanes - 1) / Self.segmentLanes
    let sums = partialSums.reserve(STOI.bandCount * groupCount)
    split(STOI.bandCount, grain: groupCount >= 16 ? 1 : STOI.bandCount) {
      worker, bandRange in
      Self.classicBands(
        x, y, rowStride: rowStride, segmentCount: segmentCount, bands: bandRange,
        clipped: worker.segment.reserve(STOI.segmentLength), into: sums)
    }
    var total = 0.0
    for index in 0..<(STOI.bandCount * groupCount) { total += sums[index] }
    return total / Double(segmentCount * STOI.bandCount)
  }

  /// The lane sums of the correlations of `bands`, at `sums[band · groups + group]`.
  private static func classicBands(
    _ x: UnsafeMutablePointer<Double>, _ y: UnsafeMutablePointer<Double>, rowStride: Int,
    segmentCount: Int, bands: Range<Int>, clipped: UnsafeMutablePointer<Lanes>,
    into sums: UnsafeMutablePointer<Double>
  ) {
    let n = STOI.segmentLength
    let eps = Lanes(repeating: STOI.epsilon)
    let clipFactor = 1 + Foundation.pow(10, -STOI.clippingBoundDB / 20)
    let count = Lanes(repeating: Double(n))
    let groupCount = (segmentCount + segmentLanes - 1) / segmentLanes
    for band in bands {
      let xRow = x + band * rowStride
      let yRow = y + band * rowStride
      var m = 0
      while m < segmentCount {
        let xs = xRow + m
        let ys = yRow + m
        var xEnergy = Lanes()
        var yEnergy = Lanes()
        for t in 0..<n {
          let a = lanes(xs + t)
          let b = lanes(ys + t)
          xEnergy += a * a
          yEnergy += b * b
        }
        let scale = xEnergy.squareRoot() / (yEnergy.squareRoot() + eps)
        var xSum = Lanes()
        var ySum = Lanes()
        for t in 0..<n {
          let a = lanes(xs + t)
          // min(αy, (1 + 10^(−β/20))·x) per lane; `replacing` compiles to a blend, the
          // generic `pointwiseMin` to scalar code.
          let scaled = lanes(ys + t) * scale
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
          let a = lanes(xs + t) - xMean
          let b = clipped[t] - yMean
          xx += a * a
          yy += b * b
          xy += a * b
        }
        let correlation = xy / ((xx.squareRoot() + eps) * (yy.squareRoot() + eps))
        sums[band * groupCount + m / segmentLanes] = sum(correlation, lanes: segmentCount - m)
        m += segmentLanes
      }
    }
  }

  /// Extended STOI ([3]): the mean inner product of normalised clean and estimate columns.
  ///
  /// Each 15 × 30 segment is normalised to zero mean and unit norm along time for every band,
  /// then along bands for every frame; the measure is the mean over frames and segments of the
  /// inner product of the clean and estimate columns. Segments m…m+3 share SIMD lanes; groups
  /// of segments are split between threads and their sums added in order.
  private func extendedMeasure(
    _ x: UnsafeMutablePointer<Double>, _ y: UnsafeMutablePointer<Double>, rowStride: Int,
    segmentCount: Int
  ) -> Double {
    let n = STOI.segmentLength
    let groupCount = (segmentCount + Self.segmentLanes - 1) / Self.segmentLanes
    let sums = partialSums.reserve(groupCount)
    split(groupCount, grain: 8) { worker, groups in
      Self.extendedGroups(
        x, y, rowStride: rowStride, segmentCount: segmentCount, groups: groups,
        buffer: worker.segment.reserve(6 * STOI.bandCount), into: sums)
    }
    var total = 0.0
    for group in 0..<groupCount { total += sums[group] }
    return total / Double(n) / Double(segmentCount)
  }

  /// The lane sums of the segment groups `groups` (segments 4g…4g+3), at `sums[g]`.
  private static func extendedGroups(
    _ x: UnsafeMutablePointer<Double>, _ y: UnsafeMutablePointer<Double>, rowStride: Int,
    segmentCount: Int, groups: Range<Int>, buffer: UnsafeMutablePointer<Lanes>,
    into sums: UnsafeMutablePointer<Double>
  ) {
    let n = STOI.segmentLength
    let bandCount = STOI.bandCount
    // Per band: the row mean and 1/norm of the clean and the estimate segments, then one
    // column of normalised values of each.
    let xMeans = buffer
    let xScales = buffer + bandCount
    let yMeans = buffer + 2 * bandCount
    let yScales = buffer + 3 * bandCount
    let xColumn = buffer + 4 * bandCount
    let yColumn = buffer + 5 * bandCount
    let bands = Lanes(repeating: Double(bandCount))
    for group in groups {
      let m = group * segmentLanes
      rowStatistics(x + m, stride: rowStride, means: xMeans, scales: xScales)
      rowStatistics(y + m, stride: rowStride, means: yMeans, scales: yScales)
      var segmentTotal = Lanes()
      for t in 0..<n {
        // Row-normalised values (v − mean)·scale, as [3] normalises each row of the segment.
        var xSum = Lanes()
        var ySum = Lanes()
        for band in 0..<bandCount {
          let a = (lanes(x + m + band * rowStride + t) - xMeans[band]) * xScales[band]
          let b = (lanes(y + m + band * rowStride + t) - yMeans[band]) * yScales[band]
          xColumn[band] = a
          yColumn[band] = b
          xSum += a
          ySum += b
        }
        let xMean = xSum / bands
        let yMean = ySum / bands
        var xx = Lanes()
        var yy = Lanes()
        var xy = Lanes()
        for band in 0..<bandCount {
          let a = xColumn[band] - xMean
          let b = yColumn[band] - yMean
          xx += a * a
          yy += b * b
          xy += a * b
        }
        segmentTotal += xy * inverseNorm(xx) * inverseNorm(yy)
      }
      sums[group] = sum(segmentTotal, lanes: segmentCount - m)
    }
  }

  /// The mean and `1/norm` of the deviation from it of each band's row of a 15 × 30 segment,
  /// for four consecutive start frames (rows `stride` apart).
  @inline(__always)
  private static func rowStatistics(
    _ segment: UnsafeMutablePointer<Double>, stride: Int, means: UnsafeMutablePointer<Lanes>,
    scales: UnsafeMutablePointer<Lanes>
  ) {
    let n = STOI.segmentLength
    let count = Lanes(repeating: Double(n))
    for band in 0..<STOI.bandCount {
      let row = segment + band * stride
      var sum = Lanes()
      for t in 0..<n { sum += lanes(row + t) }
      let mean = sum / count
      var energy = Lanes()
      for t in 0..<n {
        let v = lanes(row + t) - mean
        energy += v * v
      }
      means[band] = mean
      scales[band] = inverseNorm(energy)
    }
  }

  /// `1/√energy` per lane, or 0 for a zero vector (pystoi would divide 0 by 0 after adding
  /// random eps-level noise; zero is that noise's mean contribution).
  @inline(__always)
  private static func inverseNorm(_ energy: Lanes) -> Lanes {
    (1 / energy.squareRoot()).replacing(with: 0, where: energy .<= 0)
  }

  /// Whether `signal` holds `length` or more consecutive exact zeros (probing every
  /// `length`-th sample, so O(n / length) for signals without long zero runs).
  private static func hasZeroRun(_ signal: UnsafeBufferPointer<Float>, length: Int) -> Bool {
    var probe = length - 1
    while probe < signal.count {
      if signal[probe] == 0 {
        var start = probe
        while start > 0 && signal[start - 1] == 0 { start -= 1 }
        var end = probe + 1
        while end < signal.count && signal[end] == 0 { end += 1 }
        if end - start >= length { return true }
        probe = end + length - 1
      } else {
        probe += length
      }
    }
    return false
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

/// The threads of one parallel evaluation: the calling thread and helpers from the global
/// dispatch queue, which stay with the evaluation from its start to its end.
///
/// The caller publishes one stage of work at a time (``perform(parts:_:)``); every thread
/// claims parts of it under a lock until none is left, and the caller returns once all claimed
/// parts are done. Between stages the helpers spin (yielding the processor) instead of going
/// back to the dispatch queue, so a stage costs no thread wake-up; they leave at ``finish()``.
///
/// The caller works on every stage itself, so if a helper starts late — or never, because
/// every core is busy, e.g. when the caller is one of many parallel workers — the caller
/// simply takes more parts, and a helper arriving after ``finish()`` leaves at once: nested
/// use cannot deadlock. Small parts (16 per thread and stage) also keep a helper that shares
/// its core with another busy thread from holding up the stage. Measured on two cores with
/// `l3das-bench` (whose first ~0.2 s share a core with OpenBLAS's spinning start-up thread),
/// `DispatchQueue.concurrentPerform` over one half per thread gave 5.1–6.6 ms per STOI call in
/// five runs out of six; this crew gave 3.4 ms in five out of six.
private final class Crew: @unchecked Sendable {
  private typealias Stage = (STOIComputer.Worker, Int) -> Void

  private let lock = NSLock()
  private let workers: [STOIComputer.Worker]
  // Guarded by `lock`.
  private var stage: Stage?
  private var parts = 0
  private var next = 0
  private var running = 0
  private var finished = false
  private var helpersStarted = 0

  init(workers: [STOIComputer.Worker]) {
    self.workers = workers
    for _ in 1..<workers.count {
      DispatchQueue.global(qos: .userInitiated).async { self.help() }
    }
  }

  /// Runs `body(worker, part)` for every part in `0..<parts`, each exactly once, with the
  /// worker of whichever thread claims it; returns when all are done.
  func perform(parts: Int, _ body: @escaping (STOIComputer.Worker, Int) -> Void) {
    lock.lock()
    stage = body
    self.parts = parts
    next = 0
    lock.unlock()
    work(with: workers[0])
    while true {
      lock.lock()
      let busy = running > 0
      if !busy { stage = nil }
      lock.unlock()
      if !busy { return }
      Self.pause()
    }
  }

  /// Waits a little before the lock is tried again, so that a waiting thread does not keep
  /// the lock's cache line (and a glibc mutex, which sleeps on contention) busy.
  private static func pause() {
    for _ in 0..<4 { sched_yield() }
  }

  /// Releases the helpers; no stage may be performed afterwards.
  func finish() {
    lock.lock()
    finished = true
    lock.unlock()
  }

  /// Claims and runs parts of the current stage until none is left.
  private func work(with worker: STOIComputer.Worker) {
    while true {
      lock.lock()
      guard let body = stage, next < parts else {
        lock.unlock()
        return
      }
      let part = next
      next += 1
      running += 1
      lock.unlock()
      body(worker, part)
      lock.lock()
      running -= 1
      lock.unlock()
    }
  }

  /// A helper's life: take a worker, then work on each stage until `finish()`.
  private func help() {
    lock.lock()
    helpersStarted += 1
    let index = helpersStarted
    lock.unlock()
    let worker = workers[index]
    while true {
      lock.lock()
      let done = finished
      let available = stage != nil && next < parts
      lock.unlock()
      if done { return }
      if available {
        work(with: worker)
      } else {
        Self.pause()
      }
    }
  }
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
