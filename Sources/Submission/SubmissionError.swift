/// A validation or writing job that cannot run at all: the inputs are missing or are not what
/// they must be. (Problems *in* a submission are `SubmissionProblem`s in the report.)
public struct SubmissionError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The kind of failure.
  public enum Code: String, Sendable, Codable {
    /// The submission path does not exist.
    case submissionNotFound
    /// The submission is neither a folder nor a `.zip` archive.
    case notASubmission
    /// The test folder does not exist or holds no `*_A.wav` items.
    case invalidTestFolder
    /// The values to write are not a valid submission (wrong shape, NaN, bad row).
    case invalidValues
    /// Writing the submission failed; nothing was left behind.
    case writeFailed
  }

  /// What went wrong.
  public var code: Code
  /// Explanation naming the path and what was expected.
  public var message: String

  /// Creates an error.
  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  public var description: String { message }
}
