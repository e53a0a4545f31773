import AudioIO
import DSP
import Features
import Foundation
import SafeTensors
import Testing

@Suite("SELDnet spectrum features")
struct SELDnetSpectrumTests {
  @Test("magnitudes and phases match the spectrum_fast parity fixture", arguments: [false, true])
  func parity(includesPhase: Bool) throws {
    let file = try SafeTensorsFile.read(
      fixtures.appendingPathComponent("spectrum_fast.io.safetensors"))
    let audio = AudioBuffer(
      planarSamples: try file.floats("input"), channelCount: 4, sampleRate: 32_000)
    let spectrum = try SELDnetSpectrum(includesPhase: includesPhase)
    let features = spectrum.features(of: audio)
    let name = includesPhase ? "features_with_phase" : "features"
    #expect(features.shape == file.info(name)?.shape)
    let expected = try file.floats(name)
    let magnitudes = 4 * 256 * 8
    let error = relativeError(
      Array(features.values.prefix(magnitudes)), Array(expected.prefix(magnitudes)))
    print("SELDnet magnitude relative error: \(error)")
    #expect(error < parityTolerance)
    if includesPhase {
      // Phase is compared in absolute radians, and modulo 2π: for a bin whose value is a
      // negative real number ±π are the same angle. The error of atan2 grows as the
      // magnitude shrinks; 1e-4 rad is 10× the measured worst case (9.7e-6).
      var worst = 0.0
      for (p, q) in zip(features.values.dropFirst(magnitudes), expected.dropFirst(magnitudes)) {
        let d = abs(Double(p) - Double(q))
        worst = max(worst, min(d, abs(d - 2 * Double.pi)))
      }
      print("SELDnet phase absolute error: \(worst) rad")
      #expect(worst < 1e-4)
    }
  }

  @Test(
    "shapes follow ⌈L/400⌉ frames and 256 bins per channel",
    arguments: [(1, 400), (2, 401), (4, 960_000 / 100), (8, 1)])
  func shapes(channels: Int, samples: Int) throws {
    let spectrum = try SELDnetSpectrum()
    let audio = AudioBuffer(channelCount: channels, frameCount: samples, sampleRate: 32_000)
    let features = spectrum.features(of: audio)
    #expect(features.shape == [channels, 256, (samples + 399) / 400])
    #expect(spectrum.featureShape(channelCount: 4, sampleCount: 960_000) == [4, 256, 2400])
  }

  @Test(
    "the blocked fast path equals hypotf and atan2f of STFT.transform bit for bit",
    arguments: [(3, 12_345), (1, 400 * 64 - 1), (2, 400 * 127 + 7)])
  func blockedPathIsExact(channels: Int, samples: Int) throws {
    var audio = AudioBuffer(channelCount: channels, frameCount: samples, sampleRate: 32_000)
    var state: UInt32 = 3
    for i in audio.samples.indices {
      state = state &* 1_664_525 &+ 1_013_904_223
      audio.samples[i] = Float(Int32(bitPattern: state)) / 4_294_967_296
    }
    let spectrum = try SELDnetSpectrum(includesPhase: true)
    let features = spectrum.features(of: audio)
    let kept = features.shape[2]
    let frames = spectrum.stft.frameCount(sampleCount: samples)
    var mismatches = 0
    for c in 0..<channels {
      let (re, im) = spectrum.stft.transform(audio.channel(c))
      for k in 1...256 {
        for t in 0..<kept {
          let out = (k - 1) * kept + t
          let z = k * frames + t
          if features.values[c * 256 * kept + out] != hypotf(re[z], im[z]) { mismatches += 1 }
          if features.values[(channels + c) * 256 * kept + out] != atan2f(im[z], re[z]) {
            mismatches += 1
          }
        }
      }
    }
    #expect(mismatches == 0)
  }
}

#if canImport(Glibc)
  import Glibc
#endif
