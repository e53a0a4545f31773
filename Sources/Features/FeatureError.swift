/// An error from building features or labels.
///
/// The message names the file (when one is concerned) and says what was expected and what was
/// found; `description` is one line suitable for a command-line error.
public struct FeatureError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The kind of failure; a closed set callers can switch over.
  public enum Code: String, Sendable, Codable {
    /// A fourth event of one class overlaps three others in some frame; the label matrix has
    /// three slots per class (the official converter raises an IndexError).
    case tooManyOverlaps
    /// Arrays whose shapes do not fit together (e.g. predictors and labels that give different
    /// segment counts, or a model output of the wrong width).
    case shapeMismatch
    /// Audio whose sample rate or channel count the pipeline cannot use.
    case unsupportedAudio
  }

  /// What went wrong.
  public var code: Code
  /// Explanation with the expected and the found value.
  public var message: String
  /// The file concerned, if any.
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
