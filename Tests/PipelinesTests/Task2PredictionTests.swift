import Datasets
import Features
import Foundation
import Metrics
import Models
import NN
import NumPyIO
import Pipelines
import Submission
import Synthesis
import Testing
import _TestSupport

@Suite("Task 2 prediction")
struct Task2PredictionTests {
  /// A synthetic L3DAS22 Task 2 dev split of two full-length (30 s) scenes.
  private func makeSplit() throws -> (TemporaryDirectory, URL) {
    let dir = try TemporaryDirectory()
    var configuration = SyntheticDataset.Configuration()
    configuration.task1Splits = []
    configuration.task2Splits = [.dev]
    configuration.task2ItemsPerSplit = 2
    configuration.seed = 31
    try SyntheticDataset.generate(configuration, at: dir.path("data"))
    return (dir, dir.path("data/L3DAS22_Task2_dev"))
  }

  @Test("predict writes, for every scene, the rows of the model's output on the preprocessed features, and the submission validates")
  func predictionMatchesFeatures() throws {
    let (dir, folder) = try makeSplit()
    let split = try SplitLocation(folder: folder)
    // Weights go through a safetensors file, as a user's checkpoint would.
    let weights = dir.path("tiny.safetensors")
    try SELDnet(.tiny, seed: 5).saveStateDict(to: weights)
    let model = try SELDnet(.tiny, seed: 99)
    try model.loadStateDict(contentsOf: weights)

    let out = dir.path("submission")
    let report = try Task2Prediction.run(model: model, split: split, splitFolder: folder, output: out)
    #expect(report.itemCount == 2)
    #expect(report.validation.isValid, "\(report.validation.text)")
    #expect(report.validation.frameCount == 300)
    // Rows already scaled by 2 are not mistaken for the network's raw output.
    #expect(!report.validation.problems.contains { $0.kind == .normalisedCoordinates }, "\(report.validation.text)")

    // Independently: the official features from `l3das preprocess`, the same weights, the
    // official conversion of the outputs.
    let features = dir.path("features")
    let preprocess = try Preprocessing.run(
      split: split, output: features,
      configuration: .baseline(task: .soundEventLocalizationDetection, edition: .l3das22))
    let reference = try SELDnet(.tiny, seed: 1)
    try reference.loadStateDict(contentsOf: weights)
    reference.eval()
    let labels = Task2LabelMatrix(configuration: .l3das22)
    var total = 0
    for shard in preprocess.manifest.shards {
      let (header, x) = try NumPyFile.readFloats(
        features.appendingPathComponent(try #require(shard.predictors)))
      let perItem = header.shape.dropFirst().reduce(1, *)
      for (k, entry) in shard.entries.enumerated() {
        let input = Tensor<Float>(
          shape: [1] + header.shape.dropFirst(), scalars: Array(x[(k * perItem)..<((k + 1) * perItem)]))
        let (sed, doa) = try withNoGrad { try reference.forward(input) }
        let rows = try labels.detections(sed: sed.scalars, doa: doa.scalars).map {
          DetectionRow(frame: $0.frame, soundClass: $0.soundClass, position: $0.position)
        }
        total += rows.count
        let written = try String(contentsOf: out.appendingPathComponent("\(entry.id).csv"), encoding: .utf8)
        #expect(written == SubmissionWriter.csvText(rows), "\(entry.id)")
      }
    }
    #expect(total > 0, "a random network detects something at threshold 0.5")
    #expect(report.rowCount == total)
  }

  @Test("a model that does not fit the split is refused before anything is written")
  func mismatches() throws {
    let (dir, folder) = try makeSplit()
    let split = try SplitLocation(folder: folder)
    let out = dir.path("submission")

    var eightChannels = SELDnetConfiguration.tiny
    eightChannels.inputChannels = 8
    #expect(throws: ModelError.self) {
      try Task2Prediction.run(
        model: try SELDnet(eightChannels), split: split, splitFolder: folder, output: out)
    }
    // No time pooling: 2400 output frames instead of 300.
    var unpooled = SELDnetConfiguration.tiny
    unpooled.poolTime = false
    #expect(throws: ModelError.self) {
      try Task2Prediction.run(
        model: try SELDnet(unpooled), split: split, splitFolder: folder, output: out)
    }
    #expect(!FileManager.default.fileExists(atPath: out.path))
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.url.path)
      .filter { $0.contains("partial") }
    #expect(leftovers.isEmpty, "staging folders left behind: \(leftovers)")

    // An existing submission is not replaced unless asked.
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    #expect(throws: SubmissionError.self) {
      try Task2Prediction.run(model: try SELDnet(.tiny), split: split, splitFolder: folder, output: out)
    }
  }

  @Test("configurations are read from SELDnet JSON or fixture-style files; others are refused")
  func configurationFiles() throws {
    let dir = try TemporaryDirectory()
    let plain = dir.path("plain.json")
    try JSONEncoder().encode(SELDnetConfiguration.tiny).write(to: plain)
    #expect(try Task2Prediction.configuration(contentsOf: plain) == .tiny)

    let fixture = dir.path("fixture.config.json")
    try Data(#"{"class": "Seldnet_vanilla", "constructor_args": {"time_dim": 2400, "verbose": false}}"#.utf8)
      .write(to: fixture)
    let vanilla = try Task2Prediction.configuration(contentsOf: fixture)
    #expect(vanilla.variant == .vanilla && vanilla.timeDim == 2400)

    let other = dir.path("mmub.config.json")
    try Data(#"{"class": "MMUB", "constructor_args": {}}"#.utf8).write(to: other)
    #expect(throws: ModelError.self) { try Task2Prediction.configuration(contentsOf: other) }
    let broken = dir.path("broken.json")
    try Data("{\"pool_size\": 3".utf8).write(to: broken)
    #expect(throws: ModelError.self) { try Task2Prediction.configuration(contentsOf: broken) }
  }
}
