import Datasets
import Foundation
import Submission

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

/// Collects the invalid files of a submission found by parallel workers, so that `score`
/// lists every bad file at once (as `validate` does) instead of stopping at the first.
final class InvalidFiles: @unchecked Sendable {
  private let lock = NSLock()
  private var found: [(index: Int, error: SubmissionFileError)] = []

  /// Records the error of item `index`.
  func add(_ index: Int, _ error: SubmissionFileError) { lock.withLock { found.append((index, error)) } }

  /// Throws a `ScoringError.invalidFile` listing every recorded file in item order, if any.
  func throwIfAny(submission: String) throws {
    let sorted = lock.withLock { found.sorted { $0.index < $1.index } }
    guard !sorted.isEmpty else { return }
    let lines = sorted.flatMap { $0.error.problems.map { "  " + $0.description } }
    throw ScoringError(
      .invalidFile,
      "\(submission): \(sorted.count) file\(sorted.count == 1 ? " is" : "s are") not valid, so nothing was scored "
        + "(the same problems 'l3das validate' reports):\n" + lines.joined(separator: "\n"))
  }
}

/// Lists a submission for scoring, with a scoring error for a path that is no submission.
func submissionItems(_ url: URL, task: Task, subtrack: Subtrack? = nil) throws -> SubmissionItems {
  do {
    return try SubmissionItems(url: url, task: task, subtrack: subtrack)
  } catch let error as SubmissionError {
    throw ScoringError(.notFound, error.message)
  }
}
