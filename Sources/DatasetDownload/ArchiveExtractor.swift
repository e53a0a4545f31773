public import Foundation
internal import ZIPFoundation
import L3DASCore

#if canImport(Glibc)
  import Glibc
#endif

/// Extracts a dataset zip archive (ZIP64 included) safely and normalises its folders.
///
/// 1. The archive is checked before anything is written. A file that is not a zip archive
///    (an HTML login page, an error document) is reported as what it is. An absolute path,
///    a `..` component, a backslash, a control character, a symbolic link, an encrypted
///    entry, two entries with the same name (or a name that is both a file and a folder), or
///    more expansion than `maxExpansionRatio` allows refuses the whole archive (L3DAS
///    archives contain none of them).
/// 2. Entries are streamed into a hidden temporary folder inside the target (same file
///    system). Each entry is stopped as soon as it inflates beyond the size it declares (so a
///    lying entry cannot fill the disk, and the free-space check can trust the declared
///    sizes), must have exactly that size, and must match its CRC-32.
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
/// `check(_:)` runs steps 1 and 2 without writing anything.
public struct ArchiveExtractor: Sendable {
  /// Top-level folder renames (from the catalog).
  public var folderRenames: [String: String]
  /// Free bytes at a URL (injected for tests).
  public var freeBytes: @Sendable (URL) -> Int64?
  /// The largest accepted ratio of the declared uncompressed size of all entries to the
  /// archive's size (a zip-bomb guard), or `nil` for no limit. L3DAS archives hold WAV audio,
  /// which barely compresses (ratio about 1).
  public var maxExpansionRatio: Double?
  /// Archives that expand to at most this many bytes in all are accepted whatever their
  /// ratio (a small archive of silence cannot fill a disk).
  public var expansionAllowanceBytes: Int64 = 64 << 20

  /// The default `maxExpansionRatio`.
  public static let defaultMaxExpansionRatio: Double = 200

  /// Creates an extractor.
  public init(
    folderRenames: [String: String] = [:],
    freeBytes: @escaping @Sendable (URL) -> Int64? = DiskSpace.freeBytes(at:),
    maxExpansionRatio: Double? = ArchiveExtractor.defaultMaxExpansionRatio
  ) {
    self.folderRenames = folderRenames
    self.freeBytes = freeBytes
    self.maxExpansionRatio = maxExpansionRatio
  }

  /// Extracts `archive` into `target`.
  ///
  /// - Parameters:
  ///   - alreadyPlaced: top-level names an earlier run of this archive placed; they are
  ///     skipped if present.
  ///   - placed: called after each top-level entry is moved into place (to record it); the
  ///     whole archive has passed its checks by then.
  /// - Returns: the top-level names the archive holds after normalisation, sorted.
  /// - Throws: `DownloadError` `.corruptArchive`, `.unsafeArchive`, `.insufficientSpace`,
  ///   `.conflict` or `.fileSystem`.
  @discardableResult
  public func extract(
    _ archive: URL, into target: URL, alreadyPlaced: Set<String> = [],
    placed: (String) throws -> Void = { _ in }
  ) throws -> [String] {
    let (zip, entries) = try open(archive)
    let totalBytes = Self.total(entries.map(\.uncompressedSize))
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
    try FileSystemReason.attempt(
      "cannot create a temporary folder for the extraction", path: scratch.path
    ) { try fileManager.createDirectory(at: scratch, withIntermediateDirectories: true) }
    defer { try? fileManager.removeItem(at: scratch) }

    for entry in entries {
      let destination = scratch.appendingPathComponent(entry.path)
      // Belt and braces: the resolved path must stay inside the scratch folder.
      guard destination.standardizedFileURL.path.hasPrefix(scratch.standardizedFileURL.path + "/")
      else {
        throw DownloadError(
          .unsafeArchive, "'\(entry.path)' resolves outside the target", path: archive.path)
      }
      try FileSystemReason.attempt("cannot extract '\(entry.path)'", path: destination.path) {
        if entry.type == .directory {
          try fileManager.createDirectory(at: destination, withIntermediateDirectories: true)
          return
        }
        try fileManager.createDirectory(
          at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard fileManager.createFile(atPath: destination.path, contents: nil) else {
          throw DownloadError(.fileSystem, "cannot create the file", path: destination.path)
        }
        let handle = try FileHandle(forWritingTo: destination)
        defer { try? handle.close() }
        try read(entry, of: zip, archive: archive) { data in
          try FileSystemReason.attempt("cannot write", path: destination.path) {
            try handle.write(contentsOf: data)
          }
        }
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

  /// Checks `archive` as `extract` does (every entry's path, flags, size and CRC-32), without
  /// writing anything.
  ///
  /// - Throws: `DownloadError` `.corruptArchive`, `.unsafeArchive` or `.fileSystem`.
  public func check(_ archive: URL) throws {
    let (zip, entries) = try open(archive)
    for entry in entries where entry.type == .file {
      try read(entry, of: zip, archive: archive) { _ in }
    }
  }

  // MARK: - Checks

  /// Opens `archive` and returns the entries to extract, after the checks of step 1.
  func open(_ archive: URL) throws -> (Archive, [Entry]) {
    if let what = ArchiveSniffer.nonZipDescription(ofFileAt: archive) {
      throw DownloadError(.corruptArchive, "is \(what), not a zip archive", path: archive.path)
    }
    let directory: ZipDirectory
    do {
      directory = try ZipDirectory(reading: archive)
    } catch let failure as ZipDirectory.Failure {
      throw DownloadError(failure.isFileSystem ? .fileSystem : .corruptArchive, failure.message, path: archive.path)
    }
    let zip: Archive
    do {
      zip = try Archive(url: archive, accessMode: .read)
    } catch {
      throw DownloadError(
        .corruptArchive, "not a readable zip archive (truncated or damaged?): \(error)",
        path: archive.path)
    }
    let encrypted = directory.records.filter(\.isEncrypted).map { "'\($0.path)'" }
    guard encrypted.isEmpty else {
      throw DownloadError(
        .unsafeArchive,
        "refused, nothing extracted: \(Self.list(encrypted)) \(encrypted.count == 1 ? "is" : "are") "
          + "encrypted, and l3das cannot check or extract encrypted entries; use an unencrypted copy "
          + "of the archive",
        path: archive.path)
    }
    let all = Array(zip)
    guard all.count == directory.records.count else {
      throw DownloadError(
        .corruptArchive,
        "not a readable zip archive (truncated or damaged?): its central directory lists "
          + "\(directory.records.count) entries, but only \(all.count) can be read",
        path: archive.path)
    }
    var unsafe: [String] = []
    var entries: [Entry] = []
    for entry in all {
      if let reason = ArchivePath.unsafeReason(path: entry.path, isSymlink: entry.type == .symlink) {
        unsafe.append(reason)
        continue
      }
      if Self.isJunk(entry.path) { continue }
      entries.append(entry)
    }
    unsafe += Self.nameClashes(entries)
    guard unsafe.isEmpty else {
      throw DownloadError(
        .unsafeArchive, "refused, nothing extracted: \(Self.list(unsafe))", path: archive.path)
    }
    try checkExpansion(directory, archive: archive)
    return (zip, entries)
  }

  /// Two entries with the same name (the second would silently replace the first), or a
  /// file that is also the parent folder of another entry.
  static func nameClashes(_ entries: [Entry]) -> [String] {
    var clashes: [String] = []
    var kinds: [String: Bool] = [:]  // normalised path → is a folder
    var parents: Set<String> = []  // every folder some entry lies in
    for entry in entries {
      let components = entry.path.split(separator: "/").filter { $0 != "." }
      let path = components.joined(separator: "/")
      let isFolder = entry.type == .directory
      if let earlier = kinds[path], !(earlier && isFolder) {
        clashes.append("'\(entry.path)' appears twice")
      }
      kinds[path] = isFolder || kinds[path] == true
      for depth in components.indices.dropFirst() {
        parents.insert(components[..<depth].joined(separator: "/"))
      }
    }
    for (path, isFolder) in kinds where !isFolder && parents.contains(path) {
      clashes.append("'\(path)' is both a file and a folder")
    }
    return clashes.sorted()
  }

  /// Refuses an archive whose entries declare more than `maxExpansionRatio` times its size.
  func checkExpansion(_ directory: ZipDirectory, archive: URL) throws {
    guard let maxExpansionRatio else { return }
    let declared = Self.total(directory.records.map(\.uncompressedSize))
    let archiveBytes = max(1, DiskSpace.fileSize(archive) ?? 1)
    let ratio = Double(declared) / Double(archiveBytes)
    guard ratio > maxExpansionRatio, Int64(clamping: declared) > expansionAllowanceBytes else {
      return
    }
    throw DownloadError(
      .unsafeArchive,
      "refused, nothing extracted: its entries declare \(DiskSpace.describe(Int64(clamping: declared))) "
        + "from \(DiskSpace.describe(archiveBytes)) of archive, "
        + String(format: "%.0f", ratio) + " times its size, more "
        + "than the \(Self.ratioText(maxExpansionRatio)):1 allowed (a zip bomb?); if you trust the "
        + "archive, allow more with --max-expansion-ratio",
      path: archive.path)
  }

  /// Streams `entry` into `sink`, stopping as soon as it inflates beyond its declared size,
  /// and checks its size and CRC-32.
  func read(_ entry: Entry, of zip: Archive, archive: URL, into sink: (Data) throws -> Void)
    throws
  {
    let declared = entry.uncompressedSize
    var produced: UInt64 = 0
    let checksum: CRC32
    do {
      checksum = try zip.extract(entry, bufferSize: 1 << 20) { data in
        guard UInt64(data.count) <= declared - produced else {
          throw DownloadError(
            .unsafeArchive,
            "refused: '\(entry.path)' inflates to more than the \(declared) bytes it declares "
              + "(a zip bomb or a damaged archive); extraction was stopped and nothing was kept",
            path: archive.path)
        }
        produced += UInt64(data.count)
        try sink(data)
      }
    } catch let error as DownloadError {
      throw error
    } catch {
      throw DownloadError(
        .corruptArchive,
        "cannot extract '\(entry.path)' (truncated or damaged archive?): \(error)",
        path: archive.path)
    }
    guard produced == declared else {
      throw DownloadError(
        .corruptArchive,
        "'\(entry.path)' holds \(produced) bytes, but declares \(declared) (damaged archive)",
        path: archive.path)
    }
    guard checksum == entry.checksum else {
      throw DownloadError(
        .corruptArchive,
        "'\(entry.path)' fails its CRC-32 check (damaged archive): "
          + String(format: "%08x, expected %08x", checksum, entry.checksum),
        path: archive.path)
    }
  }

  /// The sum of `sizes`, saturating instead of wrapping (declared sizes are untrusted).
  static func total(_ sizes: [UInt64]) -> UInt64 {
    sizes.reduce(0) { sum, size in
      let (result, overflow) = sum.addingReportingOverflow(size)
      return overflow ? .max : result
    }
  }

  /// `'a', 'b', 'c' and 4 more`.
  static func list(_ items: [String]) -> String {
    items.prefix(5).joined(separator: "; ") + (items.count > 5 ? "; and \(items.count - 5) more" : "")
  }

  static func ratioText(_ ratio: Double) -> String {
    ratio == ratio.rounded() && ratio < 1e15 ? String(Int(ratio)) : String(ratio)
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
  /// L3DAS23's `audio_image.csv` has no header (the official code reads it with
  /// `header=None`): its parts are merged as a union of rows, with no first line set apart.
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
    if destination.lastPathComponent == "audio_image.csv" {
      var seen = Set(existing)
      let union = existing + added.filter { seen.insert($0).inserted }
      try FileSystemReason.attempt("cannot write", path: destination.path) {
        try Data((union.joined(separator: "\n") + "\n").utf8).write(to: destination)
      }
      return
    }
    guard existing.first == added.first || added.isEmpty || existing.isEmpty else {
      throw DownloadError(
        .conflict, "the parts' \(destination.lastPathComponent) files have different headers",
        path: destination.lastPathComponent)
    }
    var seen = Set(existing)
    var result = existing.isEmpty ? added.prefix(1).map { $0 } : existing
    for row in added.dropFirst() where seen.insert(row).inserted { result.append(row) }
    try FileSystemReason.attempt("cannot write", path: destination.path) {
      try Data((result.joined(separator: "\n") + "\n").utf8).write(to: destination)
    }
  }

  // MARK: - Helpers

  /// macOS metadata that is never extracted.
  static func isJunk(_ path: String) -> Bool {
    let components = path.split(separator: "/")
    return components.first == "__MACOSX" || components.last == ".DS_Store"
  }

  static func visibleEntries(of folder: URL) throws -> [String] {
    try FileSystemReason.attempt("cannot list", path: folder.path) {
      try FileManager.default.contentsOfDirectory(atPath: folder.path)
        .filter { !$0.hasPrefix(".") && $0 != "__MACOSX" }.sorted()
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
