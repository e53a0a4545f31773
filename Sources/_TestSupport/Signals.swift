public import AudioIO
import TensorModule

/// Deterministic test signals.
public enum Signals {
  /// A multichannel buffer where channel `c` is a sine at `baseHz · (c + 1)` with amplitude
  /// `amplitude`, so every channel is distinct and channel mix-ups are detectable.
  public static func sines(
    channelCount: Int, frameCount: Int, sampleRate: Int, baseHz: Double = 220,
    amplitude: Float = 0.5
  ) -> AudioBuffer {
    var buffer = AudioBuffer(
      channelCount: channelCount, frameCount: frameCount, sampleRate: sampleRate)
    for c in 0..<channelCount {
      let w = 2 * Double.pi * baseHz * Double(c + 1) / Double(sampleRate)
      buffer.withUnsafeMutableChannel(c) { out in
        for i in 0..<frameCount { out[i] = amplitude * Float(sin(w * Double(i))) }
      }
    }
    return buffer
  }

  /// Uniform white noise in [-amplitude, amplitude), seeded.
  public static func noise(
    channelCount: Int, frameCount: Int, sampleRate: Int, amplitude: Float = 0.9, seed: UInt64
  ) -> AudioBuffer {
    var rng = SplitMix64(seed: seed)
    var buffer = AudioBuffer(
      channelCount: channelCount, frameCount: frameCount, sampleRate: sampleRate)
    for i in buffer.samples.indices {
      buffer.samples[i] = Float.random(in: -amplitude..<amplitude, using: &rng)
    }
    return buffer
  }
}

#if canImport(Glibc)
  import Glibc
#endif
