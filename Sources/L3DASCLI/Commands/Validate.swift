import ArgumentParser
import Datasets
import Foundation
import Submission

/// `l3das validate`: check a submission before uploading it.
struct Validate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check a Task 1 or Task 2 submission, reporting every problem at once.",
    discussion: """
      Runs every check of the official validate_submission.py (only .npy/.csv files, one per \
      test item, exact names, Task 1 array length) and the ones it misses: Task 1 arrays must \
      be mono, float and finite; every Task 2 row is read as the scorer reads it (no header, \
      frame,class,x,y,z, frames 0..N-1, official class names or ids 0-13, finite coordinates \
      within --max-coordinate metres, at most 3 instances of a class per frame). An empty \
      Task 2 file is valid: nothing detected.

      --submission is a folder or a .zip (read in place, never extracted; entries with \
      absolute paths, '..' or symbolic links are refused). --test is the test split folder or \
      its data folder with the <id>_A.wav items.

      Each problem is printed as file:line: error|warning: message (fix: hint). The exit \
      status is 0 for a valid submission (warnings allowed), 1 for an invalid one.
      """)

  @Option(help: "The task: 1 (speech enhancement, .npy) or 2 (SELD, .csv).")
  var task: Int

  @Option(help: "The submission folder or .zip archive.")
  var submission: String

  @Option(help: "The test split folder (or its data folder) holding the <id>_A.wav items.")
  var test: String

  @Option(help: "Task 2: 2022 (300 frames per file), 2021 (600) or 2023 (300, rows frame,class,rho,theta,z). Default: from the test folder's name, else its audio's length.")
  var edition: Edition?

  @Option(help: "Task 2: the largest plausible |x|, |y| or |z| (L3DAS23: |rho| or |z|), in metres (default: 5; 20 for 2023).")
  var maxCoordinate: Double?

  @Option(help: "How many problems of one kind to list per file before only counting them.")
  var listLimit: Int = 10

  @Option(help: "L3DAS23 nested submissions (task<N>/<K>mic/): check only this subtrack, 1mic or 2mic (default: every one present).")
  var subtrack: String?

  @Flag(help: "L3DAS23: require both 1mic/ and 2mic/, as the official validator does (the submission page accepts one).")
  var bothMics = false

  @OptionGroup var outputOptions: OutputFormatOptions

  func validate() throws {
    guard task == 1 || task == 2 else { throw ValidationError("--task must be 1 or 2") }
    if let maxCoordinate {
      try Limits.check(maxCoordinate, "--max-coordinate", in: 1e-6...Limits.maxThreshold, unit: "metres")
    }
    try Limits.check(listLimit, "--list-limit", in: 1...Limits.maxCount)
    if let subtrack, Subtrack(subtrack, task: task == 1 ? .speechEnhancement : .soundEventLocalizationDetection) == nil {
      throw ValidationError("--subtrack must be 1mic or 2mic (or task\(task)/1mic, task\(task)/2mic)")
    }
  }

  func run() throws {
    let bar = ProgressBar(title: "validate", enabled: !outputOptions.quiet && !outputOptions.json, everyItem: outputOptions.verbose)
    let taskValue: Task = task == 1 ? .speechEnhancement : .soundEventLocalizationDetection
    let url = URL(fileURLWithPath: submission)
    var options = SubmissionValidator.Options(
      task: taskValue, edition: edition, coordinateLimit: maxCoordinate, listLimit: listLimit)
    // An L3DAS23 submission nests task<N>/<K>mic/ folders: each subtrack is checked as one
    // flat submission, with the layout's own rules on top.
    let present = try Subtrack.present(in: url)
    if present.isEmpty {
      if subtrack != nil { throw ValidationError("--subtrack: \(submission) has no task<N>/<K>mic/ folders (it is a flat submission)") }
      let report = try SubmissionValidator.validate(submission: url, test: URL(fileURLWithPath: test), options: options, progress: bar)
      if outputOptions.json {
        try Output.printJSON(report)
      } else {
        print(report.text)
      }
      if !report.isValid { throw ExitCode(1) }
      return
    }
    let chosen = subtrack.flatMap { Subtrack($0, task: taskValue) }.map { [$0] } ?? present.filter { $0.task == taskValue }
    guard !chosen.isEmpty else {
      throw SubmissionError(
        .submissionNotFound, "\(submission) holds \(present.map(\.folder).joined(separator: ", ")) but no task\(task)/ subtrack")
    }
    let layout = L3DAS23Submission.layoutProblems(
      url: url, task: taskValue, present: present, requireBothMicrophones: bothMics)
    var reports: [SubmissionReport] = []
    for one in chosen {
      options.subtrack = one
      var report = try SubmissionValidator.validate(submission: url, test: URL(fileURLWithPath: test), options: options, progress: bar)
      report.submission += " [\(one.folder)]"
      report.problems = layout + report.problems
      reports.append(report)
    }
    if outputOptions.json {
      try Output.printJSON(reports)
    } else {
      print(reports.map(\.text).joined(separator: "\n\n"))
    }
    if reports.contains(where: { !$0.isValid }) { throw ExitCode(1) }
  }
}
