import ArgumentParser
import DatasetDownload
import Datasets
import Foundation
import Synthesis

/// `l3das verify`: a deep check of an extracted dataset.
struct Verify: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check an extracted dataset deeply, reporting every problem.",
    discussion: """
      Does not trust file names: every <id>_A.wav must have its _B.wav, every microphone \
      file 4 channels at 16 kHz (Task 1) or 32 kHz (Task 2) and the same length as its \
      partner; every Task 1 item a mono 16 kHz labels/<id>.wav of the same length and a \
      non-empty transcript; every Task 2 label file must parse, with classes from the 14 and \
      positions inside |x| <= 2, |y| <= 1.5, |z| <= 1 m; split sizes must match the published \
      ones where known. Only headers are read unless --deep, which reads every sample.

      Each problem is printed as path: message [kind]. The exit status is 0 when there is \
      none, 1 otherwise.
      """)

  @Argument(help: "The dataset folder (or one split folder).")
  var path = "l3das-data"

  @Flag(help: "Read every sample and check it is finite (slow).")
  var deep = false

  @Flag(help: "Do not compare item counts with the published ones (a partial download or a subset you made).")
  var partial = false

  @OptionGroup var outputOptions: OutputFormatOptions

  func run() throws {
    var options = DatasetVerifier.Options()
    options.deep = deep
    let root = URL(fileURLWithPath: path, isDirectory: true)
    if partial {
      options.expectedItemCounts = [:]
    } else if let synthetic = Self.syntheticCounts(root) {
      // A dataset `l3das synth` wrote is checked against its own configuration.
      options.expectedItemCounts = synthetic
      options.expectedCountSource = "l3das-synth.json's count"
    } else {
      options.expectedItemCounts = (try? DatasetCatalog.bundled().splitItemCounts) ?? [:]
    }
    let bar = ProgressBar(
      title: "verify", enabled: !outputOptions.quiet && !outputOptions.json,
      everyItem: outputOptions.verbose)
    let report = DatasetVerifier.verify(root: root, options: options, progress: bar)
    if outputOptions.json {
      try Output.printJSON(report)
    } else {
      print(report.text)
    }
    if !report.isValid { throw ExitCode(1) }
  }

  /// The item counts of a dataset `l3das synth` wrote (its `l3das-synth.json`, in `root` or, for
  /// a split folder, its parent), by split folder name.
  static func syntheticCounts(_ root: URL) -> [String: Int]? {
    for folder in [root, root.deletingLastPathComponent()] {
      let file = folder.appendingPathComponent(SyntheticDataset.configurationFileName)
      guard let data = try? Data(contentsOf: file),
        let configuration = try? JSONDecoder().decode(SyntheticDataset.Configuration.self, from: data)
      else { continue }
      var counts: [String: Int] = [:]
      for split in configuration.task1Splits {
        counts[split.folderName(task: .speechEnhancement, edition: configuration.edition)] = configuration.task1ItemsPerSplit
      }
      for split in configuration.task2Splits {
        counts[split.folderName(task: .soundEventLocalizationDetection, edition: configuration.edition)] = configuration.task2ItemsPerSplit
      }
      return counts
    }
    return nil
  }
}
