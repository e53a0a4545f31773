public import ArgumentParser
import AudioIO
import Datasets
import Foundation
import Synthesis

extension Edition: ExpressibleByArgument {}
extension AudioSampleFormat: ExpressibleByArgument {}
extension Split: ExpressibleByArgument {}

/// Which tasks a command covers.
enum TaskSelection: String, ExpressibleByArgument, CaseIterable {
  case one = "1"
  case two = "2"
  case all
}

/// `l3das synth`: write a synthetic L3DAS-format dataset.
struct Synth: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write a synthetic dataset laid out, named, sampled and labelled like L3DAS22.",
    discussion: """
      Task 1 items use real LibriVox speech with transcripts (Debian's pocketsphinx-testdata, \
      or --speech-dir) rendered from a random position in the room with office noise; Task 2 \
      scenes hold synthetic events of the 14 classes at known positions, with ov1-ov3 \
      overlap. Both are first-order Ambisonics at mic A and mic B (20 cm apart), with \
      reverberation and diffuse noise. The same --seed always gives the same files.
      """)

  @Option(name: [.short, .long], help: "The dataset folder to write (created if missing).")
  var output = "l3das-data"

  @Option(help: "Which task to generate: 1, 2 or all.")
  var task: TaskSelection = .all

  @Option(help: "Folder naming, Task 2 scene length and label coordinates: 2022 (30 s scenes), 2021 (60 s) or 2023 (30 s, rho/theta/z labels).")
  var edition: Edition = .l3das22

  @Option(help: "Seed of the random generator; the same seed gives identical files.")
  var seed: UInt64 = 0

  @Option(help: "Items per Task 1 split.")
  var task1Items = 4

  @Option(help: "Scenes per Task 2 split.")
  var task2Items = 3

  @Option(parsing: .upToNextOption, help: "Task 1 splits to write (train100, train360, dev, test).")
  var task1Splits: [Split] = [.train100, .dev, .test]

  @Option(parsing: .upToNextOption, help: "Task 2 splits to write (train, dev, test).")
  var task2Splits: [Split] = [.train, .dev, .test]

  @Option(help: "Task 2 scene length in seconds (default: the edition's, 30 or 60).")
  var sceneSeconds: Double?

  @Option(help: "WAV sample encoding: pcm16, pcm24, pcm32 or float32.")
  var format: AudioSampleFormat = .pcm16

  @Option(
    help:
      "Folder of speech clips (CMU Sphinx 'fileids' + 'transcription' layout, or <name>.wav + <name>.txt pairs)."
  )
  var speechDir: String?

  @Flag(help: "Nest each split as X/X/data, the way the Kaggle L3DAS22 archive unpacks.")
  var kaggleNesting = false

  @Flag(help: "Replace split folders that already exist.")
  var overwrite = false

  @OptionGroup var outputOptions: OutputFormatOptions

  func validate() throws {
    try Limits.check(task1Items, "--task1-items", in: 0...100_000)
    try Limits.check(task2Items, "--task2-items", in: 0...100_000)
    try Limits.check(sceneSeconds, "--scene-seconds", in: 1...Limits.maxSceneSeconds, unit: "seconds")
  }

  func run() throws {
    var configuration = SyntheticDataset.Configuration()
    configuration.edition = edition
    configuration.seed = seed
    configuration.task1ItemsPerSplit = task1Items
    configuration.task2ItemsPerSplit = task2Items
    configuration.task1Splits = task == .two ? [] : task1Splits
    configuration.task2Splits = task == .one ? [] : task2Splits
    configuration.task2SceneSeconds = sceneSeconds
    configuration.sampleFormat = format
    configuration.kaggleNesting = kaggleNesting
    configuration.speechDirectory = speechDir
    let bar = ProgressBar(
      title: "synth", enabled: !outputOptions.quiet, everyItem: outputOptions.verbose)
    let report = try SyntheticDataset.generate(
      configuration, at: URL(fileURLWithPath: output, isDirectory: true), overwrite: overwrite,
      progress: bar)
    if outputOptions.json {
      try Output.printJSON(report)
      return
    }
    for split in report.splits {
      print(
        "Task \(split.task) \(split.split.padding(toLength: 9, withPad: " ", startingAt: 0)) \(split.itemCount) items, \(String(format: "%.1f", split.totalSeconds)) s  → \(split.path)"
      )
    }
    print("Wrote \(report.root) (seed \(seed)); inspect it with: l3das info \(output)")
  }
}
