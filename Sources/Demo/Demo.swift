import AudioIO
import Datasets
public import Foundation
public import L3DASCore
public import Metrics
import Models
public import Pipelines
import Reports
import Submission
import Synthesis
import TensorModule

/// `l3das demo`: the whole toolkit end to end on a synthetic dataset, offline, in minutes.
///
/// Task 2: synthesises training and held-out test scenes, preprocesses the training split
/// (64-band log-mel), trains the tiny SELDnet, predicts the test split, and ranks it on a
/// leaderboard against a random and an empty submission. Task 1: synthesises training and
/// test items, cuts the training mixtures into 1 s pieces, trains the tiny MIMO-UNet,
/// enhances the test split, and ranks it against the unprocessed mic-A W channel and the
/// clean speech itself (the ceiling). Every submission is validated on the way; each
/// leaderboard is written as Markdown, CSV, JSON and an HTML page with plots.
///
/// The output folder holds `data/`, `features/`, `runs/`, `submissions/`, `reports/` and
/// `demo.json`. It is created fresh, and replaced only if an earlier demo made it.
public enum Demo {
  /// Sizes of the demo; the defaults finish in a few minutes on two cores.
  public struct Configuration: Sendable, Codable, Equatable {
    /// The tasks to run, 1 and/or 2.
    public var tasks: [Int] = [2, 1]
    /// Seed of the synthetic data and of training.
    public var seed: UInt64 = 2026
    /// Task 2 training scenes.
    public var task2TrainScenes = 96
    /// Task 2 held-out test scenes.
    public var task2TestScenes = 8
    /// Task 2 scene length in seconds.
    public var sceneSeconds = 6.0
    /// Task 2 training epochs.
    public var task2Epochs = 30
    /// Task 1 training recordings.
    public var task1TrainItems = 32
    /// Task 1 test recordings.
    public var task1TestItems = 6
    /// Task 1 training epochs.
    public var task1Epochs = 8

    /// The default demo.
    public init() {}

    /// Every reason the sizes cannot run (empty when they can).
    public var problems: [String] {
      var problems: [String] = []
      if tasks.isEmpty || !tasks.allSatisfy({ $0 == 1 || $0 == 2 }) { problems.append("tasks must be 1 and/or 2") }
      if task2TrainScenes < 4 { problems.append("at least 4 Task 2 training scenes (some validate)") }
      if task1TrainItems < 4 { problems.append("at least 4 Task 1 training items (some validate)") }
      if task2TestScenes < 1 || task1TestItems < 1 { problems.append("at least 1 test item per task") }
      if task2Epochs < 1 || task1Epochs < 1 { problems.append("at least 1 epoch per task") }
      if max(task2TrainScenes, task1TrainItems, task2TestScenes, task1TestItems) > 10_000 {
        problems.append("at most 10000 items or scenes per split")
      }
      if max(task2Epochs, task1Epochs) > 10_000 { problems.append("at most 10000 epochs") }
      if !(1...60).contains(sceneSeconds) { problems.append("scene length between 1 and 60 s") }
      return problems
    }
  }

  /// Hears about the demo's stages.
  public protocol Observer: Sendable {
    /// A stage starts; its item progress goes to the returned reporter.
    func begin(stage: String, of total: Int, title: String) -> any ProgressReporter
    /// The stage ended after `seconds`; `summary` says what it did.
    func end(stage: String, seconds: Double, summary: String)
  }

  /// One finished stage.
  public struct StageRecord: Sendable, Codable, Equatable {
    /// What it did.
    public var title: String
    /// Wall time in seconds.
    public var seconds: Double
    /// The result in one line.
    public var summary: String
  }

  /// What the demo did and where its results are.
  public struct Report: Sendable, Codable {
    /// The output folder.
    public var output: String
    /// The sizes used.
    public var configuration: Configuration
    /// Every stage, in order.
    public var stages: [StageRecord]
    /// The Task 2 board, if run.
    public var task2: Leaderboard.Result?
    /// The Task 1 board, if run.
    public var task1: Leaderboard.Result?
    /// The HTML reports written.
    public var reports: [String]
    /// Total wall time in seconds.
    public var seconds: Double
  }

  /// The marker file that lets a later demo replace the folder.
  public static let markerName = "demo.json"

  /// Runs the demo into `output`.
  ///
  /// - Parameter transcriber: recognises Task 1 speech for WER (PocketSphinx in the CLI).
  /// - Throws: `DemoError` when `output` exists and was not made by a demo, or the sizes are
  ///   unusable; otherwise the error of the failing stage.
  public static func run(
    configuration: Configuration, output: URL, transcriber: (any Transcriber)?, observer: any Observer
  ) throws -> Report {
    if !configuration.problems.isEmpty {
      throw DemoError("unusable demo sizes: \(configuration.problems.joined(separator: "; "))")
    }
    if configuration.tasks.contains(1), transcriber == nil {
      throw DemoError("the Task 1 demo needs a transcriber")
    }
    try prepare(output)
    var run = Run(configuration: configuration, output: output, observer: observer)
    let start = Date()
    var report = Report(
      output: output.path, configuration: configuration, stages: [], task2: nil, task1: nil, reports: [],
      seconds: 0)
    if configuration.tasks.contains(2) {
      report.task2 = try run.task2()
      report.reports.append(output.appendingPathComponent("reports/task2/index.html").path)
    }
    if configuration.tasks.contains(1), let transcriber {
      report.task1 = try run.task1(transcriber: transcriber)
      report.reports.append(output.appendingPathComponent("reports/task1/index.html").path)
    }
    report.stages = run.stages
    report.seconds = Date().timeIntervalSince(start)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    try AtomicFile.write(try encoder.encode(report), to: output.appendingPathComponent(markerName))
    return report
  }

  /// Creates `output`, or empties it if an earlier demo made it; refuses anything else, and
  /// never empties a folder that holds the current folder (`OutputFolder`).
  static func prepare(_ output: URL) throws {
    let manager = FileManager.default
    let contents = (try? manager.contentsOfDirectory(atPath: output.path)) ?? []
    do {
      // Demos from before the common marker are recognised by their demo.json.
      try OutputFolder.checkReplaceable(
        output, command: "demo", replace: true, acceptUnmarked: contents.contains(markerName),
        option: "--output")
    } catch let error as OutputFolderError {
      throw DemoError(error.description + " (the demo replaces only its own folders)")
    }
    for name in contents { try manager.removeItem(at: output.appendingPathComponent(name)) }
    try manager.createDirectory(at: output, withIntermediateDirectories: true)
    // Mark the folder at once, so an interrupted demo can be rerun into it.
    try OutputFolder.mark(output, command: "demo")
    try AtomicFile.write("{}\n", to: output.appendingPathComponent(markerName))
  }
}

/// A demo that cannot start.
public struct DemoError: Error, CustomStringConvertible, Sendable {
  /// What is wrong.
  public var message: String
  init(_ message: String) { self.message = message }
  /// The message.
  public var description: String { message }
}

/// The demo's stages, in order.
struct Run {
  let configuration: Demo.Configuration
  let output: URL
  let observer: any Demo.Observer
  var stages: [Demo.StageRecord] = []
  private var stageNumber = 0

  init(configuration: Demo.Configuration, output: URL, observer: any Demo.Observer) {
    self.configuration = configuration
    self.output = output
    self.observer = observer
  }

  private var stageCount: Int {
    (configuration.tasks.contains(2) ? 5 : 0) + (configuration.tasks.contains(1) ? 5 : 0)
  }

  private func path(_ relative: String) -> URL { output.appendingPathComponent(relative) }

  /// Runs one stage, timing it and telling the observer.
  private mutating func stage<T>(
    _ title: String, _ body: (any ProgressReporter) throws -> (T, String)
  ) throws -> T {
    stageNumber += 1
    let reporter = observer.begin(stage: "\(stageNumber)", of: stageCount, title: title)
    let start = Date()
    let (value, summary) = try body(reporter)
    let seconds = Date().timeIntervalSince(start)
    observer.end(stage: "\(stageNumber)", seconds: seconds, summary: summary)
    stages.append(Demo.StageRecord(title: title, seconds: seconds, summary: summary))
    return value
  }

  // MARK: - Task 2

  mutating func task2() throws -> Leaderboard.Result {
    let c = configuration
    let frames = Int((c.sceneSeconds * 10).rounded())
    let data = path("data")
    try stage("Task 2: synthesise \(c.task2TrainScenes) training and \(c.task2TestScenes) test scenes of \(c.sceneSeconds) s") { progress in
      var synthetic = SyntheticDataset.Configuration()
      synthetic.task1Splits = []
      synthetic.task2Splits = [.train]
      synthetic.task2ItemsPerSplit = c.task2TrainScenes
      synthetic.task2SceneSeconds = c.sceneSeconds
      synthetic.seed = c.seed
      let total = c.task2TrainScenes + c.task2TestScenes
      _ = try SyntheticDataset.generate(synthetic, at: data, progress: Offset(progress, by: 0, total: total))
      synthetic.task2Splits = [.test]
      synthetic.task2ItemsPerSplit = c.task2TestScenes
      synthetic.seed = c.seed &+ 1
      _ = try SyntheticDataset.generate(synthetic, at: data, progress: Offset(progress, by: c.task2TrainScenes, total: total))
      return ((), "\(total) scenes in \(data.path)")
    }
    let features = path("features/task2-train")
    try stage("Task 2: preprocess the training scenes (64-band log-mel, label matrices)") { progress in
      var preprocessing = PreprocessConfiguration.baseline(task: .soundEventLocalizationDetection, edition: .l3das22)
      preprocessing.sceneSeconds = c.sceneSeconds
      preprocessing.task2Features = .logmel
      let report = try Preprocessing.run(
        split: try SplitLocation(folder: data.appendingPathComponent("L3DAS22_Task2_train")), output: features,
        configuration: preprocessing, progress: progress)
      return ((), "\(report.itemCount) scenes → \(features.path)")
    }
    var recipe = TrainingRecipe.seldnetTiny
    recipe.maxEpochs = c.task2Epochs
    recipe.patience = c.task2Epochs
    recipe.seed = c.seed
    let runFolder = path("runs/seldnet-tiny")
    let training = try stage("Task 2: train the tiny SELDnet (\(c.task2Epochs) epochs)") { progress in
      let report = try Training.run(recipe: recipe, data: features, output: runFolder, progress: progress)
      let losses = report.history.map(\.trainLoss)
      return (report, String(format: "%d parameters, train loss %.4f → %.4f", report.parameterCount, losses.first ?? 0, losses.last ?? 0))
    }
    let test = data.appendingPathComponent("L3DAS22_Task2_test")
    let submissions = path("submissions/task2")
    try stage("Task 2: predict the test scenes and write the baselines' submissions") { progress in
      let model = try SELDnet(recipe.seldnet)
      try model.loadStateDict(contentsOf: URL(fileURLWithPath: training.bestWeights))
      let prediction = try Task2Prediction.run(
        model: model, split: try SplitLocation(folder: test), splitFolder: test,
        output: submissions.appendingPathComponent("seldnet-tiny"), sceneSeconds: c.sceneSeconds, features: .logmel,
        sedThreshold: 0.3, progress: progress)
      // Chance level: one random detection per frame; and nothing detected at all.
      var generator = SplitMix64(seed: c.seed &+ 7)
      let box = RoomGeometry().labelBox
      let random = try SubmissionWriter(
        destination: submissions.appendingPathComponent("random"), task: .soundEventLocalizationDetection, frameCount: frames)
      let empty = try SubmissionWriter(
        destination: submissions.appendingPathComponent("empty"), task: .soundEventLocalizationDetection, frameCount: frames)
      for item in try SplitLocation(folder: test).task2Items().sortedItems() {
        let rows = (0..<frames).map { frame in
          DetectionRow(
            frame: frame, soundClass: SoundClass.allCases.randomElement(using: &generator)!,
            position: SIMD3(
              Double.random(in: -box.x...box.x, using: &generator),
              Double.random(in: -box.y...box.y, using: &generator),
              Double.random(in: -box.z...box.z, using: &generator)))
        }
        try random.addTask2(id: item.id.description, rows: rows)
        try empty.addTask2(id: item.id.description, rows: [])
      }
      _ = try random.commit()
      _ = try empty.commit()
      return ((), "\(prediction.rowCount) detections in \(prediction.itemCount) scenes (validated: \(prediction.validation.isValid ? "valid" : "INVALID"))")
    }
    let reports = path("reports/task2")
    return try stage("Task 2: validate, score and rank the submissions") { progress in
      let result = try Leaderboard.run(
        submissions: ["seldnet-tiny", "random", "empty"].map {
          Leaderboard.Submission(name: $0, url: submissions.appendingPathComponent($0))
        },
        truth: test,
        options: .init(task: .soundEventLocalizationDetection, task2: .init(frameCount: frames)),
        progress: progress)
      try LeaderboardReport.write(result, to: reports)
      return (result, Self.podium(result))
    }
  }

  // MARK: - Task 1

  mutating func task1(transcriber: any Transcriber) throws -> Leaderboard.Result {
    let c = configuration
    let data = path("data")
    try stage("Task 1: synthesise \(c.task1TrainItems) training and \(c.task1TestItems) test recordings") { progress in
      var synthetic = SyntheticDataset.Configuration()
      synthetic.task2Splits = []
      synthetic.task1Splits = [.train100]
      synthetic.task1ItemsPerSplit = c.task1TrainItems
      synthetic.seed = c.seed
      let total = c.task1TrainItems + c.task1TestItems
      _ = try SyntheticDataset.generate(synthetic, at: data, progress: Offset(progress, by: 0, total: total))
      synthetic.task1Splits = [.test]
      synthetic.task1ItemsPerSplit = c.task1TestItems
      synthetic.seed = c.seed &+ 1
      _ = try SyntheticDataset.generate(synthetic, at: data, progress: Offset(progress, by: c.task1TrainItems, total: total))
      return ((), "\(total) recordings in \(data.path)")
    }
    var recipe = TrainingRecipe.mimoUNetTiny
    recipe.maxEpochs = c.task1Epochs
    recipe.patience = c.task1Epochs
    recipe.seed = c.seed
    let features = path("features/task1-train")
    try stage("Task 1: preprocess the training recordings (1 s pieces)") { progress in
      var preprocessing = PreprocessConfiguration.baseline(task: .speechEnhancement, edition: .l3das22)
      preprocessing.task1Segmenting.mode = .chunks
      preprocessing.task1Segmenting.length = 16_256
      let report = try Preprocessing.run(
        split: try SplitLocation(folder: data.appendingPathComponent("L3DAS22_Task1_train100")), output: features,
        configuration: preprocessing, progress: progress)
      return ((), "\(report.itemCount) recordings, \(report.rowCount) pieces → \(features.path)")
    }
    let runFolder = path("runs/mmub-tiny")
    let training = try stage("Task 1: train the tiny MIMO-UNet (\(c.task1Epochs) epochs)") { progress in
      let report = try Training.run(recipe: recipe, data: features, output: runFolder, progress: progress)
      let losses = report.history.map(\.trainLoss)
      return (report, String(format: "%d parameters, train loss %.4f → %.4f", report.parameterCount, losses.first ?? 0, losses.last ?? 0))
    }
    let test = data.appendingPathComponent("L3DAS22_Task1_test")
    let submissions = path("submissions/task1")
    try stage("Task 1: enhance the test recordings and write the baselines' submissions") { progress in
      // The last checkpoint: with so few steps BatchNorm's running statistics are still
      // settling, and the last epoch predicts better than the validation-best one.
      let model = try Task1Prediction.Model.contentsOf(runFolder.appendingPathComponent("best.config.json"))
      try model.module.loadStateDict(
        contentsOf: runFolder.appendingPathComponent("\(Training.checkpointName)/model.safetensors"))
      let prediction = try Task1Prediction.run(
        model: model, split: try SplitLocation(folder: test), splitFolder: test,
        output: submissions.appendingPathComponent("mmub-tiny"), progress: progress)
      let unprocessed = try SubmissionWriter(
        destination: submissions.appendingPathComponent("mic-a-w"), task: .speechEnhancement)
      let clean = try SubmissionWriter(
        destination: submissions.appendingPathComponent("clean-speech"), task: .speechEnhancement)
      for item in try SplitLocation(folder: test).task1Items().sortedItems() {
        try unprocessed.addTask1(id: item.id.description, estimate: Array(try item.loadRecording().audio.channel(0)))
        try clean.addTask1(id: item.id.description, estimate: Array(try item.loadClean().channel(0)))
      }
      _ = try unprocessed.commit()
      _ = try clean.commit()
      _ = training
      return ((), "\(prediction.itemCount) recordings enhanced (validated: \(prediction.validation.isValid ? "valid" : "INVALID"))")
    }
    let reports = path("reports/task1")
    return try stage("Task 1: validate, transcribe, score and rank the submissions") { progress in
      let result = try Leaderboard.run(
        submissions: ["mmub-tiny", "mic-a-w", "clean-speech"].map {
          Leaderboard.Submission(name: $0, url: submissions.appendingPathComponent($0))
        },
        truth: test, options: .init(task: .speechEnhancement, task1: .init(transcriber: transcriber)),
        progress: progress)
      try LeaderboardReport.write(result, to: reports)
      return (result, Self.podium(result))
    }
  }

  static func podium(_ result: Leaderboard.Result) -> String {
    result.entries.map { entry in
      "\(entry.rank.map { "#\($0)" } ?? "–") \(entry.name) \(entry.score.map { String(format: "%.4f", $0) } ?? "invalid")"
    }.joined(separator: ", ")
  }
}

/// Shifts a sub-task's progress into a stage's overall count.
struct Offset: ProgressReporter {
  let base: any ProgressReporter
  let offset: Int
  let total: Int

  init(_ base: any ProgressReporter, by offset: Int, total: Int) {
    self.base = base
    self.offset = offset
    self.total = total
  }

  func report(completed: Int, total _: Int, label: String) {
    base.report(completed: offset + completed, total: total, label: label)
  }
}
