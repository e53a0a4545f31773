/// An error from reading, writing or pairing audio files.
///
/// The message names the file and says what was expected and what was found;
/// `description` is one line suitable for a command-line error.
public struct AudioIOError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The kind of failure; a closed set callers can switch over.
  public enum Code: String, Sendable, Equatable {
    /// The file does not exist.
    case fileNotFound
    /// The file exists but is not audio libsndfile understands (e.g. not a WAV file).
    case unreadableFormat
    /// The header promises more audio than the file holds.
    case truncated
    /// A requested frame range or channel lies outside the file.
    case invalidRange
    /// The samples to write contain NaN or infinity.
    case nonFiniteSamples
    /// The file could not be created, written or moved into place.
    case writeFailed
    /// The mic-A and mic-B files of a dual-mic recording do not match.
    case mismatchedPair
    /// The file's sample rate or channel count is not what the caller requires.
    case unexpectedFormat
  }

  /// What went wrong.
  public var code: Code
  /// A human-readable explanation including the fix where one is known.
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
  public var description: String {
    if let path { return "\(path): \(message)" }
    return message
  }
}
