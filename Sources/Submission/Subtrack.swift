public import Datasets
public import Foundation

/// One subtrack of an L3DAS23 submission: a task and a microphone count, the folder
/// `task<N>/<K>mic/` inside `{group}_{audioonly|audiovisual}.zip` (the L3DAS23 submission
/// layout; each subtrack folder holds the files of one flat submission).
///
/// ```swift
/// let subtracks = try Subtrack.present(in: zip)              // [task2/1mic, task2/2mic]
/// let items = try SubmissionItems(url: zip, task: .soundEventLocalizationDetection, subtrack: subtracks[0])
/// ```
public struct Subtrack: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
  /// The task of the subtrack's files.
  public var task: Task
  /// 1 (mic A) or 2 (mics A and B).
  public var microphones: Int

  /// Creates a subtrack.
  public init(task: Task, microphones: Int) {
    self.task = task
    self.microphones = microphones
  }

  /// Parses `task2/1mic`, `2/1mic` or `1mic` (with `task`).
  public init?(_ text: String, task: Task? = nil) {
    let parts = text.split(separator: "/").map(String.init)
    let micText = parts.last ?? ""
    guard micText.hasSuffix("mic"), let mics = Int(micText.dropLast(3)), mics == 1 || mics == 2 else { return nil }
    var parsedTask = task
    if parts.count == 2 {
      let name = parts[0].hasPrefix("task") ? String(parts[0].dropFirst(4)) : parts[0]
      guard let number = Int(name), let t = Task(rawValue: number) else { return nil }
      if let task, task != t { return nil }
      parsedTask = t
    } else if parts.count != 1 {
      return nil
    }
    guard let parsedTask else { return nil }
    self.init(task: parsedTask, microphones: mics)
  }

  /// The folder inside the submission, `task2/1mic`.
  public var folder: String { "task\(task.rawValue)/\(microphones)mic" }
  /// `task2/1mic`.
  public var description: String { folder }

  public static func < (a: Subtrack, b: Subtrack) -> Bool {
    (a.task.rawValue, a.microphones) < (b.task.rawValue, b.microphones)
  }

  /// The path of `path` inside this subtrack's folder (`task2/1mic/x.csv` → `x.csv`), also
  /// below one wrapper folder (`team/task2/1mic/x.csv`); `nil` for paths outside it.
  func relative(_ path: String) -> String? {
    let components = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    let mic = "\(microphones)mic"
    let taskFolder = "task\(task.rawValue)"
    for start in [0, 1] where components.count > start + 2 {
      if components[start] == taskFolder && components[start + 1] == mic {
        return components[(start + 2)...].joined(separator: "/")
      }
    }
    return nil
  }

  /// The subtracks a submission holds (folders `task<N>/<K>mic/`, at the top or below one
  /// wrapper folder, with at least one file), sorted; empty for a flat submission.
  /// - Throws: `SubmissionError` if it does not exist or is neither a folder nor a zip.
  public static func present(in url: URL) throws -> [Subtrack] {
    let all = Task.allCases.flatMap { task in [1, 2].map { Subtrack(task: task, microphones: $0) } }
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
      throw SubmissionError(.submissionNotFound, "\(url.path): the submission does not exist")
    }
    if isFolder.boolValue {
      return all.filter { $0.folderURL(in: url) != nil }
    }
    let paths = try SubmissionContents.archivePaths(url)
    return all.filter { subtrack in paths.contains { subtrack.relative($0).map { !$0.isEmpty && !$0.hasSuffix("/") } ?? false } }
  }

  /// The subtrack's folder inside the submission folder `url` (at the top or below one
  /// wrapper folder), if it exists.
  func folderURL(in url: URL) -> URL? {
    var candidates = [url.appendingPathComponent(folder, isDirectory: true)]
    if let children = try? FileManager.default.contentsOfDirectory(atPath: url.path) {
      let folders = children.filter { !$0.hasPrefix(".") && !$0.hasPrefix("__MACOSX") }
      if folders.count == 1 {
        candidates.append(url.appendingPathComponent(folders[0]).appendingPathComponent(folder, isDirectory: true))
      }
    }
    return candidates.first { candidate in
      var isFolder: ObjCBool = false
      return FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isFolder) && isFolder.boolValue
    }
  }
}

/// The L3DAS23 submission rules around the subtracks: `{group}_{audioonly|audiovisual}.zip`, at
/// most 10 GB, `task<N>/1mic/` and/or `task<N>/2mic/` (the submission page accepts one; the
/// official validator demands both, `requireBothMicrophones`).
public enum L3DAS23Submission {
  /// The upload limit of one archive, in bytes (10 GB).
  public static let maximumBytes: Int64 = 10_000_000_000

  /// The track a submission's name declares (`team_audiovisual.zip` → `audiovisual`), if any.
  public static func track(of url: URL) -> String? {
    let stem = url.deletingPathExtension().lastPathComponent
    for track in ["audioonly", "audiovisual"] where stem.hasSuffix("_" + track) && stem.count > track.count + 1 {
      return track
    }
    return nil
  }

  /// Problems of the nested layout itself, for the subtracks of `task` that `url` holds.
  public static func layoutProblems(url: URL, task: Task, present: [Subtrack], requireBothMicrophones: Bool)
    -> [SubmissionProblem]
  {
    var problems: [SubmissionProblem] = []
    let name = url.lastPathComponent
    if track(of: url) == nil {
      problems.append(
        SubmissionProblem(
          .warning, .l3das23Layout, file: name,
          "the L3DAS23 submission page asks for {group}_audioonly.zip or {group}_audiovisual.zip; this name declares no track",
          hint: "rename it, e.g. myteam_audioonly.zip"))
    }
    if let size = try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int64,
      url.pathExtension.lowercased() == "zip", size > maximumBytes
    {
      problems.append(
        SubmissionProblem(
          .error, .l3das23Layout, file: name,
          "the archive is \(size) bytes; the L3DAS23 upload limit is 10 GB",
          hint: "one archive per track; Task 1 estimates as float32 halve the size of float64 ones"))
    }
    let mine = present.filter { $0.task == task }
    if requireBothMicrophones, mine.count == 1, let only = mine.first {
      problems.append(
        SubmissionProblem(
          .error, .l3das23Layout, file: "task\(task.rawValue)/",
          "only \(only.folder)/ is present; the official L3DAS23 validator demands both 1mic/ and 2mic/ (the submission page accepts one)",
          hint: "add the other subtrack, or drop --both-mics"))
    }
    return problems
  }
}
