/// A submission or truth folder that cannot be scored as given.
public struct ScoringError: Error, CustomStringConvertible, Sendable {
  /// The kind of problem.
  public enum Code: String, Sendable, Codable {
    /// A folder is missing or holds none of the expected files.
    case notFound
    /// Submission and truth do not hold the same items; every difference is listed.
    case mismatchedItems
    /// A submitted file is unreadable or has the wrong shape, length or values.
    case invalidFile
  }

  /// What went wrong.
  public var code: Code
  /// Explanation; for `.mismatchedItems` every missing and extra item.
  public var message: String

  /// Creates an error.
  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  /// One line or a short list: the message.
  public var description: String { message }
}

/// Describes the differences between the ids a submission has and the ids the truth has.
func mismatchMessage(missing: [String], extra: [String], submission: String, fileExtension: String) -> String? {
  guard !missing.isEmpty || !extra.isEmpty else { return nil }
  var lines = ["\(submission) does not match the truth:"]
  func list(_ ids: [String]) -> String {
    ids.prefix(20).map { "\($0).\(fileExtension)" }.joined(separator: ", ") + (ids.count > 20 ? ", … (\(ids.count) in all)" : "")
  }
  if !missing.isEmpty { lines.append("  missing \(missing.count): \(list(missing))") }
  if !extra.isEmpty { lines.append("  not in the truth \(extra.count): \(list(extra))") }
  return lines.joined(separator: "\n")
}
