public import Foundation

/// The splits found under a dataset folder.
///
/// ```swift
/// let layout = try DatasetLayout.discover(at: URL(filePath: "/data/l3das22"))
/// for location in layout.splits { print(location.name, location.roots.count) }
/// let dev = layout.location(of: .dev, task: .soundEventLocalizationDetection)
/// ```
public struct DatasetLayout: Hashable, Sendable {
  /// The folder that was searched.
  public var root: URL
  /// The splits found, ordered by edition, task and split.
  public var splits: [SplitLocation]

  /// Creates a layout from known locations.
  public init(root: URL, splits: [SplitLocation]) {
    self.root = root
    self.splits = splits
  }

  /// Finds the splits under `url`.
  ///
  /// `url` may be a dataset root whose subfolders carry official split names
  /// (`L3DAS22_Task1_train100`, `L3DAS_Task2_dev`, `L3DAS22_Task1_train360_1` …; other
  /// entries are ignored), or one split folder itself. The parts of a split shipped in
  /// several folders (L3DAS22 train360 `_1` and `_2`) become one `SplitLocation` with both
  /// folders. Every recognised split must hold a `data/` folder (see
  /// `SplitLocation.dataRoots(in:)`).
  ///
  /// - Throws: `DatasetError` `.notFound` if `url` does not exist; `.unrecognizedLayout` if
  ///   it is not a folder, holds no recognised split folder, or a recognised split folder
  ///   holds no `data/` folder.
  public static func discover(at url: URL) throws -> DatasetLayout {
    guard FileSystem.exists(url.path) else {
      throw DatasetError(.notFound, "no such dataset folder", path: url.path)
    }
    guard FileSystem.isDirectory(url.path) else {
      throw DatasetError(.unrecognizedLayout, "not a folder", path: url.path)
    }
    if SplitFolderName(url.lastPathComponent) != nil {
      return DatasetLayout(root: url, splits: [try SplitLocation(folder: url)])
    }
    let children = FileSystem.subdirectories(of: url.path)
    var groups: [SplitKey: [URL]] = [:]
    for child in children {
      guard let name = SplitFolderName(child) else { continue }
      let key = SplitKey(edition: name.edition, task: name.task, split: name.split)
      groups[key, default: []].append(url.appendingPathComponent(child, isDirectory: true))
    }
    guard !groups.isEmpty else {
      var message = "no L3DAS split folders (named like L3DAS22_Task2_dev or L3DAS_Task1_train100)"
      if FileSystem.isDirectory(url.appendingPathComponent("data").path) {
        message += "; this looks like a single split, but its folder name does not say which one"
      } else if !children.isEmpty {
        let shown = children.prefix(8).joined(separator: ", ")
        message += "; found \(shown)\(children.count > 8 ? ", …" : "")"
      }
      throw DatasetError(.unrecognizedLayout, message, path: url.path)
    }
    let splits = try groups.map { key, folders in
      try SplitLocation(
        edition: key.edition, task: key.task, split: key.split,
        folders: folders.sorted { $0.lastPathComponent < $1.lastPathComponent })
    }
    return DatasetLayout(root: url, splits: splits.sorted(by: SplitLocation.precedes))
  }

  /// The location of `split` of `task`, from `edition` if given, else the first found.
  public func location(
    of split: Split, task: Task, edition: Edition? = nil
  ) -> SplitLocation? {
    splits.first {
      $0.split == split && $0.task == task && (edition == nil || $0.edition == edition)
    }
  }

  private struct SplitKey: Hashable {
    var edition: Edition
    var task: Task
    var split: Split
  }
}

extension DatasetLayout {
  /// The number of `<id>_A.wav` files in all splits (directory entries only; the total that
  /// progress reporting counts towards).
  func micAFileCount() -> Int {
    var total = 0
    for location in splits {
      var walker = MicAFileWalker(roots: location.roots)
      while walker.next() != nil { total += 1 }
    }
    return total
  }
}
