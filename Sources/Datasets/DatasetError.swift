/// An error from finding, listing, parsing or hashing dataset files.
///
/// `description` is one line in the compiler style `path:line: message`, so a command-line
/// user can jump straight to the offending row of a CSV file:
/// ```
/// /data/L3DAS22_Task2_dev/labels/label_split4_ov1_3.csv:7: column End: 'x' is not a number
/// ```
public struct DatasetError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The kind of failure; a closed set callers can switch over.
  public enum Code: String, Sendable, Equatable, Codable {
    /// A path the caller named (dataset root, split folder, file) does not exist.
    case notFound
    /// A folder exists but does not look like an L3DAS dataset or split.
    case unrecognizedLayout
    /// A CSV file is structurally wrong: no header, a missing column, a wrong field count,
    /// an unparsable number, an unterminated quote.
    case malformedCSV
    /// A file the layout requires (mic-B partner, label, clean target, transcript) is absent.
    case missingFile
    /// A value is well-formed but not acceptable: NaN or infinity, an unknown class, an end
    /// before its start, a negative time, an invalid recording id.
    case invalidValue
    /// A file exists but could not be read (permissions, I/O error, not UTF-8 text).
    case readFailed
    /// A file could not be written or moved into place.
    case writeFailed
    /// libcrypto could not compute a digest (for example MD5 disabled by a FIPS policy).
    case digestFailed
  }

  /// What went wrong.
  public var code: Code
  /// A human-readable explanation, including the fix where one is known.
  public var message: String
  /// The file or folder concerned, if any.
  public var path: String?
  /// The 1-based line of `path` concerned, if any (for CSV rows: the line the row starts on).
  public var line: Int?

  /// Creates an error.
  public init(_ code: Code, _ message: String, path: String? = nil, line: Int? = nil) {
    self.code = code
    self.message = message
    self.path = path
    self.line = line
  }

  /// `path:line: message`, `path: message` or `message`, depending on what is known.
  public var description: String {
    switch (path, line) {
    case (let path?, let line?): "\(path):\(line): \(message)"
    case (let path?, nil): "\(path): \(message)"
    case (nil, let line?): "line \(line): \(message)"
    case (nil, nil): message
    }
  }
}
