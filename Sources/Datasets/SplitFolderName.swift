/// The parsed name of an official split folder.
///
/// | name | edition | task | split | part |
/// |---|---|---|---|---|
/// | `L3DAS_Task1_train100` | L3DAS21 | 1 | train100 | – |
/// | `L3DAS_Task2_dev` | L3DAS21 | 2 | dev | – |
/// | `L3DAS22_Task2_train` | L3DAS22 | 2 | train | – |
/// | `L3DAS22_Task1_train360_2` | L3DAS22 | 1 | train360 | 2 |
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
