import Datasets
import Foundation
import Models
import NN
import Pipelines
import Synthesis
import Testing
import _TestSupport

@Suite("Task 1 training")
struct Task1TrainingTests {
  /// Preprocessed waveforms of a synthetic Task 1 train100 split: `items` recordings (3–7 s of
  /// real speech), mic A, cut as `segmenting`.
  private func waveforms(
    items: Int = 5, segmenting: PreprocessConfiguration.Task1Segmenting
  ) throws -> (TemporaryDirectory, URL) {
    let dir = try TemporaryDirectory()
    var synthetic = SyntheticDataset.Configuration()
    synthetic.task1Splits = [.train100]
    synthetic.task1ItemsPerSplit = items
    synthetic.task2Splits = []
    synthetic.seed = 17
    try SyntheticDataset.generate(synthetic, at: dir.path("data"))
    var configuration = PreprocessConfiguration.baseline(task: .speechEnhancement, edition: .l3das22)
    configuration.task1Segmenting = segmenting
    configuration.itemsPerShard = 2
    let out = dir.path("features")
    _ = try Preprocessing.run(
      split: try SplitLocation(folder: dir.path("data/L3DAS22_Task1_train100")), output: out,
      configuration: configuration)
    return (dir, out)
  }

  /// The 35,928-parameter MIMO-UNet of the parity fixture (fft 64, hop 16) on 2032-sample rows
  /// (128 frames, a multiple of the time strides' 8).
  private func mimoRecipe(epochs: Int) -> TrainingRecipe {
    TrainingRecipe(
      model: "mimo_unet", mimoUNet: .tiny, batchSize: 2, learningRate: 3e-3, patience: 100,
      maxEpochs: epochs, trainFraction: 0.6)
  }

  /// The parity fixture's FaSNet (W = C = 16), MSE.
  private func fasnetRecipe(epochs: Int, tac: Bool = false) -> TrainingRecipe {
    TrainingRecipe(
      model: tac ? "fasnet_tac" : "fasnet", fasnet: .tiny, batchSize: 8, learningRate: 3e-3,
      patience: 100, maxEpochs: epochs, trainFraction: 0.6)
  }

  @Test(
    "MIMO-UNet with L1 or STFT-magnitude L1: the loss falls, and the best weights load with the configuration written beside them",
    arguments: ["l1", "stft_l1"])
  func mimoUNetLearns(loss: String) throws {
    let (dir, data) = try waveforms(segmenting: .fixedLength(2032))
    let run = dir.path("run")
    var recipe = mimoRecipe(epochs: 5)
    recipe.loss = loss
    let report = try Training.run(recipe: recipe, data: data, output: run)
    #expect(report.model == "MIMO_UNet_Beamforming" && report.parameterCount == 35_928)
    #expect(report.trainItems == 3 && report.validationItems == 2 && report.trainRows == 3)
    let train = report.history.map(\.trainLoss)
    #expect(train.last! < 0.9 * train.first!, "train losses \(train)")
    #expect(report.bestValidationLoss! < report.history[0].validationLoss || report.bestEpoch == 1)

    // predict reads best.config.json as a PyTorch class + constructor_args description.
    let model = try Task1Prediction.Model.contentsOf(run.appendingPathComponent("best.config.json"))
    #expect(model.name == "MIMO_UNet_Beamforming" && model.inputChannels == 4)
    try model.module.loadStateDict(contentsOf: run.appendingPathComponent("best.safetensors"))
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("best.config.json")))
        as? [String: Any])
    #expect((object["constructor_args"] as? [String: Any])?["fft_size"] as? Int == 64)
  }

  @Test("FaSNet on chunked recordings trains on every piece, splits by recording, and resumes bit-exactly")
  func fasnetChunksAndResume() throws {
    let (dir, data) = try waveforms(items: 3, segmenting: .chunks(4000))
    var recipe = fasnetRecipe(epochs: 2)
    recipe.trainFraction = 0.7
    let straight = dir.path("straight")
    let split = dir.path("split")
    let full = try Training.run(recipe: recipe, data: data, output: straight)
    #expect(full.model == "FaSNet_origin")
    #expect(full.trainItems == 2 && full.validationItems == 1)
    // 3–7 s recordings give 12–28 pieces of 0.25 s each; every piece of a training recording trains.
    #expect(full.trainRows >= 2 * 12 && full.trainRows <= 2 * 29)
    let state = try JSONDecoder().decode(
      Training.State.self,
      from: Data(contentsOf: straight.appendingPathComponent("checkpoint/state.json")))
    #expect(Set(state.trainIDs).isDisjoint(with: state.validationIDs))
    let losses = full.history.map(\.trainLoss)
    #expect(losses.last! < losses.first!, "train losses \(losses)")

    var first = recipe
    first.maxEpochs = 1
    _ = try Training.run(recipe: first, data: data, output: split)
    let resumed = try Training.run(recipe: recipe, data: data, output: split, resume: true)
    #expect(resumed.epochsRun == 1)
    #expect(resumed.history.map(\.trainLoss) == full.history.map(\.trainLoss))
    #expect(resumed.history.map(\.validationLoss) == full.history.map(\.validationLoss))
    for file in ["checkpoint/model.safetensors", "checkpoint/optimizer.safetensors", "best.safetensors"] {
      let a = try Data(contentsOf: straight.appendingPathComponent(file))
      let b = try Data(contentsOf: split.appendingPathComponent(file))
      #expect(a == b, "\(file) differs")
    }
  }

  @Test("FaSNet_TAC trains with MSE; its configuration names the TAC class")
  func fasnetTAC() throws {
    let (dir, data) = try waveforms(items: 3, segmenting: .fixedLength(1600))
    let report = try Training.run(recipe: fasnetRecipe(epochs: 2, tac: true), data: data, output: dir.path("run"))
    #expect(report.model == "FaSNet_TAC" && report.epochsRun == 2)
    let model = try Task1Prediction.Model.contentsOf(dir.path("run/best.config.json"))
    #expect(model.name == "FaSNet_TAC")
    try model.module.loadStateDict(contentsOf: dir.path("run/best.safetensors"))
  }

  @Test("data of the other task, channel counts and lengths the model cannot take are refused before training")
  func mismatches() throws {
    let (dir, data) = try waveforms(items: 2, segmenting: .fixedLength(2000))
    func message(_ recipe: TrainingRecipe, _ folder: URL? = nil) -> String? {
      do {
        _ = try Training.run(recipe: recipe, data: folder ?? data, output: dir.path("never"))
      } catch let error as TrainingError {
        return error.code == .invalidData ? error.message : "code \(error.code)"
      } catch { return "\(error)" }
      return nil
    }
    // 2000 samples give 126 frames with hop 16: not a multiple of 8.
    #expect(message(mimoRecipe(epochs: 1))?.contains("frames") == true)
    var eight = mimoRecipe(epochs: 1)
    eight.mimoUNet.inputChannel = 8
    #expect(message(eight)?.contains("input_channel") == true)
    #expect(message(TrainingRecipe.seldnetTiny)?.contains("Task 1 waveforms") == true)
    var wrongLoss = fasnetRecipe(epochs: 1)
    wrongLoss.loss = "sisdr"
    #expect(message(wrongLoss) == "code invalidRecipe")
    #expect(!FileManager.default.fileExists(atPath: dir.path("never").path))
  }
}
