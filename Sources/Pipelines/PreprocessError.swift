/// A preprocessing run that cannot start or finish as asked.
///
/// Problems with single items are not errors: they are listed in the manifest and the item is
/// skipped (with `strict`, the item's own error is thrown instead).
public struct PreprocessError: Error, CustomStringConvertible, Sendable {
  /// The kind of problem.
  public enum Code: String, Sendable, Codable {
    /// The options do not fit the input (wrong task for the split, bad sizes).
    case invalidOptions
    /// The output folder cannot be created or written.
    case writeFailed
    /// The split holds no items.
    case empty
    /// With `strict`: files that belong to no item (label files without a recording).
    case unmatchedFiles
  }

  /// What went wrong.
  public var code: Code
  /// Explanation naming the folder and the fix.
  public var message: String

  /// Creates an error.
  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  /// One line: the message.
  public var description: String { message }
}
