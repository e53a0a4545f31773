public import Datasets
public import Foundation
public import Metrics
import L3DASCore
import NumPyIO

/// The one reader that decides what a submission's files mean, for every command: `validate`
/// checks them with it, and `score`, `leaderboard` and `predict` read the values they score
/// through it. A file that the validator accepts is read the same way here (the same bytes,
/// the same parser, the same `Float` values or rows); a file it refuses throws
/// `SubmissionFileError` with the validator's own problem lines.
///
/// The submission is a folder or a `.zip` read in place (never extracted). Reads may run on
/// several threads at once.
///
/// ```swift
/// let items = try SubmissionItems(url: submission, task: .speechEnhancement)
/// let estimate = try items.estimate("1272-128104-0000", expectedLength: 76_672)
/// ```
public final class SubmissionItems: @unchecked Sendable {
  /// The submission folder or archive.
  public let url: URL
  /// The task whose files are read (`.npy` for Task 1, `.csv` for Task 2).
  public let task: Task
  /// Problems of the listing itself (refused links, FIFOs, unsafe or encrypted archive
  /// entries), as `validate` reports them.
  public let listingProblems: [SubmissionProblem]
  private let contents: SubmissionContents
  private let entries: [String: SubmissionEntry]

  /// Lists the submission at `url` (with `subtrack`, only its L3DAS23 `task<N>/<K>mic/`
  /// folder).
  /// - Throws: `SubmissionError` if it does not exist, is neither a folder nor a zip, or has
  ///   no folder for `subtrack`.
  public init(url: URL, task: Task, subtrack: Subtrack? = nil) throws {
    self.url = url
    self.task = task
    contents = try SubmissionContents(url: url, subtrack: subtrack)
    listingProblems = contents.problems
    let suffix = task == .speechEnhancement ? ".npy" : ".csv"
    var entries: [String: SubmissionEntry] = [:]
    for entry in contents.entries where !entry.isNested && entry.name.hasSuffix(suffix) {
      let id = String(entry.name.dropLast(suffix.count))
      if entries[id] == nil { entries[id] = entry }
    }
    self.entries = entries
  }

  /// The item ids that have a file (`<id>.npy` / `<id>.csv` at the top of the submission).
  public var ids: Set<String> { Set(entries.keys) }

  /// The files the listing refused by name (a link or FIFO named like an item), by item id.
  public var refusedIDs: Set<String> {
    let suffix = task == .speechEnhancement ? ".npy" : ".csv"
    return Set(
      listingProblems.compactMap { problem in
        guard let file = problem.file, file.hasSuffix(suffix), !file.contains("/") else { return nil }
        return String(file.dropLast(suffix.count))
      })
  }

  /// The Task 1 estimate of item `id`, checked exactly as `validate` checks it (a mono
  /// float array of `expectedLength` samples, finite in float32).
  /// - Throws: `SubmissionFileError` with the validator's error lines for the file.
  public func estimate(_ id: String, expectedLength: Int) throws -> [Float] {
    precondition(task == .speechEnhancement, "estimate(_:) reads Task 1 submissions")
    let entry = try entry(id)
    let (problems, values) = Task1Check(expectedLength: expectedLength).read(entry, reader: contents.makeReader())
    guard let values, !problems.contains(where: { $0.severity == .error }) else {
      throw SubmissionFileError(
        file: entry.path, problems: SubmissionValidator.ordered(problems.filter { $0.severity == .error }))
    }
    return values
  }

  /// The Task 2 rows of item `id`, checked exactly as `validate` checks them (every row
  /// parses, frames below `frameCount`, coordinates within ±`coordinateLimit` m, at most 3
  /// instances of a class per frame).
  /// - Throws: `SubmissionFileError` with the validator's error lines for the file.
  ///
  /// With `coordinates` `.cylindrical` (L3DAS23) rows are `frame,class,rho,theta,z` and the
  /// returned positions are their Cartesian conversion (x = −ρ sin θ, y = ρ cos θ).
  public func rows(
    _ id: String, frameCount: Int, coordinateLimit: Double = 5, coordinates: CoordinateSystem = .cartesian
  ) throws -> [DetectionRow] {
    precondition(task == .soundEventLocalizationDetection, "rows(_:) reads Task 2 submissions")
    let entry = try entry(id)
    let check = Task2Check(
      frameCount: frameCount, coordinateLimit: coordinateLimit, listLimit: 10, coordinates: coordinates)
    let (problems, rows) = check.read(entry, reader: contents.makeReader())
    let errors = problems.filter { $0.severity == .error }
    guard errors.isEmpty else {
      throw SubmissionFileError(file: entry.path, problems: SubmissionValidator.ordered(errors))
    }
    return rows
  }

  /// One Task 1 estimate file on its own (`l3das stoi`), checked and read like an item of a
  /// submission.
  /// - Throws: `SubmissionFileError` naming the file.
  public static func estimate(fileAt url: URL, expectedLength: Int) throws -> [Float] {
    let bytes: [UInt8]
    do {
      bytes = [UInt8](try RegularFile.read(url, limit: 1 << 30))
    } catch let failure as RegularFile.Failure {
      throw SubmissionFileError(
        file: url.path, problems: [SubmissionProblem(.error, .unreadableFile, file: url.path, failure.message)])
    }
    let check = Task1Check(expectedLength: expectedLength)
    let problems = SubmissionValidator.ordered(check.check(bytes, file: url.path).filter { $0.severity == .error })
    guard problems.isEmpty else { throw SubmissionFileError(file: url.path, problems: problems) }
    do {
      return try bytes.withUnsafeBytes { try NumPyFile.readFloats($0, path: url.path).values }
    } catch {
      throw SubmissionFileError(
        file: url.path, problems: [SubmissionProblem(.error, .invalidNumPy, file: url.path, "\(error)")])
    }
  }

  private func entry(_ id: String) throws -> SubmissionEntry {
    let suffix = task == .speechEnhancement ? ".npy" : ".csv"
    if let entry = entries[id] { return entry }
    let refused = listingProblems.filter { $0.file == id + suffix }
    throw SubmissionFileError(
      file: id + suffix,
      problems: refused.isEmpty
        ? [SubmissionProblem(.error, .missingItem, file: id + suffix, "the submission has no \(id + suffix)")]
        : refused)
  }
}

/// A submission file that is not valid: the problems `validate` reports for it.
public struct SubmissionFileError: Error, CustomStringConvertible, Sendable {
  /// The file, relative to the submission.
  public var file: String
  /// Its errors, in the validator's words.
  public var problems: [SubmissionProblem]

  /// The validator's lines, one per problem.
  public var description: String { problems.map(\.description).joined(separator: "\n") }
}
