/// An error with a closed set of kinds, a message and the file concerned: the shape every
/// module's error has (`DatasetError`, `SafeTensorsError`, …), as one generic type for the
/// newer modules, which name it through a type alias (`TorchCheckpointError`, `Wav2Vec2Error`).
///
/// `description` is one line, `path: message`.
public struct CodedError<Code: RawRepresentable & Sendable & Hashable>: Error, CustomStringConvertible,
  Sendable, Equatable
{
  /// What went wrong.
  public var code: Code
  /// Explanation with the value or key concerned and, where known, the fix.
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
