public import AudioIO
public import Foundation

/// The test items a submission must answer: the `<id>_A.wav` files of a test split's `data`
/// folder, each with its audio format (for Task 1 lengths and Task 2 durations).
///
/// The official validator lists the folder, drops names containing `_B` and `DS_Store`, and
/// expects one submitted file per remaining name. Here an item is exactly a `<id>_A.wav`
/// file; its id is the name without `_A.wav` (the official "text before the first `_`" breaks
/// Task 2 names such as `split5_ov1_3_A.wav`, FACTS §2.3).
public struct SubmissionTestSet: Sendable {
  /// The folder holding the `_A.wav` files.
  public let dataFolder: URL
  /// The item ids, sorted.
  public let ids: [String]
  /// The `_A.wav` file of each id.
  public let audioFiles: [String: URL]

  /// Lists the test items in `folder`: the split folder (with a `data` subfolder), its `data`
  /// folder, or a Kaggle-style folder holding one split folder.
  /// - Throws: `SubmissionError.invalidTestFolder` if there is no such folder or no item.
  public init(folder: URL) throws {
    let manager = FileManager.default
    var isDirectory: ObjCBool = false
    guard manager.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue
    else {
      throw SubmissionError(
        .invalidTestFolder, "\(folder.path): the test folder does not exist or is not a folder")
    }
    var candidates = [folder.appendingPathComponent("data"), folder]
    if let children = try? manager.contentsOfDirectory(atPath: folder.path) {
      let folders = children.filter { name in
        var child: ObjCBool = false
        return !name.hasPrefix(".")
          && manager.fileExists(
            atPath: folder.appendingPathComponent(name).path, isDirectory: &child)
          && child.boolValue
      }
      if folders.count == 1 {
        candidates.append(
          folder.appendingPathComponent(folders[0]).appendingPathComponent("data"))
      }
    }
    for candidate in candidates {
      guard let names = try? manager.contentsOfDirectory(atPath: candidate.path) else { continue }
      var files: [String: URL] = [:]
      for name in names where name.hasSuffix("_A.wav") && !name.hasPrefix(".") {
        files[String(name.dropLast("_A.wav".count))] = candidate.appendingPathComponent(name)
      }
      if !files.isEmpty {
        dataFolder = candidate
        audioFiles = files
        ids = files.keys.sorted()
        return
      }
    }
    throw SubmissionError(
      .invalidTestFolder,
      "\(folder.path): no *_A.wav test items here or in its data folder; pass the test split's "
        + "folder (e.g. L3DAS22_Task2_test or its data folder)")
  }

  /// The audio format of item `id`'s `_A.wav`.
  public func info(_ id: String) throws -> AudioFileInfo {
    guard let url = audioFiles[id] else {
      throw SubmissionError(.invalidTestFolder, "no test item '\(id)'")
    }
    return try AudioFile.info(at: url)
  }
}
