import Datasets
import Foundation
import Metrics
import Models
import NN
import NumPyIO
import Pipelines
import Submission
import Synthesis
import Testing
import TensorModule
import _TestSupport

/// End to end on the synthetic dataset: the tiny recipe trains, predicts on held-out scenes,
/// and must do better than chance.
@Suite("Tiny baselines learn")
struct TinyBaselineLearningTests {
  static let sceneSeconds = 6.0
  static let frames = 60

  @Test("the tiny SELDnet trained on synthetic scenes beats an empty and a random submission on held-out scenes")
  func seldnetBeatsChance() throws {
    let dir = try TemporaryDirectory()
    // 96 training scenes (67 train, 29 validate), 24 held-out test scenes of another seed.
    var synthetic = SyntheticDataset.Configuration()
    synthetic.task1Splits = []
    synthetic.task2Splits = [.train]
    synthetic.task2ItemsPerSplit = 96
    synthetic.task2SceneSeconds = Self.sceneSeconds
    synthetic.seed = 9
    try SyntheticDataset.generate(synthetic, at: dir.path("data"))
    synthetic.task2Splits = [.test]
    synthetic.task2ItemsPerSplit = 24
    synthetic.seed = 5
    try SyntheticDataset.generate(synthetic, at: dir.path("data"))
    var preprocessing = PreprocessConfiguration.baseline(
      task: .soundEventLocalizationDetection, edition: .l3das22)
    preprocessing.sceneSeconds = Self.sceneSeconds
    preprocessing.task2Features = .logmel
    _ = try Preprocessing.run(
      split: try SplitLocation(folder: dir.path("data/L3DAS22_Task2_train")),
      output: dir.path("features"), configuration: preprocessing)

    let recipe = TrainingRecipe.seldnetTiny
    let report = try Training.run(recipe: recipe, data: dir.path("features"), output: dir.path("run"))
    let losses = report.history.map(\.trainLoss)
    #expect(losses.last! < 0.5 * losses.first!, "train losses \(losses)")

    let model = try SELDnet(recipe.seldnet)
    try model.loadStateDict(contentsOf: dir.path("run/best.safetensors"))
    let test = dir.path("data/L3DAS22_Task2_test")
    // The tiny model's confidence scale depends on its training trajectory, which moves with
    // rounding (one thread or two for a product): in one run its SED outputs peaked just above
    // 0.3, in another just below (0 rows at 0.3; 341 rows and F 0.109 at 0.2). So the operating
    // threshold is the first of 0.3, 0.2, 0.1 at which it detects anything; the random rows
    // below are as many as it wrote, so beating them still takes knowing when and where.
    var (threshold, rows): (Float, Int) = (0, 0)
    for candidate: Float in [0.3, 0.2, 0.1] {
      try? FileManager.default.removeItem(at: dir.path("predicted"))
      let prediction = try Task2Prediction.run(
        model: model, split: try SplitLocation(folder: test), splitFolder: test,
        output: dir.path("predicted"), sceneSeconds: Self.sceneSeconds, features: .logmel,
        sedThreshold: candidate)
      (threshold, rows) = (candidate, prediction.rowCount)
      if rows > 0 { break }
    }
    #expect(rows > 0, "no detections even at threshold \(threshold)")

    // Chance: in every scene as many rows as the model wrote, at uniformly random frames,
    // classes and positions in the label box.
    var generator = SplitMix64(seed: 77)
    let writer = try SubmissionWriter(
      destination: dir.path("random"), task: .soundEventLocalizationDetection, frameCount: Self.frames)
    let box = RoomGeometry().labelBox
    for name in try FileManager.default.contentsOfDirectory(atPath: dir.path("predicted").path)
    where name.hasSuffix(".csv") {
      let count = try Task2Rows.read(dir.path("predicted/\(name)"), frameCount: Self.frames).count
      let rows = (0..<count).map { _ in
        DetectionRow(
          frame: Int.random(in: 0..<Self.frames, using: &generator),
          soundClass: SoundClass.allCases.randomElement(using: &generator)!,
          position: SIMD3(
            Double.random(in: -box.x...box.x, using: &generator),
            Double.random(in: -box.y...box.y, using: &generator),
            Double.random(in: -box.z...box.z, using: &generator)))
      }
      try writer.addTask2(id: String(name.dropLast(4)), rows: rows)
    }
    _ = try writer.commit()

    var options = Task2Scoring.Options()
    options.frameCount = Self.frames
    let trained = try Task2Scoring.score(submission: dir.path("predicted"), truth: test, options: options).total
    let random = try Task2Scoring.score(submission: dir.path("random"), truth: test, options: options).total
    // An all-empty submission has no true positives: F = 0.
    #expect(trained.fScore > 0.05, "threshold \(threshold): trained \(trained), random \(random)")
    #expect(trained.fScore > 2 * random.fScore, "trained \(trained), random \(random)")
    #expect(trained.precision > 2 * random.precision, "trained \(trained), random \(random)")
  }

  @Test("the tiny MIMO-UNet trained on synthetic recordings improves STOI over mic A's W channel")
  func mimoUNetBeatsUnprocessed() throws {
    let dir = try TemporaryDirectory()
    // The demo's Task 1 set-up: 32 training recordings (1 s pieces, split by recording into
    // training and validation), `mmub-tiny`, 8 held-out recordings of another seed; but 12
    // epochs instead of the demo's 8. After 8 epochs the last weights' STOI depended on rounding:
    // 0.850–0.872 over four BLAS kernel and convolution paths (OpenBLAS Prescott, Haswell,
    // SkylakeX; thin-reduction kernel on and off), around the bar of 0.860. After 12 it was
    // 0.868–0.879 on the same four paths (2026-12-07).
    var synthetic = SyntheticDataset.Configuration()
    synthetic.task2Splits = []
    synthetic.task1Splits = [.train100]
    synthetic.task1ItemsPerSplit = 32
    synthetic.seed = 2026
    try SyntheticDataset.generate(synthetic, at: dir.path("data"))
    synthetic.task1Splits = [.test]
    synthetic.task1ItemsPerSplit = 8
    synthetic.seed = 2027
    try SyntheticDataset.generate(synthetic, at: dir.path("data"))
    var preprocessing = PreprocessConfiguration.baseline(task: .speechEnhancement, edition: .l3das22)
    preprocessing.task1Segmenting.mode = .chunks
    preprocessing.task1Segmenting.length = 16_256
    _ = try Preprocessing.run(
      split: try SplitLocation(folder: dir.path("data/L3DAS22_Task1_train100")),
      output: dir.path("features"), configuration: preprocessing)

    var recipe = TrainingRecipe.mimoUNetTiny
    recipe.maxEpochs = 12
    recipe.patience = 12
    recipe.seed = 2026
    let report = try Training.run(recipe: recipe, data: dir.path("features"), output: dir.path("run"))
    let losses = report.history.map(\.trainLoss)
    #expect(losses.last! < losses.first!, "train losses \(losses)")

    // The last epoch's weights, as the demo uses: BatchNorm's running statistics are still
    // settling after so few steps, and the validation-best epoch is often an early one.
    let model = try Task1Prediction.Model.contentsOf(dir.path("run/best.config.json"))
    try model.module.loadStateDict(
      contentsOf: dir.path("run/\(Training.checkpointName)/model.safetensors"))
    let test = dir.path("data/L3DAS22_Task1_test")
    let prediction = try Task1Prediction.run(
      model: model, split: try SplitLocation(folder: test), splitFolder: test,
      output: dir.path("predicted"))
    #expect(prediction.validation.isValid)

    let stoi = try STOIComputer()
    var enhanced: [Double] = []
    var unprocessed: [Double] = []
    for item in try SplitLocation(folder: test).task1Items().sortedItems() {
      let clean = Array(try item.loadClean().channel(0))
      let w = Array(try item.loadRecording().audio.channel(0))
      let (_, estimate) = try NumPyFile.readFloats(dir.path("predicted/\(item.id).npy"))
      enhanced.append(try stoi.stoi(clean: clean, estimate: estimate, sampleRate: 16_000))
      unprocessed.append(try stoi.stoi(clean: clean, estimate: w, sampleRate: 16_000))
    }
    let meanEnhanced = enhanced.reduce(0, +) / Double(enhanced.count)
    let meanUnprocessed = unprocessed.reduce(0, +) / Double(unprocessed.count)
    // Measured (2026-12-07, 12 epochs): 0.868–0.879 against 0.855, better on 6–7 of the 8
    // recordings; the margin asked for is under half of the smallest gain.
    #expect(enhanced.count == 8)
    #expect(
      meanEnhanced > meanUnprocessed + 0.005,
      "STOI enhanced \(enhanced) (mean \(meanEnhanced)), mic A W \(unprocessed) (mean \(meanUnprocessed))")
  }
}
