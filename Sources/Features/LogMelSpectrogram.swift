public import AudioIO
public import DSP
import Foundation

/// Log-mel power spectrograms per channel, the usual DCASE SELD input feature
/// (`librosa.feature.melspectrogram(S=|STFT|²)` followed by `librosa.power_to_db`).
///
/// For each channel: `P[k, t] = |Z[k, t]|²` from `stft`, `M = melFilterbank · P`, then
/// `10·log10(max(M, 1e-10))`, floored at the channel's maximum minus `dynamicRangeDecibels`
/// (librosa's `top_db`, default 80; `nil` disables the floor). Output `[channels, mels,
/// frames]`.
///
/// ```swift
/// let logMel = try LogMelSpectrogram(sampleRate: 32_000)
/// let features = logMel.features(of: audio)   // [4, 64, 1 + L/400]
/// ```
public struct LogMelSpectrogram: Sendable {
  /// The STFT.
  public let stft: STFT
  /// The mel filters.
  public let filterbank: MelFilterbank
  /// The floor below each channel's maximum, in dB (`nil`: no floor).
  public let dynamicRangeDecibels: Double?

  /// The default STFT: periodic Hann, 1024-point FFT, hop 400 (12.5 ms at 32 kHz, 8 frames per
  /// 100 ms label frame), centre zero-padding, unscaled.
  public static let defaultSTFT = STFT.Configuration(
    fftLength: 1024, hopLength: 400, window: .hann, padding: .centerZeros, scaling: .none)

  /// Prepares the extractor.
  /// - Parameters:
  ///   - sampleRate: the audio's rate in Hz (sets the mel filter frequencies).
  ///   - stft: the STFT (default `defaultSTFT`).
  ///   - melCount: mel bands (default 64, as the DCASE baselines).
  ///   - dynamicRangeDecibels: librosa's `top_db` (default 80).
  /// - Throws: `DSPError` for an invalid STFT configuration.
  public init(
    sampleRate: Int, stft: STFT.Configuration = defaultSTFT, melCount: Int = 64,
    dynamicRangeDecibels: Double? = 80
  ) throws {
    self.stft = try STFT(stft)
    filterbank = MelFilterbank(
      sampleRate: sampleRate, fftLength: stft.fftLength, melCount: melCount)
    self.dynamicRangeDecibels = dynamicRangeDecibels
  }

  /// The features of every channel of `audio`, `[channels, melCount, frames]`.
  public func features(of audio: AudioBuffer) -> FeatureTensor {
    let frames = stft.frameCount(sampleCount: audio.frameCount)
    let mels = filterbank.melCount
    var out = [Float](repeating: 0, count: audio.channelCount * mels * frames)
    var power = [Float](repeating: 0, count: stft.binCount)
    var band = [Float](repeating: 0, count: mels)
    for c in 0..<audio.channelCount {
      let (real, imaginary) = stft.transform(audio.channel(c))
      var top = -Float.infinity
      for t in 0..<frames {
        for k in 0..<stft.binCount {
          let re = real[k * frames + t]
          let im = imaginary[k * frames + t]
          power[k] = re * re + im * im
        }
        power.withUnsafeBufferPointer { p in
          band.withUnsafeMutableBufferPointer { filterbank.apply(p, into: $0) }
        }
        for m in 0..<mels {
          let db = 10 * log10(max(band[m], 1e-10))
          out[(c * mels + m) * frames + t] = db
          top = max(top, db)
        }
      }
      if let range = dynamicRangeDecibels {
        let floor = top - Float(range)
        for i in (c * mels * frames)..<((c + 1) * mels * frames) { out[i] = max(out[i], floor) }
      }
    }
    return FeatureTensor(shape: [audio.channelCount, mels, frames], values: out)
  }
}
