/// A `.npy` file that cannot be read (or an array that cannot be written) safely.
public struct NumPyError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The kind of problem.
  public enum Code: String, Sendable, Codable {
    /// The file does not exist or cannot be read.
    case unreadable
    /// The file does not start with the `.npy` magic string.
    case notNumPy
    /// The file is a Python pickle (or an object array, which needs pickle); never loaded.
    case pickled
    /// The format version is not 1.0, 2.0 or 3.0.
    case unsupportedVersion
    /// The header dictionary is malformed.
    case malformedHeader
    /// The dtype is not a plain numeric type (structured, string, object, complex …).
    case unsupportedDType
    /// The file holds fewer data bytes than the header's shape needs.
    case truncated
    /// The file holds more bytes than the header's shape needs.
    case trailingData
    /// The array cannot be written (e.g. the shape does not match the value count).
    case invalidArray
  }

  /// What went wrong.
  public var code: Code
  /// Explanation with the expected and the found value.
  public var message: String
  /// The file concerned.
  public var path: String?

  /// Creates an error.
  public init(_ code: Code, _ message: String, path: String? = nil) {
    self.code = code
    self.message = message
    self.path = path
  }

  /// One line: the path (if any) and the message.
  public var description: String { path.map { "\($0): \(message)" } ?? message }
}
