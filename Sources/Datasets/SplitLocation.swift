public import Foundation

/// Where the files of one split live on disk.
///
/// A split is one or more top-level `folders` (two for L3DAS22 train360) and, inside them,
/// one or more `roots`: the folders that directly hold `data/` (mixtures `<id>_A.wav`,
/// `<id>_B.wav`) and `labels/` (Task 1 clean speech and transcripts, or Task 2 label CSVs).
/// `dataRoots(in:)` finds the roots in each of the shapes the official archives unpack to:
///
/// ```
/// X/data                    plain (L3DAS21 Task 2, L3DAS22 test)
/// X/X/data                  doubly nested (every Kaggle L3DAS22 folder)
/// X/<a>/<b>/data            L3DAS21 Task 1: two extra levels, possibly several sub-roots
/// ```
public struct SplitLocation: Hashable, Sendable {
  /// The challenge edition.
  public var edition: Edition
  /// The task.
  public var task: Task
  /// The split.
  public var split: Split
  /// The top-level split folders, sorted by name.
  public var folders: [URL]
  /// The folders holding `data/` (and `labels/`): those of every folder in `folders` order,
  /// each folder's sorted by path components.
  public var roots: [URL]

  /// Finds the roots of a split made of `folders`.
  ///
  /// - Throws: `DatasetError` `.notFound` if a folder does not exist, `.unrecognizedLayout`
  ///   if one is not a folder or holds no `data/` folder within three levels.
  public init(edition: Edition, task: Task, split: Split, folders: [URL]) throws {
    guard task.splits.contains(split) else {
      throw DatasetError(.invalidValue, "Task \(task.rawValue) has no \(split.rawValue) split")
    }
    self.edition = edition
    self.task = task
    self.split = split
    self.folders = folders
    roots = try folders.flatMap { try Self.dataRoots(in: $0) }
  }

  /// The split whose folder (or one part of it) is `folder`, recognised by its name.
  ///
  /// - Throws: `DatasetError` `.unrecognizedLayout` if the name is not an official split
  ///   folder name (see `SplitFolderName`), or any error of `dataRoots(in:)`.
  public init(folder: URL) throws {
    guard let name = SplitFolderName(folder.lastPathComponent) else {
      throw DatasetError(
        .unrecognizedLayout,
        "'\(folder.lastPathComponent)' is not an L3DAS split folder name such as "
          + "L3DAS22_Task2_dev or L3DAS_Task1_train100",
        path: folder.path)
    }
    try self.init(edition: name.edition, task: name.task, split: name.split, folders: [folder])
  }

  /// The official folder name of the split (`L3DAS22_Task1_train360`, without part).
  public var name: String { split.folderName(task: task, edition: edition) }

  /// Whether the split is expected to carry labels (every split except `test`).
  ///
  /// A labelled
  /// split whose root lacks `labels/` is reported by `check()`.
  public var expectsLabels: Bool { split != .test }

  /// The folders inside `folder` that directly hold a `data/` folder.
  ///
  /// Looks at `folder` itself, then its subfolders, then two and three levels down, and
  /// returns every match at the first level that has any (so `X/X/data` and the L3DAS21
  /// `X/<a>/<b>/data` are both found). Hidden folders and folders named `data` or `labels`
  /// are never descended into, so large audio folders are not scanned.
  ///
  /// - Throws: `DatasetError` `.notFound` if `folder` does not exist, `.unrecognizedLayout`
  ///   if it is not a folder or no `data/` folder is found.
  public static func dataRoots(in folder: URL) throws -> [URL] {
    guard FileSystem.exists(folder.path) else {
      throw DatasetError(.notFound, "no such folder", path: folder.path)
    }
    guard FileSystem.isDirectory(folder.path) else {
      throw DatasetError(.unrecognizedLayout, "not a folder", path: folder.path)
    }
    var level = [folder]
    for _ in 0...maximumRootDepth {
      let found = level.filter { FileSystem.isDirectory($0.appendingPathComponent("data").path) }
      if !found.isEmpty { return found }
      level = level.flatMap { parent in
        FileSystem.subdirectories(of: parent.path)
          .filter { $0 != "data" && $0 != "labels" }
          .map { parent.appendingPathComponent($0, isDirectory: true) }
      }
      if level.isEmpty { break }
    }
    throw DatasetError(
      .unrecognizedLayout,
      "no data/ folder found here or up to \(maximumRootDepth) levels below; is the archive "
        + "fully extracted?",
      path: folder.path)
  }

  /// How many levels below a split folder `dataRoots(in:)` looks (`X/X/<a>/<b>/data`).
  public static let maximumRootDepth = 3
}

extension SplitLocation {
  /// A stable order: edition, task, then split in `Split.allCases` order.
  static func precedes(_ a: SplitLocation, _ b: SplitLocation) -> Bool {
    func key(_ s: SplitLocation) -> (Int, Int, Int) {
      (
        Edition.allCases.firstIndex(of: s.edition) ?? 0, s.task.rawValue,
        Split.allCases.firstIndex(of: s.split) ?? 0
      )
    }
    return key(a) < key(b)
  }
}
