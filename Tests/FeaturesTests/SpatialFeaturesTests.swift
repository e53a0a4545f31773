import AudioIO
import DSP
import Features
import Foundation
import TensorModule
import Testing

@Suite("Log-mel spectrogram and intensity vectors")
struct SpatialFeaturesTests {
  @Test("the Slaney mel scale is linear to 1 kHz and logarithmic above")
  func melScale() {
    #expect(MelFilterbank.mel(hz: 0) == 0)
    #expect(abs(MelFilterbank.mel(hz: 1000) - 15) < 1e-12)
    #expect(abs(MelFilterbank.mel(hz: 6400) - 42) < 1e-12)  // 15 + 27·ln 6.4/ln 6.4
    for hz in [10.0, 999, 1000, 4321, 16_000] {
      #expect(abs(MelFilterbank.hz(mel: MelFilterbank.mel(hz: hz)) - hz) < 1e-9 * max(1, hz))
    }
  }

  @Test(
    "each mel filter is a non-negative triangle between its edges with Slaney area normalisation")
  func filterShapes() {
    let mel = MelFilterbank(sampleRate: 16_000, fftLength: 512, melCount: 20)
    #expect(mel.weights.count == 20 * 257)
    #expect(mel.edgesHz.first == 0 && abs(mel.edgesHz.last! - 8000) < 1e-6)
    for i in 0..<20 {
      let row = Array(mel.weights[(i * 257)..<((i + 1) * 257)])
      #expect(row.allSatisfy { $0 >= 0 })
      for (k, w) in row.enumerated() where w > 0 {
        let f = Double(k) * 16_000 / 512
        #expect(f > mel.edgesHz[i] && f < mel.edgesHz[i + 2], "band \(i) bin \(k)")
      }
      // The height at the centre frequency is 2/(right edge − left edge).
      let peak = Double(row.max()!)
      #expect(peak <= 2 / (mel.edgesHz[i + 2] - mel.edgesHz[i]) * (1 + 1e-6))
    }
  }

  @Test("log-mel values equal |DFT|² summed by the filters, in dB, with the 80 dB floor")
  func logMelAgainstDirect() throws {
    let configuration = STFT.Configuration(
      fftLength: 64, hopLength: 16, window: .hann, padding: .centerZeros, scaling: .none)
    let logMel = try LogMelSpectrogram(sampleRate: 8000, stft: configuration, melCount: 12)
    var rng = SplitMix64(seed: 5)
    let x = (0..<300).map { i in
      Float(sin(Double(i) * 0.7)) * 0.5 + Float.random(in: -0.01..<0.01, using: &rng)
    }
    let features = logMel.features(of: AudioBuffer(channels: [x], sampleRate: 8000))
    let reference = referenceSTFT(x, configuration: configuration)
    #expect(features.shape == [1, 12, reference.frames])
    var expected = [Double](repeating: 0, count: 12 * reference.frames)
    for t in 0..<reference.frames {
      for m in 0..<12 {
        var sum = 0.0
        for k in 0..<33 {
          let (re, im) = (
            Double(reference.real[k * reference.frames + t]),
            Double(reference.imaginary[k * reference.frames + t])
          )
          sum += Double(logMel.filterbank.weights[m * 33 + k]) * (re * re + im * im)
        }
        expected[m * reference.frames + t] = 10 * log10(max(sum, 1e-10))
      }
    }
    let floor = expected.max()! - 80
    let worst = zip(features.values, expected).map { abs(Double($0) - max($1, floor)) }.max()!
    #expect(worst < 1e-3, "worst difference \(worst) dB")
    // A tone peaks in the band whose centre is nearest to it.
    let tone = 2000.0
    let sine = (0..<4000).map { Float(sin(2 * Double.pi * tone * Double($0) / 8000)) }
    let peak = logMel.features(of: AudioBuffer(channels: [sine], sampleRate: 8000))
    let frames = peak.shape[2]
    let loudest = (0..<12).max { peak[0, $0, frames / 2] < peak[0, $1, frames / 2] }!
    let nearest = (0..<12).min {
      abs(logMel.filterbank.edgesHz[$0 + 1] - tone) < abs(logMel.filterbank.edgesHz[$1 + 1] - tone)
    }!
    #expect(abs(loudest - nearest) <= 1)
  }

  @Test("silence is floored at -100 dB")
  func silence() throws {
    let logMel = try LogMelSpectrogram(sampleRate: 32_000)
    let features = logMel.features(
      of: AudioBuffer(channelCount: 2, frameCount: 4000, sampleRate: 32_000))
    #expect(features.shape == [2, 64, 11])
    #expect(features.values.allSatisfy { abs($0 + 100) < 1e-4 })
  }

  @Test(
    "intensity vectors of a plane wave point to its direction in every band",
    arguments: [
      SIMD3<Double>(1, 0, 0), SIMD3(0.3, -0.8, 0.5), SIMD3(-1, 1, -1),
    ])
  func planeWave(direction: SIMD3<Double>) throws {
    let iv = try IntensityVectors(sampleRate: 16_000, melCount: 16)
    var rng = SplitMix64(seed: 9)
    let s = (0..<6000).map { _ in Float.random(in: -1..<1, using: &rng) }
    let g = Ambisonics.encodingGains(direction: direction)
    // Two microphones: mic B hears the mirrored direction.
    let channels =
      (0..<4).map { c in s.map { $0 * g[c] } }
      + (0..<4).map { c in s.map { $0 * (c == 0 ? 1 : -g[c]) } }
    let features = try iv.features(of: AudioBuffer(channels: channels, sampleRate: 16_000))
    let frames = features.shape[2]
    #expect(features.shape == [6, 16, frames])
    let u = direction / (direction * direction).sum().squareRoot()
    let expected = [u.y, u.z, u.x]  // ACN order
    for (mic, sign) in [(0, 1.0), (1, -1.0)] {
      for m in 0..<16 {
        let weightSum = (0..<iv.stft.binCount).reduce(0.0) {
          $0 + Double(iv.filterbank.weights[m * iv.stft.binCount + $1])
        }
        for t in [1, frames / 2] {
          for a in 0..<3 {
            let value = Double(features[3 * mic + a, m, t])
            #expect(
              abs(value - sign * 0.75 * expected[a] * weightSum) < 1e-3 * weightSum,
              "mic \(mic) band \(m) axis \(a)")
          }
        }
      }
    }
    let error = #expect(throws: FeatureError.self) {
      try iv.features(of: AudioBuffer(channelCount: 3, frameCount: 10, sampleRate: 16_000))
    }
    #expect(error?.code == .unsupportedAudio)
  }
}
