/// A safetensors file that cannot be read, or tensors that cannot be written.
///
/// The message names the tensor (when one is concerned) and says what was expected and what
/// was found; `description` is one line with the file's path first.
public struct SafeTensorsError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The kind of problem; a closed set callers can switch over.
  public enum Code: String, Sendable, Codable {
    /// The file does not exist or cannot be read.
    case unreadable
    /// The file is shorter than its 8-byte header length plus the header it announces.
    case truncated
    /// The header length is zero, above 100 MB, or larger than the file.
    case invalidHeaderLength
    /// The header is not well-formed JSON, not an object, or an entry lacks `dtype`,
    /// `shape` or `data_offsets` of the right type.
    case malformedHeader
    /// A tensor name occurs twice in the header.
    case duplicateName
    /// The dtype string is not one this reader knows (e.g. `F8_E4M3`, `C64`).
    case unsupportedDType
    /// Data offsets are reversed, out of the data area, overlapping or leave a gap.
    case invalidOffsets
    /// A tensor's byte count differs from product(shape) × dtype size.
    case shapeMismatch
    /// Bytes follow the last tensor's data.
    case trailingData
    /// The file has no tensor of the requested name.
    case missingTensor
    /// The tensor's dtype cannot be converted to the requested element type (e.g. `int64s`
    /// of an F32 tensor).
    case typeMismatch
    /// Tensors to write are inconsistent (shape vs value count, empty or reserved name).
    case invalidTensor
    /// The file could not be created, written or moved into place.
    case writeFailed
  }

  /// What went wrong.
  public var code: Code
  /// Explanation with the tensor name, the expected and the found value.
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
