public import ArgumentParser
import Datasets
import Foundation
import Metrics
import Pipelines
import SpeechRecognition
import Submission

extension EmptyReferencePolicy: ExpressibleByArgument {}
extension LocationSensitiveDetection.Matching: ExpressibleByArgument {}
extension DCASEStyleSELD.Rules: ExpressibleByArgument {}
extension DCASEStyleSELD.Averaging: ExpressibleByArgument {}

/// `l3das score`: score a submission against the truth.
struct Score: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Score a Task 1 or Task 2 submission against the ground truth.",
    discussion: """
      Task 1: --submission holds <id>.npy estimates, --truth is the test split (or a folder of \
      clean <id>.wav). The metric is (STOI + 1 - WER)/2 per item, averaged. Both the clean speech \
      and the estimate are transcribed by the chosen recogniser. The official challenge used \
      wav2vec2-base-960h, which --transcriber wav2vec2 runs natively and exactly (the default \
      once 'l3das download wav2vec2-base-960h' has fetched it); the built-in PocketSphinx is \
      much weaker, so its WER is not comparable with leaderboard numbers. Transcripts are \
      cached by audio content (and, for wav2vec2, the weights' SHA-256).

      Task 2: --submission holds headerless <item>.csv files (frame,class,x,y,z); --truth is the \
      test split with labels/label_<item>.csv, or a folder of <item>.csv frame rows. TP/FP/FN are \
      summed over all files (micro F), with --matching official (the L3DAS22 count, leaderboard \
      numbers), l3das21 (the L3DAS21 count, its defects included) or one-to-one (maximum \
      bipartite matching, the correct count); the default is the edition's own count.
      """)

  @Option(help: "The task: 1 (speech enhancement) or 2 (SELD).")
  var task: Int

  @Option(help: "The submission folder.")
  var submission: String

  @Option(help: "The ground-truth folder.")
  var truth: String

  @OptionGroup var asr: TranscriberOptions

  @OptionGroup var task1Options: Task1AggregateOptions

  @OptionGroup var task2: Task2ScoringOptions

  @Option(help: "Also write per-file values to this CSV file.")
  var perFileCSV: String?

  @Option(help: "Score only shard K of N (e.g. 2/8: every 8th item from the 2nd, in sorted order) and write its partial result to --partial; combine all N with 'l3das merge'.")
  var shard: String?

  @Option(help: "With --shard: where to write this shard's partial result (JSON).")
  var partial: String?

  @Option(help: "L3DAS23 nested submissions (task<N>/<K>mic/ folders): the subtrack to score, 1mic or 2mic (default: the only one present).")
  var subtrack: String?

  @OptionGroup var outputOptions: OutputFormatOptions

  func validate() throws {
    guard task == 1 || task == 2 else { throw ValidationError("--task must be 1 or 2") }
    if let shard {
      do { _ = try Shard(parsing: shard) } catch { throw ValidationError("--shard: \(error)") }
      if partial == nil { throw ValidationError("--shard needs --partial FILE for the shard's partial result") }
    } else if partial != nil {
      throw ValidationError("--partial is written by a sharded run: add --shard K/N")
    }
    if task == 1 { try asr.check() }
  }

  func run() throws {
    if let perFileCSV {
      try SingleOutputFile.checkReplaceable(URL(fileURLWithPath: perFileCSV), option: "--per-file-csv") { _ in true }
    }
    if let shard, let partial {
      try SingleOutputFile.checkPartial(partial)
      try runShard(try Shard(parsing: shard), partial: URL(fileURLWithPath: partial))
    } else if task == 1 {
      try runTask1()
    } else {
      try runTask2()
    }
  }

  private var submissionURL: URL { URL(fileURLWithPath: submission, isDirectory: true) }
  private var truthURL: URL { URL(fileURLWithPath: truth, isDirectory: true) }

  /// The Task 2 options, with the scene length and the edition's defaults decided from the
  /// truth (`Task2Scenes`).
  private func task2Options() throws -> Task2Scoring.Options {
    var options = try task2.options(truth: truthURL).0
    options.subtrack = try chosenSubtrack()
    return options
  }

  /// The Task 1 options.
  private func task1ScoringOptions(_ asr: any Transcriber) throws -> Task1Scoring.Options {
    var options = Task1Scoring.Options(transcriber: asr, emptyReference: task1Options.emptyReference)
    options.subtrack = try chosenSubtrack()
    return options
  }

  /// The L3DAS23 subtrack of a nested submission: `--subtrack`, or the only one of the task.
  private func chosenSubtrack() throws -> Subtrack? {
    let taskValue: Task = task == 1 ? .speechEnhancement : .soundEventLocalizationDetection
    let present = ((try? Subtrack.present(in: submissionURL)) ?? []).filter { $0.task == taskValue }
    if let subtrack {
      guard let chosen = Subtrack(subtrack, task: taskValue) else {
        throw ValidationError("--subtrack must be 1mic or 2mic")
      }
      return chosen
    }
    if present.count > 1 {
      throw ValidationError(
        "\(submission) holds \(present.map(\.folder).joined(separator: " and ")): choose one with --subtrack 1mic or 2mic")
    }
    return present.first
  }

  /// Scores one shard and writes its partial result.
  private func runShard(_ shard: Shard, partial: URL) throws {
    let bar = ProgressBar(title: "score \(shard)", enabled: !outputOptions.quiet, everyItem: outputOptions.verbose)
    let result: ScorePartial
    if task == 1 {
      let asr = try makeTranscriber()
      let items = try Task1Scoring.partial(
        submission: submissionURL, truth: truthURL,
        options: try task1ScoringOptions(asr), shard: shard, progress: bar)
      result = ScorePartial(
        shard: shard, submission: submission, truth: truth,
        truthItemCount: try Task1Scoring.references(in: truthURL).count,
        task1: .init(transcriber: asr.identifier, emptyReference: task1Options.emptyReference, items: items))
    } else {
      let files = try Task2Scoring.partial(
        submission: submissionURL, truth: truthURL, options: try task2Options(), shard: shard, progress: bar)
      result = ScorePartial(
        shard: shard, submission: submission, truth: truth,
        truthItemCount: try Task2Scoring.truthIDs(in: truthURL).count,
        task2: .init(options: try task2Options(), files: files))
    }
    try result.write(to: partial)
    let count = result.task1?.items.count ?? result.task2?.files.count ?? 0
    if outputOptions.json {
      try Output.printJSON(ShardSummary(shard: shard, items: count, partial: partial.path))
    } else {
      print("shard \(shard): \(count) of \(result.truthItemCount) items scored; partial result in \(partial.path)")
      print("combine all \(shard.count) partial results with: l3das merge PARTIAL...")
    }
  }

  private func makeTranscriber() throws -> any Transcriber { try asr.make() }

  private func runTask1() throws {
    let asr = try makeTranscriber()
    let bar = ProgressBar(title: "score", enabled: !outputOptions.quiet, everyItem: outputOptions.verbose)
    let report = try Task1Scoring.score(
      submission: submissionURL, truth: truthURL,
      options: try task1ScoringOptions(asr), progress: bar)
    try ScorePrinting.task1(
      report, transcriber: asr.identifier, officialRunningMean: task1Options.officialRunningMean,
      perFileCSV: perFileCSV, output: outputOptions, cache: CacheSummary(asr))
  }

  private func runTask2() throws {
    let bar = ProgressBar(title: "score", enabled: !outputOptions.quiet, everyItem: outputOptions.verbose)
    let report = try Task2Scoring.score(
      submission: submissionURL, truth: truthURL, options: try task2Options(), progress: bar)
    try ScorePrinting.task2(report, perFileCSV: perFileCSV, output: outputOptions)
  }
}

/// What `l3das score --shard K/N --json` prints.
struct ShardSummary: Encodable {
  var shard: Shard
  var items: Int
  var partial: String
}

/// The report output of `score`, shared with `merge` (which prints exactly what an unsharded
/// `score` prints).
enum ScorePrinting {
  static func task1(
    _ report: Task1Report, transcriber: String, officialRunningMean: Bool, perFileCSV: String?,
    output: OutputFormatOptions, cache: CacheSummary? = nil
  ) throws {
    if let perFileCSV {
      var lines = ["id,stoi,wer,metric,skipped,stoi_too_short,reference_transcript,estimate_transcript"]
      for item in report.items {
        let fields = [
          CSVField.quote(item.id), item.stoi.map { String($0) } ?? "", item.wer.map { String($0) } ?? "",
          item.metric.map { String($0) } ?? "", item.isSkipped ? "1" : "0", item.stoiTooShort ? "1" : "0",
          CSVField.quote(item.referenceTranscript), CSVField.quote(item.estimateTranscript),
        ]
        lines.append(fields.joined(separator: ","))
      }
      try AtomicWrite.text(lines.joined(separator: "\n") + "\n", to: perFileCSV)
    }
    if output.json {
      try Output.printJSON(
        Task1Output(
          transcriber: transcriber, headline: officialRunningMean ? "official-running-mean" : "mean",
          metric: officialRunningMean ? report.official.metric : report.metric, report: report,
          transcriptCache: cache))
      return
    }
    print("Task 1: \(report.scoredCount) items scored, \(report.skippedCount) skipped (empty clean transcript)")
    if officialRunningMean {
      print("  metric  \(fixed(report.official.metric))   official running mean (correct mean: \(fixed(report.metric)))")
      print("  STOI    \(fixed(report.official.stoi))   official running mean (correct mean: \(fixed(report.stoi)))")
      print("  WER     \(fixed(report.official.wer))   official running mean (correct mean: \(fixed(report.wer)))")
    } else {
      print("  metric  \(fixed(report.metric))   = mean of (STOI + 1 - WER)/2")
      print("  STOI    \(fixed(report.stoi))")
      print("  WER     \(fixed(report.wer))   (mean of per-item WER; pooled over all words: \(fixed(report.pooledWER)))")
      if report.skippedCount > 0 {
        print("  the official scripts would print metric \(fixed(report.official.metric)) (their running mean counts skipped items; --official-running-mean)")
      }
    }
    print("  transcriber: \(transcriber)")
    if let cache {
      print("  transcript cache: \(cache.directory) (\(cache.hits) served from the cache, \(cache.misses) transcribed now; --no-cache to bypass)")
    }
    if transcriber.hasPrefix("pocketsphinx") {
      print("  note: PocketSphinx WER is not comparable with the leaderboard's wav2vec2 WER")
    }
    if output.verbose {
      for item in report.items {
        print("  \(item.id)  " + (item.isSkipped ? "skipped" : "STOI \(fixed(item.stoi ?? 0))  WER \(fixed(item.wer ?? 0))  metric \(fixed(item.metric ?? 0))"))
      }
    }
  }

  static func task2(_ report: DetectionReport, perFileCSV: String?, output: OutputFormatOptions) throws {
    if let perFileCSV {
      var lines = ["file,tp,fp,fn,precision,recall,f"]
      for file in report.perFile {
        let s = file.score
        lines.append("\(CSVField.quote(file.file)),\(s.truePositives),\(s.falsePositives),\(s.falseNegatives),\(s.precision),\(s.recall),\(s.fScore)")
      }
      try AtomicWrite.text(lines.joined(separator: "\n") + "\n", to: perFileCSV)
    }
    if output.json {
      try Output.printJSON(report)
      return
    }
    let t = report.total
    print("Task 2: \(report.perFile.count) files, \(report.frameCount) frames each, threshold \(report.threshold) m, matching \(report.matching.rawValue)")
    print("  F \(fixed(t.fScore))   precision \(fixed(t.precision))   recall \(fixed(t.recall))   (TP \(t.truePositives), FP \(t.falsePositives), FN \(t.falseNegatives))")
    let classes = report.perClass.filter {
      $0.score.truePositives + $0.score.falsePositives + $0.score.falseNegatives > 0
    }
    // The header's labels end where their columns end; long names widen the name column, never cut.
    let nameWidth = max(16, classes.map(\.name.count).max() ?? 0)
    func padded(_ text: String) -> String { text + String(repeating: " ", count: max(0, nameWidth - text.count)) }
    print("  per class:")
    let labels = ["TP", "FP", "FN", "F"].map { String(repeating: " ", count: 6 - $0.count) + $0 }
    print("    \(padded("class")) \(labels.joined(separator: "  "))")
    for c in classes {
      print("    \(padded(c.name)) \(String(format: "%6d  %6d  %6d  %6.4f", c.score.truePositives, c.score.falsePositives, c.score.falseNegatives, c.score.fScore))")
    }
    if let d = report.dcaseStyle {
      print("  " + d.summary)
    }
    if output.verbose {
      for file in report.perFile {
        print("  \(file.file)  TP \(file.score.truePositives)  FP \(file.score.falsePositives)  FN \(file.score.falseNegatives)  F \(fixed(file.score.fScore))")
      }
    }
  }
}

/// The JSON shape of `l3das score --task 1 --json`.
struct Task1Output: Encodable {
  /// The recogniser's identifier.
  var transcriber: String
  /// Which aggregate `metric` is: "mean" (correct) or "official-running-mean".
  var headline: String
  /// The headline metric.
  var metric: Double
  /// Everything: per-item scores, both aggregates, pooled WER.
  var report: Task1Report
  /// Where transcripts were cached and how often the cache answered (`nil`: no cache).
  var transcriptCache: CacheSummary?
}

/// The transcript cache's folder and use in one run.
struct CacheSummary: Encodable {
  var directory: String
  var hits: Int
  var misses: Int

  /// The summary of `transcriber`'s cache, if it is a `CachedTranscriber`.
  init?(_ transcriber: any Transcriber) {
    guard let cached = transcriber as? CachedTranscriber else { return nil }
    directory = cached.directory.path
    hits = cached.statistics.hits
    misses = cached.statistics.misses
  }
}

func fixed(_ value: Double, digits: Int = 4) -> String { String(format: "%.\(digits)f", value) }
