import ArgumentParser
import Datasets
import Foundation
import L3DASCore
import Metrics
import Pipelines
import Reports

/// `l3das leaderboard`: validate, score and rank many submissions.
struct LeaderboardCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "leaderboard",
    abstract: "Validate, score and rank submissions; write Markdown, CSV, JSON and an HTML report.",
    discussion: """
      Each SUBMISSION is a folder or .zip, optionally named: NAME=PATH (default name: the \
      folder's name). Every submission is validated against the test split (--truth, which \
      must hold data/ and labels/); valid ones are scored with the challenge metric (Task 1: \
      (STOI + 1 - WER)/2; Task 2: location-sensitive F) and ranked, equal scores sharing a \
      rank. Invalid submissions stay on the board, unranked, with every validation problem.

      With -o DIR: writes leaderboard.md, leaderboard.csv, leaderboard.json and index.html \
      (self-contained: sortable tables, SVG plots of the ranking, per-class P/R/F for Task 2, \
      STOI and WER distributions for Task 1). The Markdown table (or --json) is printed.

      Scale-out: --shard K/N --partial FILE scores 1/N of the items of every submission; \
      'l3das merge FILE... -o DIR' then writes exactly the unsharded board (docs/scale-out.md).
      """)

  @Option(help: "The task: 1 (speech enhancement) or 2 (SELD).")
  var task: Int

  @Option(help: "The test split folder, with data/ and labels/.")
  var truth: String

  @Argument(help: "The submissions: folders or .zip files, as PATH or NAME=PATH.")
  var submissions: [String]

  @Option(name: [.short, .customLong("output")], help: "Write the four reports into this folder.")
  var output: String?

  @OptionGroup var asr: TranscriberOptions

  @OptionGroup var task1Options: Task1AggregateOptions

  @OptionGroup var task2: Task2ScoringOptions

  @Option(help: "Score only shard K of N and write its partial result to --partial; combine with 'l3das merge'.")
  var shard: String?

  @Option(help: "With --shard: where to write this shard's partial result (JSON).")
  var partial: String?

  @OptionGroup var outputOptions: OutputFormatOptions

  func validate() throws {
    guard task == 1 || task == 2 else { throw ValidationError("--task must be 1 or 2") }
    guard !submissions.isEmpty else { throw ValidationError("give at least one submission") }
    let missing = submissions.map(Leaderboard.Submission.init(argument:)).filter {
      !FileManager.default.fileExists(atPath: $0.url.path)
    }
    if !missing.isEmpty {
      throw ValidationError(
        "no such submission: " + missing.map { "\($0.url.path) (\($0.name))" }.joined(separator: ", ")
          + "; give NAME=PATH of existing folders or .zip files")
    }
    if task == 1 { try asr.check() }
    if let shard {
      do { _ = try Shard(parsing: shard) } catch { throw ValidationError("--shard: \(error)") }
      if partial == nil { throw ValidationError("--shard needs --partial FILE") }
    } else if partial != nil {
      throw ValidationError("--partial is written by a sharded run: add --shard K/N")
    }
  }

  func run() throws {
    let truthURL = URL(fileURLWithPath: truth, isDirectory: true)
    var task2Options = Task2Scoring.Options()
    var edition: Edition?
    if task == 2 {
      let (options, scenes) = try task2.options(truth: truthURL)
      (task2Options, edition) = (options, scenes.edition)
    }
    let transcriber = task == 1 ? try asr.make() : nil
    var options = Leaderboard.Options(
      task: task == 1 ? .speechEnhancement : .soundEventLocalizationDetection,
      edition: edition,
      task1: transcriber.map { .init(transcriber: $0, emptyReference: task1Options.emptyReference) },
      task2: task2Options)
    options.officialRunningMean = task1Options.officialRunningMean
    // An L3DAS23 nested submission ranks once per subtrack (track × 1mic/2mic).
    let entries = submissions.map(Leaderboard.Submission.init(argument:)).flatMap { $0.expanded(task: options.task) }
    let inputs = [truthURL] + entries.map(\.url)
    if shard == nil { try LeaderboardOutput.checkOutput(output, inputs: inputs) }
    let bar = ProgressBar(title: "leaderboard", enabled: !outputOptions.quiet && !outputOptions.json, everyItem: outputOptions.verbose)
    if let shard, let partial {
      try SingleOutputFile.checkPartial(partial)
      let shard = try Shard(parsing: shard)
      let result = try Leaderboard.partial(
        submissions: entries, truth: truthURL, options: options, shard: shard, progress: bar)
      try result.write(to: URL(fileURLWithPath: partial))
      print("leaderboard shard \(shard): \(entries.count) submissions validated, their shard's items scored; partial result in \(partial)")
      return
    }
    let result = try Leaderboard.run(submissions: entries, truth: truthURL, options: options, progress: bar)
    try LeaderboardOutput.emit(result, output: output, json: outputOptions.json, inputs: inputs)
    if !outputOptions.json, !outputOptions.quiet, let transcriber, let cache = CacheSummary(transcriber) {
      print("transcript cache: \(cache.directory) (\(cache.hits) served from the cache, \(cache.misses) transcribed now; --no-cache to bypass)")
    }
  }
}

/// The leaderboard's outputs, shared with `merge`.
enum LeaderboardOutput {
  /// Refuses, before any scoring, an output folder that the leaderboard may not write.
  static func checkOutput(_ output: String?, inputs: [URL]) throws {
    guard let output else { return }
    try OutputFolder.checkReplaceable(
      URL(fileURLWithPath: output, isDirectory: true), command: "leaderboard", inputs: inputs,
      replace: true)
  }

  static func emit(_ result: Leaderboard.Result, output: String?, json: Bool, inputs: [URL] = []) throws {
    var page: URL?
    if let output {
      page = try LeaderboardReport.write(
        result, to: URL(fileURLWithPath: output, isDirectory: true), inputs: inputs)
    }
    if json {
      print(String(decoding: try LeaderboardReport.json(result), as: UTF8.self))
    } else {
      print(LeaderboardReport.markdown(result), terminator: "")
      if let page { print("\nReports: \(page.deletingLastPathComponent().path)/{leaderboard.md,leaderboard.csv,leaderboard.json,index.html}") }
    }
  }
}

