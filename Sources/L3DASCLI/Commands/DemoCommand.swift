import ArgumentParser
import Demo
import Foundation
import L3DASCore
import Pipelines

/// `l3das demo`: the whole toolkit end to end, offline, in minutes.
struct DemoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo",
    abstract: "Run everything end to end on a synthetic dataset: synthesise, preprocess, train, predict, validate, score, rank.",
    discussion: """
      Offline, in a few minutes on two cores. Task 2: synthesises training and held-out test \
      scenes, preprocesses them (64-band log-mel), trains the tiny SELDnet \
      (baselines/seldnet-tiny), predicts the test scenes and ranks the result against a random \
      and an empty submission. Task 1: synthesises recordings with real LibriVox speech, trains \
      the tiny MIMO-UNet (baselines/mmub-tiny), enhances the test recordings and ranks them \
      against the unprocessed mic-A W channel and the clean speech (WER by PocketSphinx).

      Everything lands in --output: data/, features/, runs/, submissions/, reports/task2 and \
      reports/task1 (leaderboard.md/.csv/.json and index.html with plots), and demo.json. The \
      folder is replaced on the next run only if a demo wrote it.

      The tiny models train for a few epochs only: they show the pipeline, not a good score \
      (see baselines/ for what longer training reaches).
      """)

  @Option(name: [.short, .customLong("output")], help: "The folder for everything the demo writes.")
  var output: String = "l3das-demo"

  @Option(help: "Which tasks to run: 1, 2 or all.")
  var task: String = "all"

  @Option(help: "Seed of the synthetic data and the training.")
  var seed: UInt64 = 2026

  @Option(help: "Task 2 training scenes.")
  var task2Scenes: Int = Demo.Configuration().task2TrainScenes

  @Option(help: "Task 2 training epochs.")
  var task2Epochs: Int = Demo.Configuration().task2Epochs

  @Option(help: "Task 1 training recordings.")
  var task1Items: Int = Demo.Configuration().task1TrainItems

  @Option(help: "Task 1 training epochs.")
  var task1Epochs: Int = Demo.Configuration().task1Epochs

  @OptionGroup var asr: TranscriberOptions

  @OptionGroup var outputOptions: OutputFormatOptions

  var demoConfiguration: Demo.Configuration {
    var configuration = Demo.Configuration()
    configuration.tasks = task == "1" ? [1] : task == "2" ? [2] : [2, 1]
    configuration.seed = seed
    configuration.task2TrainScenes = task2Scenes
    configuration.task2Epochs = task2Epochs
    configuration.task1TrainItems = task1Items
    configuration.task1Epochs = task1Epochs
    return configuration
  }

  func validate() throws {
    guard ["1", "2", "all"].contains(task) else { throw ValidationError("--task must be 1, 2 or all") }
    let problems = demoConfiguration.problems
    guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "; ")) }
    if task != "2" { try asr.check() }
  }

  func run() throws {
    HeapTuning.retainLargeAllocations()
    let configuration = demoConfiguration
    let observer = StagePrinter(quiet: outputOptions.quiet || outputOptions.json, verbose: outputOptions.verbose)
    let report = try Demo.run(
      configuration: configuration, output: URL(fileURLWithPath: output, isDirectory: true),
      transcriber: configuration.tasks.contains(1) ? try asr.make() : nil, observer: observer)
    if outputOptions.json {
      try Output.printJSON(report)
      return
    }
    print("")
    for (label, board) in [("Task 2", report.task2), ("Task 1", report.task1)] {
      guard let board else { continue }
      print("\(label) leaderboard (\(board.itemCount) test items):")
      for entry in board.entries {
        print("  \(entry.rank.map { "#\($0)" } ?? " –")  \(entry.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(entry.score.map { String(format: "%.4f", $0) } ?? "not ranked")")
      }
    }
    print("\nDone in \(ProgressBar.clock(report.seconds)). Open the reports:")
    for page in report.reports { print("  \(page)") }
    print("Everything else (data, features, runs, submissions, demo.json) is in \(report.output)")
  }
}

/// Prints each stage's title and result, with a progress bar in between.
struct StagePrinter: Demo.Observer {
  let quiet: Bool
  let verbose: Bool

  func begin(stage: String, of total: Int, title: String) -> any ProgressReporter {
    if !quiet {
      FileHandle.standardOutput.write(Data("[\(stage)/\(total)] \(title)\n".utf8))
    }
    return ProgressBar(title: "  ", enabled: !quiet, everyItem: verbose)
  }

  func end(stage: String, seconds: Double, summary: String) {
    if !quiet {
      FileHandle.standardOutput.write(Data("      \(summary)  (\(ProgressBar.clock(seconds)))\n".utf8))
    }
  }
}
