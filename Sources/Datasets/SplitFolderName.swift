/// The parsed name of an official split folder.
///
/// | name | edition | task | split | part |
/// |---|---|---|---|---|
/// | `L3DAS_Task1_train100` | L3DAS21 | 1 | train100 | – |
/// | `L3DAS_Task2_dev` | L3DAS21 | 2 | dev | – |
/// | `L3DAS22_Task2_train` | L3DAS22 | 2 | train | – |
/// | `L3DAS22_Task1_train360_2` | L3DAS22 | 1 | train360 | 2 |
/// | `L3DAS23_Task1_train_100` (Kaggle) or `L3DAS23_Task1_train100` | L3DAS23 | 1 | train100 | – |
/// | `L3DAS23_Task1_train_360_part1` (Kaggle) or `L3DAS23_Task1_train360_1` | L3DAS23 | 1 | train360 | 1 |
///
/// `L3DAS23_Task<N>_images` is not a split but the task's images (`imagesFolderTask(_:)`).
///
/// Only train360 comes in parts (Kaggle ships L3DAS22 train360 as `_1` and `_2`, which
/// together form one split). The split must belong to the task (`L3DAS_Task2_train100` is
/// not recognised). Matching is exact and case-sensitive, like the official scripts.
public struct SplitFolderName: Hashable, Sendable, CustomStringConvertible {
  /// The challenge edition.
  public var edition: Edition
  /// The task.
  public var task: Task
  /// The split.
  public var split: Split
  /// The part number of a split shipped in several folders (`train360_1` → 1), else `nil`.
  public var part: Int?

  /// Creates a name from its parts.
  public init(edition: Edition, task: Task, split: Split, part: Int? = nil) {
    self.edition = edition
    self.task = task
    self.split = split
    self.part = part
  }

  /// Parses a folder name; returns `nil` if it is not an official split folder name.
  public init?(_ name: String) {
    // L3DAS23's Kaggle spellings: `…_train_100`, `…_train_360_part1` (what `download` renames
    // to `…_train100`, `…_train360_1`).
    if name.hasPrefix(Edition.l3das23.folderPrefix + "_"), let canonical = Self.canonicalL3DAS23(name) {
      self.init(canonical)
      return
    }
    let tokens = name.split(separator: "_", omittingEmptySubsequences: false)
    guard tokens.count == 3 || tokens.count == 4 else { return nil }
    guard let edition = Edition.allCases.first(where: { $0.folderPrefix == tokens[0] }),
      tokens[1].hasPrefix("Task"), let taskNumber = Int(tokens[1].dropFirst(4)),
      tokens[1].count == 5, let task = Task(rawValue: taskNumber),
      let split = Split(rawValue: String(tokens[2])), task.splits.contains(split)
    else { return nil }
    var part: Int?
    if tokens.count == 4 {
      guard split == .train360, !tokens[3].isEmpty,
        tokens[3].allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(tokens[3]),
        number >= 1
      else { return nil }
      part = number
    }
    self.init(edition: edition, task: task, split: split, part: part)
  }

  /// The folder name (for example `L3DAS22_Task1_train360_1`).
  public var description: String {
    let base = split.folderName(task: task, edition: edition)
    return part.map { "\(base)_\($0)" } ?? base
  }
}

extension SplitFolderName {
  /// `…_train_100` → `…_train100`, `…_train_360_partN` → `…_train360_N`, `…_train_360` →
  /// `…_train360`; `nil` for any other name.
  private static func canonicalL3DAS23(_ name: String) -> String? {
    if name.hasSuffix("_train_100") { return String(name.dropLast(10)) + "_train100" }
    if name.hasSuffix("_train_360") { return String(name.dropLast(10)) + "_train360" }
    if let range = name.range(of: "_train_360_part"), range.upperBound < name.endIndex,
      name[range.upperBound...].allSatisfy({ $0.isASCII && $0.isNumber })
    {
      return name[..<range.lowerBound] + "_train360_" + name[range.upperBound...]
    }
    return nil
  }

  /// The task of an L3DAS23 images folder name (`L3DAS23_Task1_images` → Task 1), else `nil`:
  /// one folder per task, shared by its splits, paired to audio by `audio_image.csv`.
  public static func imagesFolderTask(_ name: String) -> Task? {
    for task in Task.allCases where name == "\(Edition.l3das23.folderPrefix)_Task\(task.rawValue)_images" {
      return task
    }
    return nil
  }
}
