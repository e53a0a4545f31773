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
    let shape = featureShape(channelCount: audio.channelCount, sampleCount: audio.frameCount)
    let values = [Float](unsafeUninitializedCapacity: shape.reduce(1, *)) { buffer, count in
      write(audio, into: buffer)
      count = buffer.count
    }
    return FeatureTensor(shape: shape, values: values)
  }

  /// Writes the features of `audio` into `output`, which holds exactly
  /// `featureShape(channelCount:sampleCount:)` values (C-order); every value is written.
  ///
  /// Magnitudes are `hypotf(re, im)` as glibc computes it (the square root of the sum of
  /// squares in double precision, rounded once); the block transposes write whole cache lines.
  /// - Complexity: O(C · frames · N log N); no allocation per frame.
  public func write(_ audio: AudioBuffer, into output: UnsafeMutableBufferPointer<Float>) {
    let channels = audio.channelCount
    let samples = audio.frameCount
    let shape = featureShape(channelCount: channels, sampleCount: samples)
    precondition(output.count == shape.reduce(1, *), "output must hold \(shape) values")
    guard let out = output.baseAddress, !output.isEmpty else { return }
    let kept = shape[2]
    let bins = stft.binCount
    let plane = (bins - 1) * kept
    let phase = includesPhase
    let width = bins - 1
    // One block of magnitudes (and phases), frame-major: computed with contiguous loops, then
    // transposed into the bin-major output a whole block row at a time.
    let m = UnsafeMutablePointer<Float>.allocate(capacity: STFT.blockFrameCount * width)
    let angles = UnsafeMutablePointer<Float>.allocate(
      capacity: phase ? STFT.blockFrameCount * width : 1)
    defer {
      m.deallocate()
      angles.deallocate()
    }
    audio.samples.withUnsafeBufferPointer { all in
      for c in 0..<channels {
        let signal = UnsafeBufferPointer(rebasing: all[(c * samples)..<((c + 1) * samples)])
        let magnitude = out + c * plane
        let angle = out + (channels + c) * plane
        stft.withFrameBlocks(signal) { first, count, spectra in
          let used = min(count, kept - first)  // the last frame is cut
          guard used > 0, let base = spectra.baseAddress else { return }
          for j in 0..<used {
            // Bins 1…256 of frame j: (re, im) pairs from index 2.
            let z = base + j * 2 * bins + 2
            let row = m + j * width
            for k in 0..<width {
              let r = Double(z[2 * k])
              let i = Double(z[2 * k + 1])
              row[k] = Float((r * r + i * i).squareRoot())
            }
            if phase {
              let a = angles + j * width
              for k in 0..<width { a[k] = atan2f(z[2 * k + 1], z[2 * k]) }
            }
          }
          transposeBlock(m, rows: used, columns: width, into: magnitude + first, stride: kept)
          if phase {
            transposeBlock(angles, rows: used, columns: width, into: angle + first, stride: kept)
          }
        }
      }
    }
  }
}

#if canImport(Glibc)
  import Glibc
#endif
