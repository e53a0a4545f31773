import AudioIO
import DSP
import Dispatch
import Features
import Foundation
import NumPyIO

/// The SELDnet STFT (`STFT.Configuration.seldnet`: scipy conventions, Hamming 512, hop 400) on
/// one 30 s, four-channel, 32 kHz signal, on one thread, as `scipy.signal.stft` runs.
///
/// The signal is written to `stft_input_30s_4ch.npy` in the benchmark folder, so
/// `Tools/bench/preprocess_reference.py stft` times scipy on the same input
/// (`Tools/bench/preprocess_compare.sh` does both).
enum STFTBench {
  struct Case {
    var name: String
    var seconds: Double
    var detail: String
  }

  static let inputName = "stft_input_30s_4ch.npy"

  static func run(in folder: URL, repetitions: Int) throws -> [Case] {
    let channels = 4
    let samples = 30 * 32_000
    var audio = AudioBuffer(channelCount: channels, frameCount: samples, sampleRate: 32_000)
    var state: UInt32 = 7
    for i in audio.samples.indices {
      state = state &* 1_664_525 &+ 1_013_904_223
      audio.samples[i] = Float(Int32(bitPattern: state)) / 4_294_967_296
    }
    try NumPyFile.write(
      audio.samples, shape: [channels, samples], to: folder.appendingPathComponent(inputName))

    let stft = try STFT(.seldnet)
    let count = stft.binCount * stft.frameCount(sampleCount: samples)
    var real = [Float](repeating: 0, count: count)
    var imaginary = [Float](repeating: 0, count: count)
    let reps = max(1, repetitions)

    func time(_ body: () -> Void) -> Double { medianSeconds(repetitions: reps, body) }

    let transform = time {
      audio.samples.withUnsafeBufferPointer { all in
        real.withUnsafeMutableBufferPointer { r in
          imaginary.withUnsafeMutableBufferPointer { i in
            for c in 0..<channels {
              stft.transform(
                UnsafeBufferPointer(rebasing: all[(c * samples)..<((c + 1) * samples)]),
                real: r, imaginary: i)
            }
          }
        }
      }
    }
    var interleaved = [Float](repeating: 0, count: 2 * count)
    let frameMajor = time {
      audio.samples.withUnsafeBufferPointer { all in
        interleaved.withUnsafeMutableBufferPointer { out in
          for c in 0..<channels {
            stft.transform(
              UnsafeBufferPointer(rebasing: all[(c * samples)..<((c + 1) * samples)]),
              frameMajor: out)
          }
        }
      }
    }
    let spectrum = try SELDnetSpectrum()
    let features = time { _ = spectrum.features(of: audio) }
    let frames = stft.frameCount(sampleCount: samples)
    return [
      Case(
        name: "stft seldnet 30 s × 4 ch, frame-major (1 thread)", seconds: frameMajor,
        detail: "complex [4, 257, \(frames)] in scipy's memory (its result is a transposed view)"),
      Case(
        name: "stft seldnet 30 s × 4 ch, bin-major (1 thread)", seconds: transform,
        detail: "real and imaginary [4, 257, \(frames)], contiguous; input \(inputName)"),
      Case(
        name: "SELDnetSpectrum.features 30 s × 4 ch", seconds: features,
        detail: "|STFT|, DC bin and last frame cut: [4, 256, \(frames - 1)]"),
    ]
  }
}
