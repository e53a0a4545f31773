public import ArgumentParser
import Datasets
import Foundation
import L3DASCore
import Models
import Pipelines
import Submission

/// `l3das predict`: run a trained baseline on a split and write a validated submission.
struct Predict: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run a trained baseline on a split and write a validated submission.",
    discussion: """
      Task 2: a SELDnet (weights as safetensors under PyTorch names, e.g. an official \
      checkpoint converted with Tools/convert/pth_to_safetensors.py) predicts every scene of \
      the split from the official spectrum features; outputs become CSV rows as the official \
      gen_submission_list_task2 does (SED threshold np.round, DOA × 2). The folder appears \
      only when every scene is written, and is then validated against the split; exit 1 if \
      the validator finds a problem.

      The model configuration is read from --config (a SELDnet JSON with PyTorch constructor \
      keys, or a fixture-style {"class", "constructor_args"} file), else from \
      <weights>.config.json beside the weights, else the edition's official \
      Seldnet_augmented defaults.

      Task 1: MIMO-UNet (L3DAS22 default) or FaSNet (L3DAS21 default) enhances each item with \
      the official sliding window (76672/38336 or 32000/16000 samples, last window \
      zero-padded, linear crossfade over the overlap), cropped to the item's length; L3DAS21 \
      estimates are then divided by their signed maximum × 0.9 as its evaluation does. The \
      Task 1 configuration file is {"class": "MIMO_UNet_Beamforming" | "FaSNet_origin" | \
      "FaSNet_TAC", "constructor_args": {…}}.
      """)

  @Option(help: "The task: 1 (speech enhancement) or 2 (SELD).")
  var task: Int

  @Option(help: "The model weights (.safetensors, PyTorch state_dict names).")
  var model: String

  @Option(help: "The model configuration JSON (default: see the description above).")
  var config: String?

  @Option(help: "The split folder to predict, e.g. L3DAS22_Task2_test.")
  var input: String

  @Option(name: [.short, .long], help: "The submission folder to create.")
  var output: String

  @Option(help: "Microphones: 1 (mic A, 4 channels) or 2 (A then B, 8 channels).")
  var mics = 1

  @Option(help: "Task 2 class field: id (0–13, as the official code writes) or name.")
  var classSpelling: SubmissionWriter.ClassSpelling = .id

  @Option(help: "Task 2: scene length in seconds (default: the edition's, 30 or 60), as given to preprocess.")
  var sceneSeconds: Double?

  @Option(help: "Task 2: the features the model was trained on: spectrum (official), logmel or logmel-intensity.")
  var features: PreprocessConfiguration.Task2Features = .spectrum

  @Option(help: "Task 2: mark a class slot active when its probability exceeds this (default: the official np.round, i.e. > 0.5).")
  var sedThreshold: Float?

  @Option(help: "Task 1: window length in samples (default: the model's official one).")
  var window: Int?

  @Option(help: "Task 1: hop between windows in samples (default: half the official window).")
  var hop: Int?

  @Option(help: "Task 1: none or official-signed-maximum (default: the edition's; L3DAS21 normalises).")
  var normalization: Task1Prediction.Normalization?

  @Flag(help: "Replace the output folder if it exists.")
  var overwrite = false

  @Flag(help: "L3DAS23 layout: write into OUTPUT/task<N>/<mics>mic/ (zip OUTPUT as {group}_audioonly.zip); the other subtrack can be predicted into the same OUTPUT.")
  var nested = false

  @OptionGroup var outputOptions: OutputFormatOptions

  func validate() throws {
    guard task == 1 || task == 2 else { throw ValidationError("--task must be 1 or 2") }
    guard mics == 1 || mics == 2 else { throw ValidationError("--mics must be 1 or 2") }
    try Limits.check(sceneSeconds, "--scene-seconds", in: 0.1...Limits.maxSceneSeconds, unit: "seconds")
    if let sedThreshold, !(sedThreshold > 0 && sedThreshold < 1) {
      throw ValidationError("--sed-threshold must be between 0 and 1 (exclusive)")
    }
    try Limits.check(window, "--window", in: 1...Limits.maxTask1Samples, unit: "samples")
    try Limits.check(hop, "--hop", in: 1...(window ?? Limits.maxTask1Samples), unit: "samples (at most the window)")
  }

  func run() throws {
    HeapTuning.retainLargeAllocations()
    if task == 1 {
      try runTask1()
      return
    }
    let folder = URL(fileURLWithPath: input, isDirectory: true)
    let split = try SplitLocation(folder: folder)
    let weights = URL(fileURLWithPath: model)
    let configuration = try modelConfiguration(weights: weights, edition: split.edition)
    let network = try SELDnet(configuration)
    try network.loadStateDict(contentsOf: weights)
    let bar = ProgressBar(
      title: "predict", enabled: !outputOptions.quiet && !outputOptions.json,
      everyItem: outputOptions.verbose)
    let report = try Task2Prediction.run(
      model: network, split: split, splitFolder: folder,
      output: destination, microphones: mics,
      classSpelling: classSpelling, sceneSeconds: sceneSeconds, features: features,
      sedThreshold: sedThreshold, replaceExisting: overwrite, inputs: modelInputs(weights),
      progress: bar)
    try finish(
      report, output: report.output, validation: report.validation,
      summary: "Predicted \(report.itemCount) scenes of \(report.split) with a \(report.parameterCount)-parameter SELDnet in \(String(format: "%.1f", report.seconds)) s: \(report.rowCount) rows, \(report.emptyItemCount) empty files"
    )
  }

  func runTask1() throws {
    let folder = URL(fileURLWithPath: input, isDirectory: true)
    let split = try SplitLocation(folder: folder)
    let weights = URL(fileURLWithPath: model)
    let network: Task1Prediction.Model
    if let url = configurationFile(weights: weights) {
      network = try Task1Prediction.Model.contentsOf(url)
    } else if split.edition == .l3das21 {
      network = try .fasnet(.l3das21, tac: false)
    } else {
      network = try .mimoUNet(mics == 2 ? .twoMics : .l3das22)
    }
    try network.module.loadStateDict(contentsOf: weights)
    let bar = ProgressBar(
      title: "predict", enabled: !outputOptions.quiet && !outputOptions.json,
      everyItem: outputOptions.verbose)
    let report = try Task1Prediction.run(
      model: network, split: split, splitFolder: folder,
      output: destination, microphones: mics, window: window,
      hop: hop, normalization: normalization, replaceExisting: overwrite,
      inputs: modelInputs(weights), progress: bar)
    try finish(
      report, output: report.output, validation: report.validation,
      summary: "Enhanced \(report.itemCount) items of \(report.split) with \(report.model) (\(report.parameterCount) parameters, \(report.windowCount) windows) in \(String(format: "%.1f", report.seconds)) s"
    )
  }

  /// Prints the report (`--json`) or its summary, the submission folder and the validation;
  /// exit 1 when the submission is not valid.
  /// The submission folder: `--output`, or its `task<N>/<mics>mic/` subtrack with `--nested`.
  var destination: URL {
    let root = URL(fileURLWithPath: output, isDirectory: true)
    guard nested else { return root }
    return root.appendingPathComponent("task\(task)/\(mics)mic", isDirectory: true)
  }

  func finish(_ report: some Encodable, output: String, validation: SubmissionReport, summary: String) throws {
    if outputOptions.json {
      try Output.printJSON(report)
    } else {
      print(summary)
      print("Submission: \(output)")
      print(validation.text)
    }
    if !validation.isValid { throw ExitCode(1) }
  }

  /// The weights and configuration files, which the output folder must not hold.
  func modelInputs(_ weights: URL) -> [URL] {
    [weights] + (configurationFile(weights: weights).map { [$0] } ?? [])
  }

  /// --config, else `<weights>.config.json` or `<prefix>.config.json` beside the weights.
  func configurationFile(weights: URL) -> URL? {
    if let config { return URL(fileURLWithPath: config) }
    var prefixed = weights.path
    if prefixed.hasSuffix(".weights.safetensors") { prefixed.removeLast(".weights.safetensors".count) }
    return [
      weights.deletingPathExtension().appendingPathExtension("config.json"),
      URL(fileURLWithPath: prefixed + ".config.json"),
    ].first { FileManager.default.fileExists(atPath: $0.path) }
  }

  /// --config, else `<weights>.config.json`, else the edition's official defaults.
  func modelConfiguration(weights: URL, edition: Edition) throws -> SELDnetConfiguration {
    if let url = configurationFile(weights: weights) {
      return try Task2Prediction.configuration(contentsOf: url)
    }
    return edition == .l3das21 ? .augmentedL3DAS21 : .augmentedL3DAS22
  }
}

extension SubmissionWriter.ClassSpelling: ExpressibleByArgument {}
extension Task1Prediction.Normalization: ExpressibleByArgument {}
