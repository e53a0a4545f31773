public import AudioIO

/// The name of a Task 1 utterance: a LibriSpeech-style id such as `1272-128104-0000`
/// (`speaker-chapter-utterance`).
///
/// The id is kept as text. It must be non-empty and contain no `_`, `/` or `.`, which is what
/// makes `<id>_A.wav` and `<id>.wav` unambiguous (the official validator relies on the same
/// property).
/// ```swift
/// let id = try Task1RecordingID(validating: "1272-128104-0000")
/// id.audioFileName(.b)      // "1272-128104-0000_B.wav"   (in data/)
/// id.cleanFileName          // "1272-128104-0000.wav"     (in labels/)
/// id.transcriptFileName     // "1272-128104-0000.txt"     (in labels/)
/// ```
public struct Task1RecordingID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
  /// The id text.
  public let rawValue: String

  /// Validates `value`; returns `nil` if it is not a usable id.
  public init?(_ value: String) {
    guard Self.problem(with: value) == nil else { return nil }
    rawValue = value
  }

  /// Validates `value`.
  ///
  /// - Throws: `DatasetError` `.invalidValue` saying why the id is rejected.
  public init(validating value: String) throws {
    if let problem = Self.problem(with: value) {
      throw DatasetError(.invalidValue, "invalid Task 1 recording id '\(value)': \(problem)")
    }
    rawValue = value
  }

  private static func problem(with value: String) -> String? {
    if value.isEmpty { return "it is empty" }
    for forbidden in ["_", "/", "."] where value.contains(forbidden) {
      return "it contains '\(forbidden)'"
    }
    return nil
  }

  /// The id text.
  public var description: String { rawValue }

  /// The noisy mixture file of one microphone (for example `1272-128104-0000_A.wav`).
  public func audioFileName(_ mic: Microphone) -> String { "\(rawValue)\(mic.fileSuffix).wav" }

  /// The clean target speech file, `<id>.wav`.
  public var cleanFileName: String { "\(rawValue).wav" }

  /// The transcript file, `<id>.txt`.
  public var transcriptFileName: String { "\(rawValue).txt" }

  /// Orders ids by their text (Unicode order), which is deterministic on every platform.
  public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

  /// Decodes a single string and validates it.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    try self.init(validating: container.decode(String.self))
  }

  /// Encodes the id as a single string.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(rawValue)
  }
}
