/// A failure to download, check or extract a dataset archive.
///
/// `description` is one line, `path: message` when a file is concerned, in the style of
/// `DatasetError`.
public struct DownloadError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The kind of failure; a closed set callers can switch over.
  public enum Code: String, Sendable, Equatable, Codable {
    /// The connection failed, was lost or timed out (retried before being reported).
    case connection
    /// The server answered with an error status (`statusCode` says which).
    case httpStatus
    /// A downloaded or local file does not have the expected size, MD5 or SHA-256.
    case checksumMismatch
    /// Not enough free disk space for what is about to be written.
    case insufficientSpace
    /// An archive holds an entry with an absolute path, a `..` component or a symbolic link,
    /// an encrypted entry, two entries with one name, an entry that inflates beyond its
    /// declared size, or declares more expansion than allowed (a zip bomb).
    case unsafeArchive
    /// An archive cannot be read (truncated, not a zip, CRC or size error), or a body that
    /// should be a zip archive is something else (an HTML page, say).
    case corruptArchive
    /// Kaggle credentials are missing or were refused.
    case credentials
    /// A folder to be created already exists and was not created by this tool.
    case conflict
    /// The catalog resource is missing or malformed.
    case invalidCatalog
    /// A dataset or archive name is not in the catalog.
    case unknownSelection
    /// A file could not be read, written or moved.
    case fileSystem
  }

  /// What went wrong.
  public var code: Code
  /// An explanation, including the fix where one is known.
  public var message: String
  /// The file or URL concerned, if any.
  public var path: String?
  /// The HTTP status, for `.httpStatus`.
  public var statusCode: Int?

  /// Creates an error.
  public init(_ code: Code, _ message: String, path: String? = nil, statusCode: Int? = nil) {
    self.code = code
    self.message = message
    self.path = path
    self.statusCode = statusCode
  }

  /// Whether retrying the same request may succeed (connection loss, timeouts, 5xx, 408, 429).
  public var isTransient: Bool {
    switch code {
    case .connection: true
    case .httpStatus: statusCode.map { $0 >= 500 || $0 == 408 || $0 == 429 } ?? false
    default: false
    }
  }

  /// `path: message` or `message`.
  public var description: String { path.map { "\($0): \(message)" } ?? message }
}
