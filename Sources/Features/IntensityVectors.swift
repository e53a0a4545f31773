public import AudioIO
public import DSP

/// Mel-band active intensity vectors of first-order Ambisonics, the DCASE SELD baseline's
/// spatial feature for FOA input.
///
/// For a 4-channel FOA recording in ACN order **W, Y, Z, X** (`AmbisonicChannel`), with STFTs
/// `W, Y, Z, X`, per bin and frame:
/// `I = Re(conj(W)·(Y, Z, X))`, `E = |W|² + (|Y|² + |Z|² + |X|²)/3 + ε`, and the normalised
/// vector `I/E` is summed over each mel band with the `MelFilterbank` weights. For a plane wave
/// from unit direction u (SN3D), `I/E = ¾·(u_y, u_z, u_x)` in every bin.
///
/// Output `[3·microphones, melCount, frames]` with the components in ACN order (Y, Z, X) per
/// microphone, as the DCASE baseline stores them; an 8-channel dual-mic recording gives mic A's
/// three channels then mic B's.
///
/// ```swift
/// let iv = try IntensityVectors(sampleRate: 32_000)
/// let features = try iv.features(of: recording.audio)   // [6, 64, frames] for two mics
/// ```
public struct IntensityVectors: Sendable {
  /// The STFT.
  public let stft: STFT
  /// The mel filters.
  public let filterbank: MelFilterbank
  /// ε in the energy normaliser (the DCASE baseline's 1e-8).
  public let epsilon: Float

  /// Prepares the extractor (same parameters as `LogMelSpectrogram`).
  /// - Throws: `DSPError` for an invalid STFT configuration.
  public init(
    sampleRate: Int, stft: STFT.Configuration = LogMelSpectrogram.defaultSTFT, melCount: Int = 64,
    epsilon: Float = 1e-8
  ) throws {
    self.stft = try STFT(stft)
    filterbank = MelFilterbank(
      sampleRate: sampleRate, fftLength: stft.fftLength, melCount: melCount)
    self.epsilon = epsilon
  }

  /// The intensity-vector features of `audio` (4 channels per microphone, W Y Z X each).
  /// - Throws: `FeatureError.unsupportedAudio` when the channel count is not a multiple of 4.
  public func features(of audio: AudioBuffer) throws -> FeatureTensor {
    guard audio.channelCount % 4 == 0 else {
      throw FeatureError(
        .unsupportedAudio,
        "intensity vectors need first-order Ambisonics (4 channels W, Y, Z, X per microphone), got \(audio.channelCount) channels"
      )
    }
    let frames = stft.frameCount(sampleCount: audio.frameCount)
    let bins = stft.binCount
    let mels = filterbank.melCount
    let microphones = audio.channelCount / 4
    var out = [Float](repeating: 0, count: 3 * microphones * mels * frames)
    var normalised = [[Float]](repeating: [Float](repeating: 0, count: bins), count: 3)
    var band = [Float](repeating: 0, count: mels)
    for mic in 0..<microphones {
      let spectra = (0..<4).map { stft.transform(audio.channel(4 * mic + $0)) }
      for t in 0..<frames {
        for k in 0..<bins {
          let i = k * frames + t
          let (wr, wi) = (spectra[0].real[i], spectra[0].imaginary[i])
          var energy = wr * wr + wi * wi
          var directional: Float = 0
          for a in 1...3 {
            let (r, m) = (spectra[a].real[i], spectra[a].imaginary[i])
            directional += r * r + m * m
            normalised[a - 1][k] = wr * r + wi * m  // Re(conj(W)·A)
          }
          energy += directional / 3 + epsilon
          for a in 0..<3 { normalised[a][k] /= energy }
        }
        for a in 0..<3 {
          normalised[a].withUnsafeBufferPointer { p in
            band.withUnsafeMutableBufferPointer { filterbank.apply(p, into: $0) }
          }
          for m in 0..<mels { out[((3 * mic + a) * mels + m) * frames + t] = band[m] }
        }
      }
    }
    return FeatureTensor(shape: [3 * microphones, mels, frames], values: out)
  }
}
