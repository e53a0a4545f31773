import AudioIO
import Datasets
import Foundation
import Models
import NN
import NumPyIO
import Pipelines
import Synthesis
import TensorModule
import Testing
import _TestSupport

@Suite("Task 1 prediction")
struct Task1PredictionTests {
  @Test(
    "the sliding window with crossfade reproduces the input exactly for an identity model, at every length",
    arguments: [1, 999, 1000, 1500, 2000, 2001, 4321])
  func crossfadeIsExactForIdentity(samples: Int) throws {
    var rng = SplitMix64(seed: UInt64(samples))
    let channels = 4
    let mixture = (0..<(channels * samples)).map { _ in Float.random(in: -1...1, using: &rng) }
    var calls = 0
    let (estimate, windows) = try Task1Prediction.enhance(
      mixture, channels: channels, window: 1000, hop: 500
    ) { piece in
      calls += 1
      #expect(piece.shape == [1, 4, 1000])
      return Tensor(shape: [1, 1, 1000], scalars: Array(piece.scalars.prefix(1000)))
    }
    #expect(estimate.count == samples)
    #expect(windows == calls)
    // Windows: starts 0, 500, … until one reaches the end (the official loop).
    #expect(windows == max(1, (max(samples - 1000, 0) + 499) / 500 + 1))
    for n in 0..<samples { #expect(abs(estimate[n] - mixture[n]) <= 1e-6, "sample \(n)") }
  }

  @Test("a crossfade weighs the old tail by (F−n)/F and the new head by n/F")
  func crossfadeWeights() throws {
    // Window 4, hop 2 (F = 2): window k outputs the constant k + 1.
    var k: Float = 0
    let (estimate, _) = try Task1Prediction.enhance(
      [Float](repeating: 0, count: 6), channels: 1, window: 4, hop: 2
    ) { _ in
      k += 1
      return Tensor(shape: [1, 1, 4], scalars: [Float](repeating: k, count: 4))
    }
    // Windows at 0 and 2 (the second reaches the end): [1, 1, 1·1 + 2·0, 1·½ + 2·½, 2, 2].
    #expect(estimate == [1, 1, 1, 1.5, 2, 2])
  }

  @Test("a tiny MIMO-UNet enhances a synthetic Task 1 split into a valid submission of exact lengths")
  func mimoUNetSubmission() throws {
    let dir = try TemporaryDirectory()
    var synthetic = SyntheticDataset.Configuration()
    synthetic.task1Splits = [.dev]
    synthetic.task1ItemsPerSplit = 2
    synthetic.task2Splits = []
    synthetic.seed = 8
    try SyntheticDataset.generate(synthetic, at: dir.path("data"))
    let folder = dir.path("data/L3DAS22_Task1_dev")
    let split = try SplitLocation(folder: folder)
    // fft 64, hop 16: a window of 2032 samples is 128 frames, a multiple of the 8 the U-Net
    // pools away, and the inverse STFT gives back exactly 2032 samples.
    let model = try Task1Prediction.Model.mimoUNet(.tiny, seed: 3)
    let out = dir.path("submission")
    let report = try Task1Prediction.run(
      model: model, split: split, splitFolder: folder, output: out, window: 2032, hop: 1016)
    #expect(report.itemCount == 2)
    #expect(report.validation.isValid, "\(report.validation.text)")
    for item in try split.task1Items().sortedItems() {
      let (header, values) = try NumPyFile.readFloats(out.appendingPathComponent("\(item.id).npy"))
      let frames = try AudioFile.info(at: item.micA).frameCount
      #expect(header.shape == [frames])
      #expect(values.allSatisfy(\.isFinite) && values.contains { $0 != 0 })
    }
    // The model must fit the microphones.
    #expect(throws: ModelError.self) {
      try Task1Prediction.run(
        model: try .mimoUNet(.twoMics), split: split, splitFolder: folder, output: dir.path("x"))
    }
  }
}
