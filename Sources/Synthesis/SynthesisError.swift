/// An error from the synthetic dataset generator.
public struct SynthesisError: Error, CustomStringConvertible, Sendable {
  /// The kind of failure.
  public enum Code: String, Sendable {
    /// The speech corpus folder is missing, empty or malformed.
    case speechCorpusUnavailable
    /// The configuration cannot be synthesised (e.g. a split the task does not have).
    case invalidConfiguration
    /// The output folder already holds a split and overwriting was not requested.
    case outputExists
    /// The output cannot be written (read-only or full file system, permissions).
    case writeFailed
  }

  /// What went wrong.
  public var code: Code
  /// Explanation, with the fix where one is known.
  public var message: String

  /// Creates an error.
  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  /// One line: the path (if any) and the message.
  public var description: String { message }
}
