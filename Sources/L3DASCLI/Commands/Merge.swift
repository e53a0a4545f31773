import ArgumentParser
import Foundation
import Pipelines

/// `l3das merge`: add up the partial results of a sharded run.
struct Merge: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Combine the partial results of a sharded score, leaderboard or preprocess run.",
    discussion: """
      A run split with --shard K/N over N machines (a Slurm job array, a Kubernetes Indexed \
      Job: docs/scale-out.md) leaves one partial result per shard. merge checks that they come \
      from one run (same task, truth, settings and N; every shard once; no item twice) and adds \
      them up. The result is exactly what one machine computes:

        score:       l3das merge part-*.json [--json] [--per-file-csv F]
                     prints what 'l3das score' prints.
        leaderboard: l3das merge board-*.json -o DIR
                     writes what 'l3das leaderboard -o DIR' writes.
        preprocess:  l3das merge FEATURES_DIR
                     writes manifest.json from the shards'
                     manifest.shard-K-of-N.json files.
      """)

  @Argument(help: "Partial result files (score or leaderboard), or one preprocess output folder.")
  var inputs: [String]

  @Flag(help: "Score (Task 1): print the official scripts' running mean as the headline.")
  var officialRunningMean = false

  @Option(help: "Score: also write per-file values to this CSV file.")
  var perFileCSV: String?

  @Option(name: [.short, .customLong("output")], help: "Leaderboard: the folder for the reports.")
  var output: String?

  @OptionGroup var outputOptions: OutputFormatOptions

  func validate() throws {
    guard !inputs.isEmpty else { throw ValidationError("give the partial results to merge") }
  }

  func run() throws {
    var isFolder: ObjCBool = false
    if inputs.count == 1, FileManager.default.fileExists(atPath: inputs[0], isDirectory: &isFolder),
      isFolder.boolValue
    {
      try mergePreprocess(URL(fileURLWithPath: inputs[0], isDirectory: true))
      return
    }
    let urls = inputs.map { URL(fileURLWithPath: $0) }
    switch try PartialKind.of(urls[0]) {
    case .score:
      let partials = try urls.map(ScorePartial.read)
      switch try ScorePartial.merge(partials, names: inputs) {
      case .task1(let report, let transcriber):
        try ScorePrinting.task1(
          report, transcriber: transcriber, officialRunningMean: officialRunningMean,
          perFileCSV: perFileCSV, output: outputOptions)
      case .task2(let report):
        try ScorePrinting.task2(report, perFileCSV: perFileCSV, output: outputOptions)
      }
    case .leaderboard:
      try mergeLeaderboard(urls)
    }
  }
}

/// Which kind of partial result a file holds.
enum PartialKind {
  case score
  case leaderboard

  static func of(_ url: URL) throws -> PartialKind {
    let header = try PartialHeader.read(url)
    switch header.format {
    case ScorePartial.formatName: return .score
    case LeaderboardPartial.formatName: return .leaderboard
    default:
      throw ShardError(
        "\(url.path): not a partial result (format \(header.format ?? "missing"); expected \(ScorePartial.formatName) or \(LeaderboardPartial.formatName))")
    }
  }
}

extension Merge {
  func mergePreprocess(_ folder: URL) throws {
    let report = try Preprocessing.merge(output: folder)
    if outputOptions.json {
      try Output.printJSON(report)
    } else {
      print("merged \(report.manifest.shards.count) output shards: \(report.itemCount) items, \(report.rowCount) rows; manifest in \(report.manifestPath)")
    }
  }

  func mergeLeaderboard(_ urls: [URL]) throws {
    try LeaderboardOutput.checkOutput(output, inputs: urls)
    let partials = try urls.map(LeaderboardPartial.read)
    let result = try Leaderboard.merge(partials, names: inputs)
    try LeaderboardOutput.emit(result, output: output, json: outputOptions.json, inputs: urls)
  }
}
