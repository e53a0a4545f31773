import AudioIO
public import Foundation

/// Lazily yields `(root, stem)` for every `<stem>_A.wav` in `<root>/data` of each root.
///
/// Names come in directory order; one directory is open at a time and nothing is collected.
struct MicAFileWalker: IteratorProtocol {
  private let roots: [URL]
  private var rootIndex = 0
  private var stream: DirectoryStream?
  private var currentRoot: URL?

  init(roots: [URL]) { self.roots = roots }

  mutating func next() -> (root: URL, stem: String)? {
    while true {
      if let stream, let currentRoot {
        while let name = stream.next() {
          if let stem = Self.stem(of: name, mic: .a) { return (currentRoot, stem) }
        }
        self.stream = nil
      }
      guard rootIndex < roots.count else { return nil }
      let root = roots[rootIndex]
      rootIndex += 1
      currentRoot = root
      stream = DirectoryStream(path: root.appendingPathComponent("data").path)
    }
  }

  /// `<stem>` if `name` is a visible `<stem>_A.wav` (or `_B.wav` for mic B), else `nil`.
  static func stem(of name: String, mic: Microphone) -> String? {
    let suffix = "\(mic.fileSuffix).wav"
    guard !name.hasPrefix("."), name.hasSuffix(suffix), name.count > suffix.count else {
      return nil
    }
    return String(name.dropLast(suffix.count))
  }
}

/// The items of a Task 1 split, read lazily from the `data/` folders of its roots.
///
/// Iteration lists one directory at a time with `readdir` and never touches audio. An item
/// is made for every visible `<id>_A.wav` whose id is a valid `Task1RecordingID`; its other
/// files are *not* checked during iteration (loading a missing one throws). Use
/// `SplitLocation.check()` to list missing partners, labels and odd file names. The order
/// is the file system's; use `sortedIDs()` or `sortedItems()` for a deterministic one.
public struct Task1Items: Sequence, Sendable {
  /// The folders whose `data/` and `labels/` are read.
  public var roots: [URL]

  /// The items under `roots` (each a folder holding `data/` and `labels/`).
  public init(roots: [URL]) { self.roots = roots }

  /// Iterates over the items.
  public struct Iterator: IteratorProtocol {
    private var walker: MicAFileWalker
    fileprivate init(roots: [URL]) { walker = MicAFileWalker(roots: roots) }

    /// The next item, or `nil` at the end.
    public mutating func next() -> Task1Item? {
      while let (root, stem) = walker.next() {
        if let id = Task1RecordingID(stem) { return Task1Item(id: id, root: root) }
      }
      return nil
    }
  }

  /// Starts a fresh lazy pass over the folders.
  public func makeIterator() -> Iterator { Iterator(roots: roots) }

  /// Every item's id, sorted (an id present in two roots appears twice).
  public func sortedIDs() -> [Task1RecordingID] { map(\.id).sorted() }

  /// Every item, sorted by id, then by path.
  public func sortedItems() -> [Task1Item] {
    sorted { ($0.id, $0.micA.path) < ($1.id, $1.micA.path) }
  }
}

/// The items of a Task 2 split, read lazily from the `data/` folders of its roots.
///
/// Iteration lists one directory at a time with `readdir` and never touches audio. An item
/// is made for every visible `<id>_A.wav` whose name parses as a `Task2RecordingID`; its
/// other files are *not* checked during iteration (loading a missing one throws). Use
/// `SplitLocation.check()` to list missing partners, labels and odd file names. The order
/// is the file system's; use `sortedIDs()` or `sortedItems()` for a deterministic one.
public struct Task2Items: Sequence, Sendable {
  /// The folders whose `data/` and `labels/` are read.
  public var roots: [URL]

  /// The items under `roots` (each a folder holding `data/` and `labels/`).
  public init(roots: [URL]) { self.roots = roots }

  /// Iterates over the items.
  public struct Iterator: IteratorProtocol {
    private var walker: MicAFileWalker
    fileprivate init(roots: [URL]) { walker = MicAFileWalker(roots: roots) }

    /// The next item, or `nil` at the end.
    public mutating func next() -> Task2Item? {
      while let (root, stem) = walker.next() {
        if let id = Task2RecordingID(stem) { return Task2Item(id: id, root: root) }
      }
      return nil
    }
  }

  /// Starts a fresh lazy pass over the folders.
  public func makeIterator() -> Iterator { Iterator(roots: roots) }

  /// Every item's id, sorted (an id present in two roots appears twice).
  public func sortedIDs() -> [Task2RecordingID] { map(\.id).sorted() }

  /// Every item, sorted by id, then by path.
  public func sortedItems() -> [Task2Item] {
    sorted { ($0.id, $0.micA.path) < ($1.id, $1.micA.path) }
  }
}

extension SplitLocation {
  /// The split's items as Task 1 items.
  ///
  /// - Throws: `DatasetError` `.invalidValue` if the split belongs to Task 2.
  public func task1Items() throws -> Task1Items {
    guard task == .speechEnhancement else {
      throw DatasetError(.invalidValue, "\(name) is a Task 2 split; use task2Items()")
    }
    return Task1Items(roots: roots)
  }

  /// The split's items as Task 2 items.
  ///
  /// - Throws: `DatasetError` `.invalidValue` if the split belongs to Task 1.
  public func task2Items() throws -> Task2Items {
    guard task == .soundEventLocalizationDetection else {
      throw DatasetError(.invalidValue, "\(name) is a Task 1 split; use task1Items()")
    }
    return Task2Items(roots: roots)
  }
}
