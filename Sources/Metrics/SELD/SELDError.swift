/// An error from reading Task 2 detection rows: a submission or reference CSV in the
/// headerless `frame,class,x,y,z` format.
///
/// `description` is one line in the compiler style `path:row: message`, so a command-line
/// user can jump straight to the offending row:
/// ```
/// pred/split0_1.csv:3: unknown class 'Dog'; expected an official name such as Knock or an id 0–13
/// ```
public struct SELDError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The kind of failure; a closed set callers can switch over.
  public enum Code: String, Sendable, Equatable, Codable, CaseIterable {
    /// The file does not exist.
    case notFound
    /// The file exists but could not be read.
    case readFailed
    /// The first row looks like a header (submission CSVs have none).
    case headerRow
    /// A row does not have exactly five comma-separated fields.
    case wrongFieldCount
    /// The frame field is not a whole number, or is negative.
    case invalidFrame
    /// The frame index is not below the file's frame count.
    case frameOutOfRange
    /// The class field is neither an official class name nor an id 0–13.
    case unknownClass
    /// A coordinate is not a number, or is NaN or infinite.
    case invalidCoordinate
  }

  /// What went wrong.
  public var code: Code
  /// A human-readable explanation that says what was expected and what was found.
  public var message: String
  /// The file concerned, if any.
  public var path: String?
  /// The 1-based line of `path` concerned, if any (for rows: the line the row is on; blank
  /// lines count).
  public var row: Int?

  /// Creates an error.
  public init(_ code: Code, _ message: String, path: String? = nil, row: Int? = nil) {
    self.code = code
    self.message = message
    self.path = path
    self.row = row
  }

  /// `path:row: message`, `path: message` or `message`, depending on what is known.
  public var description: String {
    switch (path, row) {
    case (let path?, let row?): "\(path):\(row): \(message)"
    case (let path?, nil): "\(path): \(message)"
    case (nil, let row?): "row \(row): \(message)"
    case (nil, nil): message
    }
  }
}
