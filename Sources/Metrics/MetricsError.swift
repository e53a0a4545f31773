/// An error from computing a metric: inputs the metric cannot be evaluated on.
///
/// The message says what was expected and what was found; `description` is one line, prefixed
/// with `path:row:` when the error concerns a file (and a row in it), in the compiler style.
///
/// ```swift
/// do { _ = try STOI.stoi(clean: x, estimate: y, sampleRate: 16_000) }
/// catch let error as MetricsError where error.code == .lengthMismatch { … }
/// ```
public struct MetricsError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The kind of failure; a closed set callers can switch over.
  public enum Code: String, Sendable, Equatable, Codable, CaseIterable {
    /// Two signals that must be aligned sample by sample have different lengths.
    case lengthMismatch
    /// A signal contains NaN or infinity.
    case nonFiniteSamples
    /// A signal has no samples.
    case emptySignal
    /// The sample rate is not positive, or cannot be converted to the metric's rate.
    case invalidSampleRate
    /// A resource the metric needs (such as an FFT plan) could not be created.
    case setupFailed
    /// A Task 2 detection file does not exist.
    case notFound
    /// A Task 2 detection file exists but could not be read.
    case readFailed
    /// The first row of a Task 2 detection file looks like a header (submission CSVs have none).
    case headerRow
    /// A Task 2 row does not have exactly five comma-separated fields.
    case wrongFieldCount
    /// A Task 2 frame field is not a whole number, or is negative.
    case invalidFrame
    /// A Task 2 frame index is not below the file's frame count.
    case frameOutOfRange
    /// A Task 2 class field is neither an official class name nor an id 0–13.
    case unknownClass
    /// A Task 2 coordinate is not a number, or is NaN or infinite.
    case invalidCoordinate
  }

  /// What went wrong.
  public var code: Code
  /// A human-readable explanation: what was expected and what was found.
  public var message: String
  /// The file concerned, if any.
  public var path: String?
  /// The 1-based row (line) in `path` concerned, if any.
  public var row: Int?

  /// Creates an error.
  ///
  /// - Parameters:
  ///   - code: the kind of failure.
  ///   - message: the explanation.
  ///   - path: the file concerned, if any.
  ///   - row: the 1-based row in `path`, if any.
  public init(_ code: Code, _ message: String, path: String? = nil, row: Int? = nil) {
    self.code = code
    self.message = message
    self.path = path
    self.row = row
  }

  /// One line: `path:row: message`, `path: message`, `row N: message` or the bare message.
  public var description: String {
    switch (path, row) {
    case (let path?, let row?): "\(path):\(row): \(message)"
    case (let path?, nil): "\(path): \(message)"
    case (nil, let row?): "row \(row): \(message)"
    case (nil, nil): message
    }
  }
}
