public import AudioIO
public import DSP

/// The SELDnet input features of the L3DAS21/22 Task 2 baseline (`spectrum_fast` in the
/// official preprocessing): the magnitude of `scipy.signal.stft(x, window='hamming',
/// nperseg=512, noverlap=112)` per channel, with the DC bin and the last frame removed.
///
/// For C channels of L samples, the STFT has 257 bins and `⌈L/400⌉ + 1` frames; the features
/// are `[C, 256, ⌈L/400⌉]` (bins 1…256, Nyquist kept; frames 0…F−2). With `includesPhase`, the
/// phases `atan2(im, re)` ∈ (−π, π] of the same bins and frames follow as C more channels,
/// `[2C, 256, ⌈L/400⌉]`, as the reference's `--output_phase True` does. A 30 s, 32 kHz
/// four-channel file (960 000 samples) gives `[4, 256, 2400]`.
///
/// ```swift
/// let spectrum = try SELDnetSpectrum()
/// let features = spectrum.features(of: recording.audio)   // [8, 256, 2400] for two mics
/// ```
public struct SELDnetSpectrum: Sendable {
  /// The STFT (`STFT.Configuration.seldnet` unless given).
  public let stft: STFT
  /// Whether phase channels follow the magnitude channels.
  public let includesPhase: Bool

  /// Prepares the extractor.
  /// - Parameters:
  ///   - configuration: the STFT; the default is the baseline's.
  ///   - includesPhase: append phase channels (default `false`, as the baseline).
  /// - Throws: `DSPError` for an invalid STFT configuration.
  public init(configuration: STFT.Configuration = .seldnet, includesPhase: Bool = false) throws {
    stft = try STFT(configuration)
    self.includesPhase = includesPhase
  }

  /// The feature shape for `channelCount` channels of `sampleCount` samples.
  public func featureShape(channelCount: Int, sampleCount: Int) -> [Int] {
    [
      includesPhase ? 2 * channelCount : channelCount, stft.binCount - 1,
      max(0, stft.frameCount(sampleCount: sampleCount) - 1),
    ]
  }

  /// The features of every channel of `audio` (see the type's documentation for the shape).
  /// - Complexity: O(C · frames · N log N).
  public func features(of audio: AudioBuffer) -> FeatureTensor {
    let channels = audio.channelCount
    let frames = stft.frameCount(sampleCount: audio.frameCount)
    let bins = stft.binCount
    let shape = featureShape(channelCount: channels, sampleCount: audio.frameCount)
    let kept = shape[2]
    var values = [Float](repeating: 0, count: shape.reduce(1, *))
    var real = [Float](repeating: 0, count: bins * frames)
    var imaginary = [Float](repeating: 0, count: bins * frames)
    let plane = (bins - 1) * kept
    audio.samples.withUnsafeBufferPointer { samples in
      for c in 0..<channels {
        let signal = UnsafeBufferPointer(
          rebasing: samples[(c * audio.frameCount)..<((c + 1) * audio.frameCount)])
        real.withUnsafeMutableBufferPointer { r in
          imaginary.withUnsafeMutableBufferPointer {
            stft.transform(signal, real: r, imaginary: $0)
          }
        }
        for k in 1..<bins {
          for t in 0..<kept {
            let re = real[k * frames + t]
            let im = imaginary[k * frames + t]
            let out = (k - 1) * kept + t
            values[c * plane + out] = hypotf(re, im)
            if includesPhase {
              values[(channels + c) * plane + out] = atan2f(im, re)
            }
          }
        }
      }
    }
    return FeatureTensor(shape: shape, values: values)
  }
}

#if canImport(Glibc)
  import Glibc
#endif
