/// Short-Time Objective Intelligibility (STOI) and its extended version (ESTOI): how
/// intelligible a degraded or enhanced speech signal is, judged against the clean signal.
///
/// A numerically faithful port of pystoi 0.4.1 (`pystoi/stoi.py`, `pystoi/utils.py`), which
/// L3DAS Task 1 scores with (`extended = false`); pystoi itself follows the authors' MATLAB
/// code. The steps (FACTS.md §4.2):
/// 1. resample both signals to 10 kHz with Octave's filter (``DSP/OctaveResampler``, applied
///    by FFT convolution for long signals, ``DSP/OctaveBlockResampler``) if needed;
/// 2. drop frames of the clean signal more than 40 dB below its loudest frame (256-sample
///    MATLAB Hann frames, hop 128), in both signals, and overlap-add what is left;
/// 3. short-time spectra (256-sample frames, hop 128, 512-point FFT), grouped into 15
///    one-third-octave bands from 150 Hz — the envelopes of [1] Eq. (1);
/// 4. for every run of N = 30 frames: per band, scale the estimate to the clean energy, clip
///    it at β = −15 dB signal-to-distortion ([1] Eq. (3)) and correlate ([1] Eq. (5)); the
///    result is the mean over bands and runs ([1] Eq. (6)). ESTOI [3] instead normalises each
///    15 × 30 run over time and then over bands and takes the mean inner product per frame.
///
/// Values are in about [−1, 1] (1 for `estimate == clean`), higher is more intelligible, and
/// invariant to a positive gain on the estimate. If fewer than 30 frames survive step 2 the
/// result is pystoi's sentinel `1e-5` (``STOIResult/isTooShort`` tells it apart).
///
/// References:
/// - [1] C. H. Taal, R. C. Hendriks, R. Heusdens, J. Jensen, "A Short-Time Objective
///   Intelligibility Measure for Time-Frequency Weighted Noisy Speech", ICASSP 2010.
/// - [2] C. H. Taal et al., "An Algorithm for Intelligibility Prediction of Time-Frequency
///   Weighted Noisy Speech", IEEE TASLP 19(7), 2011.
/// - [3] J. Jensen, C. H. Taal, "An Algorithm for Predicting the Intelligibility of Speech
///   Masked by Modulated Noise Maskers", IEEE TASLP 24(11), 2016.
///
/// ```swift
/// let score = try STOI.stoi(clean: reference, estimate: enhanced, sampleRate: 16_000)
/// ```
///
/// The static functions build a fresh ``STOIComputer`` per call; to score many pairs, create
/// one computer and reuse it.
public enum STOI {
  /// The rate STOI is defined at, in Hz (pystoi `FS`).
  public static let sampleRate = 10_000
  /// Frame (window) length in samples at 10 kHz (`N_FRAME`).
  public static let frameLength = 256
  /// Hop between frames in samples (`N_FRAME / 2`).
  public static let hopLength = 128
  /// FFT length in samples; frames are zero-padded to it (`NFFT`).
  public static let fftLength = 512
  /// Number of one-third-octave bands (`NUMBAND`).
  public static let bandCount = 15
  /// Centre frequency of the lowest band, in Hz (`MINFREQ`).
  public static let lowestBandCenterHz = 150.0
  /// Frames per intermediate-intelligibility segment, N in [1] (`N`; 384 ms).
  public static let segmentLength = 30
  /// Lower signal-to-distortion bound β in dB used for clipping ([1], equation 3; `BETA`).
  public static let clippingBoundDB = -15.0
  /// Frames more than this many dB below the loudest clean frame are removed (`DYN_RANGE`).
  public static let dynamicRangeDB = 40.0
  /// What pystoi returns (with a warning) when fewer than `segmentLength` frames remain.
  public static let tooShortValue = 1e-5
  /// numpy's `np.finfo(float).eps` (2⁻⁵², 2.220446049250313e-16), which pystoi adds to norms
  /// and energies to avoid division by zero and log of zero.
  public static let epsilon = Double.ulpOfOne

  /// The STOI (or ESTOI) of `estimate` against `clean`.
  ///
  /// - Parameters:
  ///   - clean: the clean reference speech, in any unit.
  ///   - estimate: the degraded or enhanced speech, same length and rate as `clean`.
  ///   - sampleRate: the rate of both signals in Hz (> 0); other than 10 kHz means resampling.
  ///   - extended: `true` for ESTOI [3]; `false` (the default, and L3DAS's choice) for STOI.
  /// - Returns: the score, or `1e-5` if too few non-silent frames remain.
  /// - Throws: `MetricsError` with `.lengthMismatch`, `.emptySignal`, `.nonFiniteSamples` or
  ///   `.invalidSampleRate`.
  public static func stoi(
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
  ///   - extended: `true` for ESTOI, `false` for STOI.
  /// - Returns: the score, whether it is the too-short sentinel, and the frame and segment
  ///   counts.
  /// - Throws: `MetricsError` with `.lengthMismatch`, `.emptySignal`, `.nonFiniteSamples` or
  ///   `.invalidSampleRate`.
  public static func evaluate(
    clean: [Float], estimate: [Float], sampleRate: Int, extended: Bool = false
  ) throws -> STOIResult {
    try STOIComputer().evaluate(
      clean: clean, estimate: estimate, sampleRate: sampleRate, extended: extended)
  }
}

/// The outcome of one STOI evaluation.
public struct STOIResult: Sendable, Equatable, Hashable, Codable {
  /// The score: STOI or ESTOI, or `STOI.tooShortValue` (1e-5) when `isTooShort`.
  public var value: Double
  /// `true` when fewer than `STOI.segmentLength` frames remained after silent-frame removal,
  /// so `value` is pystoi's sentinel rather than a measurement.
  public var isTooShort: Bool
  /// The number of 10 kHz STFT frames analysed (after silent-frame removal).
  public var frameCount: Int
  /// The number of 30-frame segments averaged, J in [1] (0 when `isTooShort`).
  public var segmentCount: Int
  /// Whether this is ESTOI (`true`) or STOI (`false`).
  public var extended: Bool

  /// Creates a result.
  ///
  /// - Parameters:
  ///   - value: the score.
  ///   - isTooShort: whether `value` is the too-short sentinel.
  ///   - frameCount: the number of STFT frames analysed.
  ///   - segmentCount: the number of segments averaged.
  ///   - extended: whether the score is ESTOI.
  public init(value: Double, isTooShort: Bool, frameCount: Int, segmentCount: Int, extended: Bool) {
    self.value = value
    self.isTooShort = isTooShort
    self.frameCount = frameCount
    self.segmentCount = segmentCount
    self.extended = extended
  }
}
