public import Datasets

/// The outcome of validating a submission: every problem found, and what was checked.
public struct SubmissionReport: Sendable, Codable {
  /// The task checked (1 or 2).
  public var task: Int
  /// The edition whose frame count Task 2 rows were checked against (`nil` for Task 1, or
  /// when the test audio's length matches no edition).
  public var edition: Edition?
  /// Task 2: frames per scene (rows need `0 ≤ frame < frameCount`).
  public var frameCount: Int?
  /// The submission checked (folder or `.zip`).
  public var submission: String
  /// The test folder whose `_A.wav` items the submission answers.
  public var testFolder: String
  /// How many test items there are.
  public var expectedItemCount: Int
  /// How many item files the submission holds (after ignoring macOS metadata).
  public var submittedFileCount: Int
  /// How many test items have a file with no error.
  public var validItemCount: Int
  /// Every problem, ordered by file and line (submission-wide ones first).
  public var problems: [SubmissionProblem]

  /// The number of errors.
  public var errorCount: Int { problems.filter { $0.severity == .error }.count }
  /// The number of warnings.
  public var warningCount: Int { problems.filter { $0.severity == .warning }.count }
  /// Whether the submission is valid: no errors (warnings allowed).
  public var isValid: Bool { errorCount == 0 }

  /// The report for people: one line per problem, then a summary line.
  public var text: String {
    var lines = problems.map(\.description)
    let verdict = isValid ? "valid" : "INVALID"
    let counted =
      "\(errorCount) error\(errorCount == 1 ? "" : "s"), \(warningCount) warning\(warningCount == 1 ? "" : "s")"
    let scope =
      task == 2
      ? "Task 2, \(frameCount.map { "\($0) frames" } ?? "?")\(edition.map { " (\($0.displayName))" } ?? "")"
      : "Task 1"
    lines.append(
      "\(submission): \(verdict) \(scope) submission — \(validItemCount)/\(expectedItemCount) items valid, \(counted)"
    )
    return lines.joined(separator: "\n")
  }

  private enum CodingKeys: String, CodingKey {
    case task, edition, frameCount, submission, testFolder, expectedItemCount,
      submittedFileCount, validItemCount, isValid, errorCount, warningCount, problems
  }

  /// Creates a report.
  public init(
    task: Int, edition: Edition?, frameCount: Int?, submission: String, testFolder: String,
    expectedItemCount: Int, submittedFileCount: Int, validItemCount: Int,
    problems: [SubmissionProblem]
  ) {
    self.task = task
    self.edition = edition
    self.frameCount = frameCount
    self.submission = submission
    self.testFolder = testFolder
    self.expectedItemCount = expectedItemCount
    self.submittedFileCount = submittedFileCount
    self.validItemCount = validItemCount
    self.problems = problems
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    task = try c.decode(Int.self, forKey: .task)
    edition = try c.decodeIfPresent(Edition.self, forKey: .edition)
    frameCount = try c.decodeIfPresent(Int.self, forKey: .frameCount)
    submission = try c.decode(String.self, forKey: .submission)
    testFolder = try c.decode(String.self, forKey: .testFolder)
    expectedItemCount = try c.decode(Int.self, forKey: .expectedItemCount)
    submittedFileCount = try c.decode(Int.self, forKey: .submittedFileCount)
    validItemCount = try c.decode(Int.self, forKey: .validItemCount)
    problems = try c.decode([SubmissionProblem].self, forKey: .problems)
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(task, forKey: .task)
    try c.encodeIfPresent(edition, forKey: .edition)
    try c.encodeIfPresent(frameCount, forKey: .frameCount)
    try c.encode(submission, forKey: .submission)
    try c.encode(testFolder, forKey: .testFolder)
    try c.encode(expectedItemCount, forKey: .expectedItemCount)
    try c.encode(submittedFileCount, forKey: .submittedFileCount)
    try c.encode(validItemCount, forKey: .validItemCount)
    try c.encode(isValid, forKey: .isValid)
    try c.encode(errorCount, forKey: .errorCount)
    try c.encode(warningCount, forKey: .warningCount)
    try c.encode(problems, forKey: .problems)
  }
}
