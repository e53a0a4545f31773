public import Datasets
public import Foundation
import L3DASCore
public import Metrics
import NumPyIO

/// Writes a Task 1 or Task 2 submission folder item by item, atomically: files go into a
/// hidden staging folder beside the destination, which `commit()` renames into place. An
/// interrupted or failed run leaves no partial submission (the staging folder is removed when
/// the writer is discarded), and the destination never holds a mix of old and new files.
///
/// Items may be added from several threads at once.
///
/// ```swift
/// let writer = try SubmissionWriter(destination: out, task: .soundEventLocalizationDetection)
/// for (id, rows) in predictions { try writer.addTask2(id: id, rows: rows) }
/// try writer.commit()
/// ```
public final class SubmissionWriter: @unchecked Sendable {
  /// How Task 2 class fields are written.
  public enum ClassSpelling: String, Sendable, CaseIterable {
    /// Ids 0–13, as the official `gen_submission_list_task2` writes them.
    case id
    /// Official names (`Knock`).
    case name
  }

  /// The folder the submission ends up in.
  public let destination: URL
  /// The task whose files are written.
  public let task: Task
  /// Task 2: how classes are spelled.
  public let classSpelling: ClassSpelling
  /// Task 2: frames per scene; rows must have `frame < frameCount` (`nil`: not checked).
  public let frameCount: Int?
  /// The command named in the folder's `OutputFolder` marker, if one is written.
  public let markerCommand: String?

  private let staging: URL
  private let replaceExisting: Bool
  private let lock = NSLock()
  private var ids: Set<String> = []
  private var finished = false

  /// Starts a submission.
  /// - Parameters:
  ///   - destination: the submission folder to create.
  ///   - task: Task 1 (`.npy` per item) or Task 2 (`.csv` per item).
  ///   - classSpelling: Task 2 class fields, ids (default, as the official code) or names.
  ///   - frameCount: Task 2 frames per scene, to refuse rows outside it.
  ///   - replaceExisting: replace an existing destination on `commit()` instead of failing.
  ///     With a `markerCommand`, only a folder that carries that command's marker (and holds
  ///     none of `inputs` nor the current folder) may be replaced (`OutputFolder`).
  ///   - markerCommand: leave an `OutputFolder` marker for this command in the submission
  ///     (`l3das validate` ignores it), so a later run may replace the folder.
  ///   - inputs: what the run reads; the destination must not hold any of them.
  /// - Throws: `SubmissionError.writeFailed` if the destination exists (and may not be
  ///   replaced) or the staging folder cannot be created.
  public init(
    destination: URL, task: Task, classSpelling: ClassSpelling = .id, frameCount: Int? = nil,
    replaceExisting: Bool = false, markerCommand: String? = nil, inputs: [URL] = []
  ) throws {
    self.destination = destination
    self.task = task
    self.classSpelling = classSpelling
    self.frameCount = frameCount
    self.replaceExisting = replaceExisting
    self.markerCommand = markerCommand
    let manager = FileManager.default
    if let markerCommand {
      do {
        try OutputFolder.checkReplaceable(
          destination, command: markerCommand, inputs: inputs, replace: replaceExisting)
      } catch let error as OutputFolderError {
        throw SubmissionError(.writeFailed, error.description)
      }
    } else if manager.fileExists(atPath: destination.path) && !replaceExisting {
      throw SubmissionError(
        .writeFailed, "\(destination.path) already exists; choose another folder or replace it")
    }
    StagingPath.removeStale(besides: destination)
    staging = StagingPath.make(besides: destination)
    do {
      try manager.createDirectory(at: staging, withIntermediateDirectories: true)
    } catch {
      throw SubmissionError(
        .writeFailed, "cannot create \(staging.path): \(error.localizedDescription)")
    }
  }

  deinit {
    if !finished { try? FileManager.default.removeItem(at: staging) }
  }

  /// Adds the Task 1 estimate of item `id`: mono speech at 16 kHz, as many samples as the
  /// item's `_A.wav`, written as a float32 `.npy` of shape `(N,)`.
  /// - Throws: `SubmissionError.invalidValues` for an empty estimate, a NaN or infinite
  ///   sample, a bad id or an id written twice; `.writeFailed` if the file cannot be written.
  public func addTask1(id: String, estimate: [Float]) throws {
    precondition(task == .speechEnhancement, "addTask1 on a Task 2 writer")
    guard !estimate.isEmpty else {
      throw SubmissionError(.invalidValues, "\(id): the estimate is empty")
    }
    if let bad = estimate.firstIndex(where: { !$0.isFinite }) {
      throw SubmissionError(
        .invalidValues, "\(id): sample \(bad) is \(estimate[bad]); estimates must be finite")
    }
    try claim(id)
    let data = NumPyFile.encode(estimate, shape: [estimate.count])
    try write(data, name: "\(id).npy")
  }

  /// Adds the Task 2 detections of item `id`, written as a headerless CSV of
  /// `frame,class,x,y,z` rows ordered by frame and class (an empty list writes an empty file:
  /// nothing detected).
  /// - Throws: `SubmissionError.invalidValues` for a negative or out-of-range frame, a
  ///   non-finite coordinate, more than 3 rows of one class in a frame, a bad id or an id
  ///   written twice; `.writeFailed` if the file cannot be written.
  public func addTask2(id: String, rows: [DetectionRow]) throws {
    precondition(task == .soundEventLocalizationDetection, "addTask2 on a Task 1 writer")
    var perClassFrame: [Int: Int] = [:]
    for row in rows {
      guard row.frame >= 0, frameCount.map({ row.frame < $0 }) ?? true else {
        throw SubmissionError(
          .invalidValues,
          "\(id): frame \(row.frame) is outside 0..<\(frameCount.map(String.init) ?? "∞")")
      }
      guard row.position.x.isFinite, row.position.y.isFinite, row.position.z.isFinite else {
        throw SubmissionError(
          .invalidValues, "\(id): frame \(row.frame) has a non-finite coordinate \(row.position)")
      }
      let key = row.frame * SoundClass.allCases.count + row.soundClass.rawValue
      perClassFrame[key, default: 0] += 1
      if perClassFrame[key]! > 3 {
        throw SubmissionError(
          .invalidValues,
          "\(id): frame \(row.frame) has more than 3 rows of \(row.soundClass.officialName)")
      }
    }
    try claim(id)
    try write(Data(Self.csvText(rows, classSpelling: classSpelling).utf8), name: "\(id).csv")
  }

  /// The CSV text of `rows`, ordered by (frame, class), stable within a pair.
  public static func csvText(_ rows: [DetectionRow], classSpelling: ClassSpelling = .id) -> String {
    let ordered = rows.enumerated().sorted { a, b in
      let (p, q) = (a.element, b.element)
      if p.frame != q.frame { return p.frame < q.frame }
      if p.soundClass != q.soundClass { return p.soundClass < q.soundClass }
      return a.offset < b.offset
    }
    var text = ""
    text.reserveCapacity(rows.count * 48)
    for (_, row) in ordered {
      let soundClass =
        classSpelling == .id ? String(row.soundClass.rawValue) : row.soundClass.officialName
      text += "\(row.frame),\(soundClass),\(row.position.x),\(row.position.y),\(row.position.z)\n"
    }
    return text
  }

  /// The ids added so far.
  public var addedIDs: Set<String> { lock.withLock { ids } }

  /// Moves the finished submission into place.
  /// - Returns: the destination.
  /// - Throws: `SubmissionError.writeFailed` if it cannot be moved (the staging folder is
  ///   removed and an existing destination is kept).
  @discardableResult
  public func commit() throws -> URL {
    try lock.withLock {
      precondition(!finished, "commit() called twice")
      finished = true
      let manager = FileManager.default
      do {
        if let markerCommand {
          try OutputFolder.mark(staging, command: markerCommand)
          // Checked again: the folder may have changed since the run started.
          try OutputFolder.checkReplaceable(
            destination, command: markerCommand, replace: replaceExisting)
        }
        if manager.fileExists(atPath: destination.path) {
          guard replaceExisting else {
            throw SubmissionError(.writeFailed, "\(destination.path) appeared meanwhile; not replaced")
          }
          // Old aside, new in, old removed: the destination is always one whole submission.
          let old = StagingPath.make(besides: destination, kind: "old")
          try manager.moveItem(at: destination, to: old)
          do {
            try manager.moveItem(at: staging, to: destination)
          } catch {
            try? manager.moveItem(at: old, to: destination)
            throw error
          }
          try? manager.removeItem(at: old)
        } else {
          try manager.moveItem(at: staging, to: destination)
        }
      } catch {
        try? manager.removeItem(at: staging)
        if let error = error as? SubmissionError { throw error }
        if let error = error as? OutputFolderError { throw SubmissionError(.writeFailed, error.description) }
        throw SubmissionError(
          .writeFailed, "cannot move the submission to \(destination.path): \(error.localizedDescription)")
      }
      return destination
    }
  }

  /// Abandons the submission: removes the staging folder; the destination is untouched.
  public func discard() {
    lock.withLock {
      guard !finished else { return }
      finished = true
      try? FileManager.default.removeItem(at: staging)
    }
  }

  private func claim(_ id: String) throws {
    guard !id.isEmpty, !id.contains("/"), !id.hasPrefix("."), id != ".." else {
      throw SubmissionError(.invalidValues, "'\(id)' is not a valid item id")
    }
    try lock.withLock {
      guard !finished else {
        throw SubmissionError(.writeFailed, "the submission was already committed or discarded")
      }
      guard ids.insert(id).inserted else {
        throw SubmissionError(.invalidValues, "\(id) was added twice")
      }
    }
  }

  private func write(_ data: Data, name: String) throws {
    do {
      try data.write(to: staging.appendingPathComponent(name))
    } catch {
      throw SubmissionError(.writeFailed, "cannot write \(name): \(error.localizedDescription)")
    }
  }
}
