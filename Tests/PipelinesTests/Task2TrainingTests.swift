import Datasets
import Foundation
import Models
import NN
import Pipelines
import Synthesis
import Testing
import _TestSupport

@Suite("Task 2 training")
struct Task2TrainingTests {
  /// Preprocessed features of a synthetic Task 2 dev split: `items` scenes of 2 s (64-band
  /// log-mel, 160 frames; 20 label frames), mic A only.
  private func features(items: Int = 6, microphones: Int = 1) throws -> (TemporaryDirectory, URL) {
    let dir = try TemporaryDirectory()
    var synthetic = SyntheticDataset.Configuration()
    synthetic.task1Splits = []
    synthetic.task2Splits = [.dev]
    synthetic.task2ItemsPerSplit = items
    synthetic.task2SceneSeconds = 2
    synthetic.seed = 41
    try SyntheticDataset.generate(synthetic, at: dir.path("data"))
    var configuration = PreprocessConfiguration.baseline(
      task: .soundEventLocalizationDetection, edition: .l3das22, microphones: microphones)
    configuration.sceneSeconds = 2
    configuration.task2Features = .logmel
    configuration.itemsPerShard = 4
    let out = dir.path("features")
    _ = try Preprocessing.run(
      split: try SplitLocation(folder: dir.path("data/L3DAS22_Task2_dev")), output: out,
      configuration: configuration)
    return (dir, out)
  }

  private func recipe(epochs: Int) -> TrainingRecipe {
    var recipe = TrainingRecipe.seldnetTiny
    recipe.maxEpochs = epochs
    recipe.patience = 100
    recipe.batchSize = 1
    return recipe
  }

  @Test("the tiny recipe's training loss falls; metrics, loss curve and best weights are written")
  func lossFalls() throws {
    let (dir, data) = try features()
    let run = dir.path("run")
    let report = try Training.run(recipe: recipe(epochs: 6), data: data, output: run)
    #expect(report.trainItems == 4 && report.validationItems == 2)
    #expect(report.epochsRun == 6 && report.stopReason == "max_epochs")
    let losses = report.history.map(\.trainLoss)
    let validation = report.history.map(\.validationLoss)
    #expect(validation.last! < 0.9 * validation.first!, "validation losses \(validation)")
    #expect(losses.last! < 0.9 * losses.first!, "train losses \(losses), validation \(report.history.map(\.validationLoss))")

    let csv = try String(contentsOf: run.appendingPathComponent("metrics.csv"), encoding: .utf8)
    #expect(csv.split(separator: "\n").count == 7)
    #expect(csv.hasPrefix("epoch,train_loss,validation_loss,seconds\n"))
    let svg = try String(contentsOf: run.appendingPathComponent("loss.svg"), encoding: .utf8)
    #expect(svg.hasPrefix("<svg") && svg.contains("<polyline") && svg.hasSuffix("</svg>\n"))
    // The best weights load into the configuration written beside them.
    let configuration = try Task2Prediction.configuration(
      contentsOf: run.appendingPathComponent("best.config.json"))
    #expect(configuration == TrainingRecipe.seldnetTiny.seldnet)
    try SELDnet(configuration).loadStateDict(contentsOf: run.appendingPathComponent("best.safetensors"))
    let best = try #require(report.bestEpoch)
    #expect(report.bestValidationLoss == report.history[best - 1].validationLoss)
    #expect(report.history.allSatisfy { $0.validationLoss >= report.bestValidationLoss! })
  }

  @Test("a run stopped after 2 epochs and resumed to 4 ends bit-identical to an uninterrupted 4-epoch run")
  func resumeIsExact() throws {
    let (dir, data) = try features(items: 5)
    let straight = dir.path("straight")
    let split = dir.path("split")
    let full = try Training.run(recipe: recipe(epochs: 4), data: data, output: straight)
    let first = try Training.run(recipe: recipe(epochs: 2), data: data, output: split)
    #expect(first.epochsRun == 2)
    let resumed = try Training.run(recipe: recipe(epochs: 4), data: data, output: split, resume: true)
    #expect(resumed.epochsRun == 2)
    #expect(resumed.history.map(\.trainLoss) == full.history.map(\.trainLoss))
    #expect(resumed.history.map(\.validationLoss) == full.history.map(\.validationLoss))
    for file in ["checkpoint/model.safetensors", "checkpoint/optimizer.safetensors", "best.safetensors"] {
      let a = try Data(contentsOf: straight.appendingPathComponent(file))
      let b = try Data(contentsOf: split.appendingPathComponent(file))
      #expect(a == b, "\(file) differs")
    }
    // A finished run resumed again does nothing.
    let again = try Training.run(recipe: recipe(epochs: 4), data: data, output: split, resume: true)
    #expect(again.epochsRun == 0 && again.stopReason.hasPrefix("already finished"))
  }

  @Test("--init starts from given weights (kept in the checkpoint); a resume with other weights is refused")
  func initialWeights() throws {
    let (dir, data) = try features(items: 4)
    var frozen = recipe(epochs: 1)
    frozen.learningRate = 1e-15  // Adam moves each weight by about 1e-15: the run keeps the start
    let start = try SELDnet(frozen.seldnet, seed: 77)
    let initURL = dir.path("start.safetensors")
    try start.saveStateDict(to: initURL)
    let run = dir.path("run")
    _ = try Training.run(recipe: frozen, data: data, output: run, initialWeights: initURL)
    let trained = try SELDnet(frozen.seldnet, seed: 1)
    try trained.loadStateDict(contentsOf: run.appendingPathComponent("best.safetensors"))
    var worst: Float = 0
    for (a, b) in zip(start.parameters(), trained.parameters()) {
      for (x, y) in zip(a.scalars, b.scalars) { worst = max(worst, abs(x - y)) }
    }
    #expect(worst < 1e-9, "the run started from --init (max |Δ| \(worst))")
    let state = try String(contentsOf: run.appendingPathComponent("checkpoint/state.json"), encoding: .utf8)
    #expect(state.contains("start.safetensors sha256:"))
    // Without --init the same recipe starts elsewhere.
    _ = try Training.run(recipe: frozen, data: data, output: dir.path("plain"))
    let plain = try SELDnet(frozen.seldnet, seed: 1)
    try plain.loadStateDict(contentsOf: dir.path("plain/best.safetensors"))
    #expect(plain.parameters()[0].scalars != trained.parameters()[0].scalars)
    // Resuming with other weights is refused; weights of another model are an error naming --init.
    let other = dir.path("other.safetensors")
    try SELDnet(frozen.seldnet, seed: 78).saveStateDict(to: other)
    var longer = frozen
    longer.maxEpochs = 2
    #expect(throws: TrainingError.self) {
      _ = try Training.run(recipe: longer, data: data, output: run, resume: true, initialWeights: other)
    }
    var eight = frozen.seldnet
    eight.inputChannels = 8
    let wrong = dir.path("wrong.safetensors")
    try SELDnet(eight, seed: 1).saveStateDict(to: wrong)
    let error = #expect(throws: TrainingError.self) {
      _ = try Training.run(recipe: frozen, data: data, output: dir.path("r5"), initialWeights: wrong)
    }
    #expect(error.map { "\($0)" }?.contains("--init") == true)
  }

  @Test("wrong recipes, data and run folders are refused with the reason")
  func errors() throws {
    let (dir, data) = try features(items: 3)
    let run = dir.path("run")
    func code(_ body: () throws -> Void) -> TrainingError.Code? {
      do { try body() } catch let error as TrainingError { return error.code } catch { return nil }
      return nil
    }
    #expect(code { _ = try Training.run(recipe: recipe(epochs: 1), data: data, output: run, resume: true) } == .checkpoint)
    _ = try Training.run(recipe: recipe(epochs: 1), data: data, output: run)
    #expect(code { _ = try Training.run(recipe: recipe(epochs: 1), data: data, output: run) } == .checkpoint)
    var otherRate = recipe(epochs: 2)
    otherRate.learningRate = 0.5
    #expect(code { _ = try Training.run(recipe: otherRate, data: data, output: run, resume: true) } == .checkpoint)

    var eightChannels = recipe(epochs: 1)
    eightChannels.seldnet.inputChannels = 8
    #expect(code { _ = try Training.run(recipe: eightChannels, data: data, output: dir.path("r2")) } == .invalidData)
    var bad = recipe(epochs: 0)
    bad.batchSize = 0
    bad.trainFraction = 1
    do {
      _ = try Training.run(recipe: bad, data: data, output: dir.path("r3"))
      Issue.record("a bad recipe ran")
    } catch let error as TrainingError {
      #expect(error.code == .invalidRecipe)
      for key in ["batch_size", "max_epochs", "train_fraction"] { #expect(error.message.contains(key)) }
    }
    #expect(code { _ = try Training.run(recipe: recipe(epochs: 1), data: dir.path("nothing"), output: dir.path("r4")) } == .invalidData)
    #expect(!FileManager.default.fileExists(atPath: dir.path("r2").path))
  }

  @Test("the recipes in baselines/ decode to the built-in presets; the official ones have PyTorch's parameter counts")
  func shippedRecipes() throws {
    let baselines = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("baselines")
    func recipe(_ name: String) throws -> TrainingRecipe {
      try JSONDecoder().decode(
        TrainingRecipe.self,
        from: Data(contentsOf: baselines.appendingPathComponent(name).appendingPathComponent("config.json")))
    }
    let official = try recipe("seldnet-l3das22")
    #expect(official == .seldnetL3DAS22)
    #expect(official.problems.isEmpty)
    #expect(try SELDnet(official.seldnet).parameterCount == 11_309_288)
    let tiny = try recipe("seldnet-tiny")
    #expect(tiny == .seldnetTiny)
    #expect(try SELDnet(tiny.seldnet).parameterCount == 21_144)
    let l3das21 = try recipe("seldnet-l3das21")
    #expect(l3das21 == .seldnetL3DAS21 && l3das21.problems.isEmpty)
    #expect(try SELDnet(l3das21.seldnet).parameterCount == 11_309_288)

    let mmub = try recipe("mmub-l3das22")
    #expect(mmub == .mimoUNetL3DAS22 && mmub.problems.isEmpty && mmub.loss == "l1")
    #expect(try MIMOUNet(mmub.mimoUNet).parameterCount == 5_515_012)
    let fasnet = try recipe("fasnet-l3das21")
    #expect(fasnet == .fasnetL3DAS21 && fasnet.problems.isEmpty && fasnet.loss == "mse")
    #expect(try FaSNet(fasnet.fasnet).parameterCount == 5_430_406)
    let mmubTiny = try recipe("mmub-tiny")
    #expect(mmubTiny == .mimoUNetTiny && mmubTiny.problems.isEmpty)
    // Every recipe folder has a README, and every recipe is checked here.
    let folders = try FileManager.default.contentsOfDirectory(atPath: baselines.path).filter {
      FileManager.default.fileExists(atPath: baselines.appendingPathComponent($0).appendingPathComponent("config.json").path)
    }
    #expect(Set(folders) == ["seldnet-l3das22", "seldnet-l3das21", "seldnet-tiny", "mmub-l3das22", "mmub-tiny", "fasnet-l3das21"])
    for folder in folders {
      #expect(FileManager.default.fileExists(atPath: baselines.appendingPathComponent(folder).appendingPathComponent("README.md").path))
      // A recipe written back decodes to itself.
      let decoded = try recipe(folder)
      #expect(try JSONDecoder().decode(TrainingRecipe.self, from: JSONEncoder().encode(decoded)) == decoded)
    }
  }
}
