public import AudioIO

/// The name of a Task 2 scene, `split<X>_ov<K>_<Y>`: recording split `X` (0–3 train, 4 dev),
/// at most `K` overlapping sounds (1–3), running index `Y`.
///
/// Parsed structurally, never by slicing characters:
/// ```swift
/// let id = try Task2RecordingID(parsing: "split4_ov2_13")   // split 4, ov 2, index 13
/// id.audioFileName(.a)    // "split4_ov2_13_A.wav"
/// id.labelFileName        // "label_split4_ov2_13.csv"
/// ```
public struct Task2RecordingID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
  /// The recording split number `X`.
  public var splitNumber: Int
  /// The maximum number of overlapping sounds `K` (1–3).
  public var overlap: Int
  /// The running index `Y`.
  public var index: Int

  /// Creates an id from its parts.
  public init(splitNumber: Int, overlap: Int, index: Int) {
    precondition(splitNumber >= 0 && overlap >= 1 && index >= 0, "invalid Task 2 id parts")
    self.splitNumber = splitNumber
    self.overlap = overlap
    self.index = index
  }

  /// Parses `split<X>_ov<K>_<Y>`; returns `nil` for anything else.
  public init?(_ name: String) {
    let parts = name.split(separator: "_", omittingEmptySubsequences: false)
    guard parts.count == 3, parts[0].hasPrefix("split"), parts[1].hasPrefix("ov"),
      let x = Self.number(parts[0].dropFirst(5)), let k = Self.number(parts[1].dropFirst(2)),
      let y = Self.number(parts[2]), k >= 1
    else { return nil }
    self.init(splitNumber: x, overlap: k, index: y)
  }

  private static func number(_ text: Substring) -> Int? {
    guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
    return Int(text)
  }

  /// `split<X>_ov<K>_<Y>`.
  public var description: String { "split\(splitNumber)_ov\(overlap)_\(index)" }

  /// The audio file name of one microphone, e.g. `split4_ov2_13_A.wav`.
  public func audioFileName(_ mic: Microphone) -> String { "\(description)_\(mic.rawValue).wav" }

  /// The label file name, `label_split<X>_ov<K>_<Y>.csv`.
  public var labelFileName: String { "label_\(description).csv" }

  /// Orders by split number, then overlap, then index.
  public static func < (lhs: Self, rhs: Self) -> Bool {
    (lhs.splitNumber, lhs.overlap, lhs.index) < (rhs.splitNumber, rhs.overlap, rhs.index)
  }
}
