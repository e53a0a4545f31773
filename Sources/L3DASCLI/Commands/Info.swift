import ArgumentParser
import Datasets
import Foundation

/// `l3das info`: what a dataset folder contains.
struct Info: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Show what a dataset folder contains: edition, tasks, splits, items, durations, rates.",
    discussion: """
      Point it at a dataset root (holding L3DAS22_Task1_dev, L3DAS_Task2_train, ...) or at one \
      split folder. Only file headers are read, so it is fast on full-size data. Missing mic-B \
      partners, labels and unreadable files are listed as problems.
      """)

  @Argument(help: "The dataset root or a split folder.")
  var path = "l3das-data"

  @OptionGroup var outputOptions: OutputFormatOptions

  func run() throws {
    let bar = ProgressBar(title: "info", enabled: !outputOptions.quiet && !outputOptions.json)
    let summary = try DatasetSummary.summarize(
      root: URL(fileURLWithPath: path, isDirectory: true), progress: bar)
    if outputOptions.json {
      try Output.printJSON(summary)
    } else {
      print(summary.renderText(), terminator: "")
    }
  }
}
