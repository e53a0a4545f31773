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

  @OptionGroup var outputOptions: OutputFormatOptions

  func validate() throws {
    guard task == 1 || task == 2 else { throw ValidationError("--task must be 1 or 2") }
    if let maxCoordinate {
      try Limits.check(maxCoordinate, "--max-coordinate", in: 1e-6...Limits.maxThreshold, unit: "metres")
    }
    try Limits.check(listLimit, "--list-limit", in: 1...Limits.maxCount)
  }

  func run() throws {
    let bar = ProgressBar(title: "validate", enabled: !outputOptions.quiet && !outputOptions.json, everyItem: outputOptions.verbose)
    let report = try SubmissionValidator.validate(
      submission: URL(fileURLWithPath: submission), test: URL(fileURLWithPath: test),
      options: .init(
        task: task == 1 ? .speechEnhancement : .soundEventLocalizationDetection,
        edition: edition, coordinateLimit: maxCoordinate, listLimit: listLimit),
      progress: bar)
    if outputOptions.json {
      try Output.printJSON(report)
    } else {
      print(report.text)
    }
    if !report.isValid { throw ExitCode(1) }
  }
}
