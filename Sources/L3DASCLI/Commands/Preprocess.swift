public import ArgumentParser
import Datasets
import Foundation
import L3DASCore
import Pipelines

/// `l3das preprocess`: turn a split into model-ready NumPy arrays.
struct Preprocess: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Turn a dataset split into model-ready .npy shards with a JSON manifest.",
    discussion: """
      Task 1: the mixtures (4 channels per mic) and the clean speech, cut as the official \
      baseline does: L3DAS22 truncates or pads every file to 76672 samples, L3DAS21 cuts \
      consecutive 2 s pieces. Task 2: the SELDnet spectrum (|scipy STFT|, Hamming 512, hop \
      400, DC bin and last frame removed) of each whole scene and its 168-value label matrix \
      per 100 ms frame. --features logmel or logmel-intensity writes the DCASE-style inputs \
      instead (64 mel bands, hop 400, 8 frames per label frame; intensity vectors need FOA).

      Items are processed in parallel, one shard at a time, and written atomically, so memory \
      stays bounded and an interrupted run resumes where it stopped when run again. Unusable \
      items are listed and skipped (or stop the run with --strict). Load the result with \
      numpy: json.load(open("manifest.json")) names each shard's .npy files.
      """)

  @Option(help: "The task: 1 (speech enhancement) or 2 (SELD); must match the split.")
  var task: Int

  @Option(help: "The split folder, e.g. L3DAS22_Task2_dev.")
  var input: String

  @Option(
    name: [.short, .long], help: "The folder for shards and manifest.json (created if missing).")
  var output: String

  @Option(help: "Microphones: 1 (mic A, 4 channels) or 2 (A then B, 8 channels).")
  var mics = 1

  @Option(help: "Items per shard (held in memory at once).")
  var itemsPerShard = 8

  @Option(help: "Task 2: scene length in seconds (default: the edition's, 30 or 60).")
  var sceneSeconds: Double?

  @Option(help: "The edition: 2021, 2022 or 2023 (default: from the folder name, Task 2 label header and audio; a contradiction is an error). 2023 labels are rho, theta, z / 360, as the official baseline.")
  var edition: Edition?

  @Flag(help: "Task 2: append phase channels to the spectrum.")
  var phase = false

  @Option(
    help: """
      Task 2 features: spectrum (the official SELDnet input), logmel (64-band log-mel per \
      channel) or logmel-intensity (log-mel plus FOA intensity vectors, the DCASE input).
      """)
  var features: PreprocessConfiguration.Task2Features = .spectrum

  @Option(
    help: ArgumentHelp(
      "Task 1: cut every file to one row of --segment-samples (fixed, the L3DAS22 default) or into consecutive pieces (chunks, L3DAS21).",
      valueName: "fixed|chunks"))
  var segment: PreprocessConfiguration.Task1Segmenting.Mode?

  @Option(help: "Task 1: samples per row (default: 76672 for L3DAS22, 32000 for L3DAS21).")
  var segmentSamples: Int?

  @Flag(help: "Stop at the first unusable item instead of skipping it.")
  var strict = false

  @Option(help: "Compute only shard K of N of the output shards (every Nth from the Kth) and write manifest.shard-K-of-N.json; 'l3das merge OUTPUT' writes manifest.json when all N are done.")
  var shard: String?

  @OptionGroup var outputOptions: OutputFormatOptions

  func validate() throws {
    guard task == 1 || task == 2 else { throw ValidationError("--task must be 1 or 2") }
    guard mics == 1 || mics == 2 else { throw ValidationError("--mics must be 1 or 2") }
    try Limits.check(itemsPerShard, "--items-per-shard", in: 1...1024)
    if phase && features != .spectrum {
      throw ValidationError("--phase applies to --features spectrum only")
    }
    try Limits.check(segmentSamples, "--segment-samples", in: 1...Limits.maxTask1Samples, unit: "samples")
    if task == 2 && (segment != nil || segmentSamples != nil) {
      throw ValidationError("--segment and --segment-samples apply to Task 1")
    }
    if let shard {
      do { _ = try Shard(parsing: shard) } catch { throw ValidationError("--shard: \(error)") }
    }
    try Limits.check(sceneSeconds, "--scene-seconds", in: 0.1...Limits.maxSceneSeconds, unit: "seconds")
  }

  func run() throws {
    HeapTuning.retainLargeAllocations()
    let split = try SplitLocation(folder: URL(fileURLWithPath: input, isDirectory: true))
    // Task 2: the edition decides the label coordinates and scale, so it comes from the same
    // evidence `score` and `predict` use (a rho,theta,z header is L3DAS23's).
    // The scene length, like predict's, comes from the first scene's audio unless given.
    let scenes =
      task == 2
      ? try Task2Scenes.detect(
        truth: URL(fileURLWithPath: input, isDirectory: true), edition: edition,
        frames: sceneSeconds.map { Int(($0 * 10).rounded()) })
      : nil
    var configuration = PreprocessConfiguration.baseline(
      task: task == 1 ? .speechEnhancement : .soundEventLocalizationDetection,
      edition: scenes?.edition ?? edition ?? split.edition,
      microphones: mics)
    if let scenes { configuration.sceneSeconds = Double(scenes.frameCount) / 10 }
    configuration.itemsPerShard = itemsPerShard
    configuration.includesPhase = phase
    configuration.task2Features = features
    if let sceneSeconds { configuration.sceneSeconds = sceneSeconds }
    if let segment { configuration.task1Segmenting.mode = segment }
    if let segmentSamples { configuration.task1Segmenting.length = segmentSamples }
    let bar = ProgressBar(
      title: "preprocess", enabled: !outputOptions.quiet && !outputOptions.json,
      everyItem: outputOptions.verbose)
    let report = try Preprocessing.run(
      split: split, output: URL(fileURLWithPath: output, isDirectory: true),
      configuration: configuration, strict: strict,
      shard: try shard.map(Shard.init(parsing:)) ?? .all, progress: bar)
    if outputOptions.json {
      try Output.printJSON(report)
      return
    }
    let shards = report.computedShards + report.resumedShards
    print(
      "Preprocessed \(report.itemCount) items (\(report.rowCount) rows) of \(split.name) into \(shards) shard\(shards == 1 ? "" : "s") (\(report.computedShards) computed, \(report.resumedShards) reused)"
    )
    for problem in report.problems { print("  skipped \(problem)") }
    if let shard {
      print("Shard \(shard) manifest: \(report.manifestPath) (run 'l3das merge \(output)' once every shard is done)")
    } else {
      print("Manifest: \(report.manifestPath)")
    }
  }
}


extension PreprocessConfiguration.Task2Features: ExpressibleByArgument {}

extension PreprocessConfiguration.Task1Segmenting.Mode: ExpressibleByArgument {
  init?(argument: String) {
    switch argument {
    case "fixed", "fixedLength": self = .fixedLength
    case "chunks": self = .chunks
    default: return nil
    }
  }
  static var allValueStrings: [String] { ["fixed", "chunks"] }
}
