public import Foundation
internal import ZIPFoundation
import L3DASCore

#if canImport(Glibc)
  import Glibc
#endif

/// Extracts a dataset zip archive (ZIP64 included) safely and normalises its folders.
///
/// 1. Every entry is checked before anything is written: an absolute path, a `..`
///    component, a backslash, a control character or a symbolic link refuses the whole
///    archive (L3DAS archives contain none of them).
/// 2. Entries are streamed into a hidden temporary folder inside the target (same file
///    system), each file's CRC-32 checked by ZIPFoundation.
/// 3. The temporary tree is normalised: a single wrapper folder is unwrapped, doubly
///    nested Kaggle folders `X/X/…` become `X/…`, catalog renames are applied
///    (`L3DAS23_Task1_train_100` → `L3DAS23_Task1_train100`), and the parts of train360
///    (`…_train360_1`, `…_train360_2`) are merged into one `…_train360` folder: `data/` and
///    `labels/` file by file, `info.csv` row by row (header once, repeated rows dropped).
/// 4. The top-level folders are renamed into the target. A folder that already exists is
///    skipped if an earlier extraction of this archive placed it (`alreadyPlaced`) and is a
///    conflict otherwise; conflicts are found before anything is moved.
///
/// The temporary folder is always removed, so a failure leaves the target as it was.
public struct ArchiveExtractor: Sendable {
  /// Top-level folder renames (from the catalog).
  public var folderRenames: [String: String]
  /// Free bytes at a URL (injected for tests).
  public var freeBytes: @Sendable (URL) -> Int64?

  /// Creates an extractor.
  public init(
    folderRenames: [String: String] = [:],
    freeBytes: @escaping @Sendable (URL) -> Int64? = DiskSpace.freeBytes(at:)
  ) {
    self.folderRenames = folderRenames
    self.freeBytes = freeBytes
  }

  /// Extracts `archive` into `target`.
  ///
  /// - Parameters:
  ///   - alreadyPlaced: top-level names an earlier run of this archive placed; they are
  ///     skipped if present.
  ///   - placed: called after each top-level entry is moved into place (to record it).
  /// - Returns: the top-level names the archive holds after normalisation, sorted.
  /// - Throws: `DownloadError` `.corruptArchive`, `.unsafeArchive`, `.insufficientSpace`,
  ///   `.conflict` or `.fileSystem`.
  @discardableResult
  public func extract(
    _ archive: URL, into target: URL, alreadyPlaced: Set<String> = [],
    placed: (String) throws -> Void = { _ in }
  ) throws -> [String] {
    let zip: Archive
    do {
      zip = try Archive(url: archive, accessMode: .read)
    } catch {
      throw DownloadError(
        .corruptArchive, "not a readable zip archive (truncated or damaged?): \(error)",
        path: archive.path)
    }
    var unsafe: [String] = []
    var entries: [Entry] = []
    var totalBytes: UInt64 = 0
    for entry in zip {
      if let reason = ArchivePath.unsafeReason(path: entry.path, isSymlink: entry.type == .symlink) {
        unsafe.append(reason)
        continue
      }
      if Self.isJunk(entry.path) { continue }
      entries.append(entry)
      totalBytes += entry.uncompressedSize
    }
    guard unsafe.isEmpty else {
      let shown = unsafe.prefix(5).joined(separator: "; ")
      throw DownloadError(
        .unsafeArchive,
        "refused, nothing extracted: \(shown)\(unsafe.count > 5 ? "; and \(unsafe.count - 5) more" : "")",
        path: archive.path)
    }
    if let free = freeBytes(target), Int64(clamping: totalBytes) > free {
      throw DownloadError(
        .insufficientSpace,
        "extraction needs \(DiskSpace.describe(Int64(clamping: totalBytes))), only \(DiskSpace.describe(free)) free",
        path: target.path)
    }

    let fileManager = FileManager.default
    let scratch = target.appendingPathComponent(
      ".l3das-extract-\(archive.lastPathComponent)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))",
      isDirectory: true)
    do {
      try fileManager.createDirectory(at: scratch, withIntermediateDirectories: true)
    } catch {
      throw DownloadError(
        .fileSystem, "cannot create a temporary folder: \(error)", path: scratch.path)
    }
    defer { try? fileManager.removeItem(at: scratch) }

    for entry in entries {
      let destination = scratch.appendingPathComponent(entry.path)
      // Belt and braces: the resolved path must stay inside the scratch folder.
      guard destination.standardizedFileURL.path.hasPrefix(scratch.standardizedFileURL.path + "/")
      else {
        throw DownloadError(
          .unsafeArchive, "'\(entry.path)' resolves outside the target", path: archive.path)
      }
      do {
        if entry.type == .directory {
          try fileManager.createDirectory(at: destination, withIntermediateDirectories: true)
          continue
        }
        try fileManager.createDirectory(
          at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard fileManager.createFile(atPath: destination.path, contents: nil) else {
          throw DownloadError(.fileSystem, "cannot create the file", path: destination.path)
        }
        let handle = try FileHandle(forWritingTo: destination)
        defer { try? handle.close() }
        _ = try zip.extract(entry, bufferSize: 1 << 20) { data in try handle.write(contentsOf: data)
        }
      } catch let error as DownloadError {
        throw error
      } catch {
        throw DownloadError(
          .corruptArchive,
          "cannot extract '\(entry.path)' (truncated or damaged archive?): \(error)",
          path: archive.path)
      }
    }

    let root = try normalize(scratch)
    let names = try Self.visibleEntries(of: root).sorted()
    for name in names where fileManager.fileExists(atPath: target.appendingPathComponent(name).path)
    {
      guard alreadyPlaced.contains(name) else {
        throw DownloadError(
          .conflict,
          "already exists and was not extracted from \(archive.lastPathComponent) by l3das; move it away "
            + "or remove it, then run again",
          path: target.appendingPathComponent(name).path)
      }
    }
    for name in names
    where !fileManager.fileExists(atPath: target.appendingPathComponent(name).path) {
      try Self.move(root.appendingPathComponent(name), to: target.appendingPathComponent(name))
      try placed(name)
    }
    return names
  }

  // MARK: - Normalisation

  /// Applies unwrapping, renames, de-nesting and part merging inside `scratch`; returns the
  /// folder whose children are the final top-level entries.
  func normalize(_ scratch: URL) throws -> URL {
    var root = scratch
    // A single wrapper folder that is not itself an L3DAS folder.
    while true {
      let children = try Self.visibleEntries(of: root)
      guard children.count == 1, let only = children.first, !only.hasPrefix("L3DAS"),
        Self.isDirectory(root.appendingPathComponent(only))
      else { break }
      root = root.appendingPathComponent(only, isDirectory: true)
    }
    for name in try Self.visibleEntries(of: root) {
      try Self.unnest(root.appendingPathComponent(name, isDirectory: true))
    }
    for name in try Self.visibleEntries(of: root) {
      if let renamed = folderRenames[name], renamed != name {
        try Self.move(root.appendingPathComponent(name), to: root.appendingPathComponent(renamed))
      }
    }
    try mergeParts(in: root)
    return root
  }

  /// `X/X/…` (X holding only X) becomes `X/…`, repeatedly.
  static func unnest(_ folder: URL) throws {
    guard isDirectory(folder) else { return }
    while true {
      let children = try visibleEntries(of: folder)
      guard children == [folder.lastPathComponent],
        isDirectory(folder.appendingPathComponent(folder.lastPathComponent))
      else { return }
      let outer = folder.deletingLastPathComponent()
        .appendingPathComponent(".\(folder.lastPathComponent).outer", isDirectory: true)
      try move(folder, to: outer)
      try move(outer.appendingPathComponent(folder.lastPathComponent), to: folder)
      try? FileManager.default.removeItem(at: outer)
    }
  }

  /// Merges `<base>_<n>` folders whose base ends in `_train360` into `<base>`.
  func mergeParts(in root: URL) throws {
    var groups: [String: [(Int, String)]] = [:]
    for name in try Self.visibleEntries(of: root) {
      guard let underscore = name.lastIndex(of: "_") else { continue }
      let base = String(name[..<underscore])
      let suffix = name[name.index(after: underscore)...]
      guard base.hasSuffix("_train360"), !suffix.isEmpty,
        suffix.allSatisfy({ $0.isASCII && $0.isNumber }),
        let number = Int(suffix)
      else { continue }
      groups[base, default: []].append((number, name))
    }
    for (base, parts) in groups {
      let merged = root.appendingPathComponent(base, isDirectory: true)
      for (_, name) in parts.sorted(by: { $0.0 < $1.0 }) {
        let part = root.appendingPathComponent(name, isDirectory: true)
        if !FileManager.default.fileExists(atPath: merged.path) {
          try Self.move(part, to: merged)
        } else {
          try Self.mergeDirectory(part, into: merged)
          try? FileManager.default.removeItem(at: part)
        }
      }
    }
  }

  /// Moves everything from `source` into `destination`; `info.csv` files are concatenated.
  static func mergeDirectory(_ source: URL, into destination: URL) throws {
    for name in try visibleEntries(of: source) {
      let from = source.appendingPathComponent(name)
      let to = destination.appendingPathComponent(name)
      if !FileManager.default.fileExists(atPath: to.path) {
        try move(from, to: to)
      } else if isDirectory(from) && isDirectory(to) {
        try mergeDirectory(from, into: to)
      } else if name.lowercased().hasSuffix(".csv") {
        try concatenateCSV(from, onto: to)
      } else if FileManager.default.contentsEqual(atPath: from.path, andPath: to.path) {
        continue
      } else {
        throw DownloadError(
          .conflict, "two parts of the split hold different files with this name", path: name)
      }
    }
  }

  /// Appends the rows of `source` not already in `destination` (same header required).
  static func concatenateCSV(_ source: URL, onto destination: URL) throws {
    func lines(_ url: URL) throws -> [String] {
      guard let data = FileManager.default.contents(atPath: url.path) else {
        throw DownloadError(.fileSystem, "cannot read", path: url.path)
      }
      return String(decoding: data, as: UTF8.self).split(omittingEmptySubsequences: true) {
        $0 == "\n" || $0 == "\r\n" || $0 == "\r"
      }.map(String.init)
    }
    let existing = try lines(destination)
    let added = try lines(source)
    guard existing.first == added.first || added.isEmpty || existing.isEmpty else {
      throw DownloadError(
        .conflict, "the parts' \(destination.lastPathComponent) files have different headers",
        path: destination.lastPathComponent)
    }
    var seen = Set(existing)
    var result = existing.isEmpty ? added.prefix(1).map { $0 } : existing
    for row in added.dropFirst() where seen.insert(row).inserted { result.append(row) }
    do {
      try Data((result.joined(separator: "\n") + "\n").utf8).write(to: destination)
    } catch {
      throw DownloadError(.fileSystem, "cannot write: \(error)", path: destination.path)
    }
  }

  // MARK: - Helpers


  /// macOS metadata that is never extracted.
  static func isJunk(_ path: String) -> Bool {
    let components = path.split(separator: "/")
    return components.first == "__MACOSX" || components.last == ".DS_Store"
  }

  static func visibleEntries(of folder: URL) throws -> [String] {
    do {
      return try FileManager.default.contentsOfDirectory(atPath: folder.path)
        .filter { !$0.hasPrefix(".") && $0 != "__MACOSX" }.sorted()
    } catch {
      throw DownloadError(.fileSystem, "cannot list: \(error)", path: folder.path)
    }
  }

  static func isDirectory(_ url: URL) -> Bool {
    var info = stat()
    return lstat(url.path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
  }

  static func move(_ source: URL, to destination: URL) throws {
    guard rename(source.path, destination.path) == 0 else {
      throw DownloadError(
        .fileSystem,
        "cannot move \(source.lastPathComponent) into place: \(String(cString: strerror(errno)))",
        path: destination.path)
    }
  }
}
