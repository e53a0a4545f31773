import Foundation
internal import ZIPFoundation
import L3DASCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A file of a submission, folder or archive.
struct SubmissionEntry: Sendable {
  /// The path relative to the submission root, `/`-separated.
  var path: String
  /// The size in bytes, if known before reading.
  var size: Int?
  /// The position in the listing (archive entry order).
  var index: Int

  /// The last path component.
  var name: String { path.split(separator: "/").last.map(String.init) ?? path }
  /// Whether the entry sits in a subfolder of the submission root.
  var isNested: Bool { path.contains("/") }
}

/// The files of a submission: a folder or a `.zip` archive read in place, never extracted.
///
/// Listing reports what is unsafe or unreadable as problems instead of failing, so that a
/// report lists everything at once. An archive entry with an absolute path, a `..`
/// component, a drive letter, a backslash or a symbolic link is refused (`unsafeArchiveEntry`)
/// and never read. When every file of an archive sits in one top folder (the participant
/// zipped the folder itself) that folder is the submission root. macOS metadata
/// (`__MACOSX/`, `.DS_Store`) is ignored, as the official validator ignores `.DS_Store`, and so
/// is the `.l3das-output.json` marker that `l3das predict` leaves. In a folder, only regular
/// files are read: symbolic links, FIFOs, sockets and devices are refused, never followed or
/// opened for a blocking read.
final class SubmissionContents: @unchecked Sendable {
  let url: URL
  let isArchive: Bool
  /// The readable files.
  let entries: [SubmissionEntry]
  /// What was refused or could not be listed.
  let problems: [SubmissionProblem]
  private let archiveEntries: [Entry]

  /// Lists the submission at `url`, or only its L3DAS23 `subtrack` folder (`task2/1mic/`).
  /// - Throws: `SubmissionError` if `url` does not exist or is neither a folder nor a `.zip`,
  ///   or has no folder for `subtrack`.
  init(url: URL, subtrack: Subtrack? = nil) throws {
    let manager = FileManager.default
    var isDirectory: ObjCBool = false
    guard manager.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
      throw SubmissionError(.submissionNotFound, "\(url.path): the submission does not exist")
    }
    var info = stat()
    if isDirectory.boolValue {
      var root = url
      if let subtrack {
        guard let folder = subtrack.folderURL(in: url) else {
          throw SubmissionError(
            .submissionNotFound, "\(url.path): the submission has no \(subtrack.folder)/ folder (L3DAS23 layout task<N>/<K>mic/)")
        }
        root = folder
      }
      self.url = root
      isArchive = false
      archiveEntries = []
      (entries, problems) = Self.listFolder(root)
    } else if stat(url.path, &info) != 0 || info.st_mode & S_IFMT != S_IFREG {
      throw SubmissionError(
        .notASubmission,
        "\(url.path): not a regular file or folder (a FIFO, socket or device); a submission is a folder or a .zip archive of one")
    } else if url.pathExtension.lowercased() == "zip" || Self.startsLikeZip(url) {
      self.url = url
      isArchive = true
      (entries, problems, archiveEntries) = Self.listArchive(url, subtrack: subtrack)
      if let subtrack, entries.isEmpty, !problems.contains(where: { $0.kind == .unreadableSubmission }) {
        throw SubmissionError(
          .submissionNotFound, "\(url.path): the archive has no files in \(subtrack.folder)/ (L3DAS23 layout task<N>/<K>mic/)")
      }
    } else {
      throw SubmissionError(
        .notASubmission,
        "\(url.path): a submission is a folder or a .zip archive of one; this is neither")
    }
  }

  private static func startsLikeZip(_ url: URL) -> Bool {
    guard let handle = FileHandle(forReadingAtPath: url.path) else { return false }
    defer { try? handle.close() }
    return (try? handle.read(upToCount: 4)) == Data([0x50, 0x4B, 0x03, 0x04])
  }

  private static func isJunk(_ path: String) -> Bool {
    let name = path.split(separator: "/").last.map(String.init) ?? path
    return path.hasPrefix("__MACOSX/") || name == ".DS_Store" || name.hasPrefix("._")
      || name == OutputFolder.markerName
  }

  // MARK: - Folder

  private static func listFolder(_ url: URL) -> ([SubmissionEntry], [SubmissionProblem]) {
    let manager = FileManager.default
    let names: [String]
    do {
      names = try manager.contentsOfDirectory(atPath: url.path).sorted()
    } catch {
      return (
        [],
        [
          SubmissionProblem(
            .error, .unreadableSubmission,
            "cannot list the submission folder \(url.path): \(error.localizedDescription)")
        ]
      )
    }
    var entries: [SubmissionEntry] = []
    var problems: [SubmissionProblem] = []
    for name in names where !isJunk(name) {
      let path = url.appendingPathComponent(name).path
      var info = stat()
      guard lstat(path, &info) == 0 else {
        problems.append(
          SubmissionProblem(
            .error, .unreadableSubmission, file: name,
            "cannot inspect the file: \(String(cString: strerror(errno)))"))
        continue
      }
      switch info.st_mode & S_IFMT {
      case S_IFREG:
        entries.append(SubmissionEntry(path: name, size: Int(info.st_size), index: entries.count))
      case S_IFDIR:
        problems.append(
          SubmissionProblem(
            .error, .unexpectedFile, file: name + "/",
            "a folder inside the submission; the submission is one flat folder of files",
            hint: "point --submission at the folder that holds the files, or move them up"))
      case S_IFLNK:
        // Never followed: a link could point anywhere (`/etc/passwd`) and its content would be
        // echoed into reports.
        problems.append(
          SubmissionProblem(
            .error, .unexpectedFile, file: name,
            "a symbolic link; a submission holds regular files only, and links are never followed",
            hint: "copy the file itself into the submission folder"))
      default:
        problems.append(
          SubmissionProblem(
            .error, .unexpectedFile, file: name,
            "not a regular file (a FIFO, socket or device); it was not read",
            hint: "a submission holds regular .npy/.csv files only"))
      }
    }
    return (entries, problems)
  }

  // MARK: - Archive

  /// The paths of an archive's entries (for `Subtrack.present(in:)`).
  /// - Throws: `SubmissionError` when `url` is not a readable zip archive.
  static func archivePaths(_ url: URL) throws -> [String] {
    guard url.pathExtension.lowercased() == "zip" || startsLikeZip(url) else {
      throw SubmissionError(.notASubmission, "\(url.path): a submission is a folder or a .zip archive of one; this is neither")
    }
    do {
      return try Archive(url: url, accessMode: .read).map(\.path)
    } catch {
      throw SubmissionError(.notASubmission, "\(url.lastPathComponent) is not a readable zip archive (\(error))")
    }
  }

  private static func listArchive(_ url: URL, subtrack: Subtrack?) -> ([SubmissionEntry], [SubmissionProblem], [Entry])
  {
    let archive: Archive
    do {
      archive = try Archive(url: url, accessMode: .read)
    } catch {
      return (
        [],
        [
          SubmissionProblem(
            .error, .unreadableSubmission,
            "\(url.lastPathComponent) is not a readable zip archive (\(error))",
            hint: "re-create it, e.g. `cd submission && zip -r ../submission.zip .`")
        ], []
      )
    }
    var problems: [SubmissionProblem] = []
    // The central directory read on its own: ZIPFoundation's listing stops silently at the
    // first encrypted entry, which would make the entries after it look missing.
    var encrypted = Set<String>()
    var directoryPaths: [String] = []
    do {
      let directory = try ZipDirectory(reading: url)
      directoryPaths = directory.records.map(\.path)
      for record in directory.records where record.isEncrypted {
        encrypted.insert(record.path)
        problems.append(
          SubmissionProblem(
            .error, .unsafeArchiveEntry, file: record.path,
            "the archive entry is encrypted; it was not read",
            hint: "zip the submission without a password"))
      }
    } catch {
      problems.append(
        SubmissionProblem(
          .error, .unreadableSubmission,
          "\(url.lastPathComponent) is not a readable zip archive (\(error))",
          hint: "re-create it, e.g. `cd submission && zip -r ../submission.zip .`"))
    }
    var listed = Set<String>()
    var kept: [(path: String, entry: Entry)] = []
    for entry in archive {
      listed.insert(entry.path)
      let path = entry.path
      if encrypted.contains(path) { continue }
      if let reason = ArchivePath.unsafeReason(path: path, isSymlink: entry.type == .symlink) {
        problems.append(
          SubmissionProblem(
            .error, .unsafeArchiveEntry, file: path,
            "archive entry refused: \(reason); it was not read",
            hint: "zip the files by relative name from inside the submission folder"))
        continue
      }
      if entry.type == .directory || isJunk(path) { continue }
      kept.append((path, entry))
    }
    // Entries the directory names that the reader never reached (after an encrypted one).
    for path in directoryPaths where !listed.contains(path) && !encrypted.contains(path) {
      problems.append(
        SubmissionProblem(
          .error, .unreadableSubmission, file: path,
          "the archive entry cannot be read (it follows an encrypted or damaged entry)",
          hint: "re-create the archive without a password"))
    }
    if let subtrack {
      // Only the subtrack's folder is this submission; the other subtracks are not its files.
      var entries: [SubmissionEntry] = []
      var archiveEntries: [Entry] = []
      for (path, entry) in kept {
        guard let relative = subtrack.relative(path), !relative.isEmpty else { continue }
        let size = entry.uncompressedSize <= UInt64(Int.max) ? Int(entry.uncompressedSize) : nil
        entries.append(SubmissionEntry(path: relative, size: size, index: archiveEntries.count))
        archiveEntries.append(entry)
      }
      return (entries, problems, archiveEntries)
    }
    // One common top folder (`task1/x.npy` …) is the submission root.
    let firstComponents = Set(kept.map { $0.path.split(separator: "/").first.map(String.init) ?? "" })
    var prefix = ""
    if firstComponents.count == 1, let top = firstComponents.first,
      kept.allSatisfy({ $0.path.hasPrefix(top + "/") })
    {
      prefix = top + "/"
    }
    var entries: [SubmissionEntry] = []
    var archiveEntries: [Entry] = []
    for (path, entry) in kept {
      let relative = String(path.dropFirst(prefix.count))
      let size = entry.uncompressedSize <= UInt64(Int.max) ? Int(entry.uncompressedSize) : nil
      entries.append(SubmissionEntry(path: relative, size: size, index: archiveEntries.count))
      archiveEntries.append(entry)
    }
    return (entries, problems, archiveEntries)
  }


  // MARK: - Reading

  /// A reader for one thread; an archive reader holds its own open archive.
  func makeReader() -> Reader {
    Reader(contents: self, archive: isArchive ? (try? Archive(url: url, accessMode: .read, pathEncoding: nil)) : nil)
  }

  /// Reads entries; not shared between threads.
  final class Reader {
    let contents: SubmissionContents
    private let archive: Archive?

    fileprivate init(contents: SubmissionContents, archive: Archive?) {
      self.contents = contents
      self.archive = archive
    }

    private struct Stop: Error {}

    /// Feeds `entry`'s bytes to `body` in chunks until the entry ends or `body` returns false.
    /// - Returns: whether the whole entry was read.
    /// - Throws: `ReadFailure` with a message if the entry cannot be read or inflated, or
    ///   its checksum is wrong; what `body` throws.
    @discardableResult
    func read(_ entry: SubmissionEntry, _ body: (UnsafeRawBufferPointer) throws -> Bool) throws
      -> Bool
    {
      if contents.isArchive {
        guard let archive else {
          throw ReadFailure(message: "the archive cannot be opened again for reading")
        }
        let zipEntry = contents.archiveEntries[entry.index]
        var stopped = false
        do {
          let checksum = try archive.extract(zipEntry, bufferSize: 1 << 20) { data in
            let more = try data.withUnsafeBytes { try body($0) }
            if !more {
              stopped = true
              throw Stop()
            }
          }
          if checksum != zipEntry.checksum {
            throw ReadFailure(message: "the archive entry's CRC-32 checksum is wrong (corrupt archive)")
          }
          return true
        } catch is Stop {
          return !stopped
        } catch let failure as ReadFailure {
          throw failure
        } catch let error as any CheckFailure {
          throw error
        } catch {
          throw ReadFailure(message: "cannot inflate the archive entry (\(error))")
        }
      }
      // A folder file: read(2) into one buffer reused for every chunk and file.
      let path = contents.url.appendingPathComponent(entry.path).path
      // O_NOFOLLOW and O_NONBLOCK: a file swapped for a link or a FIFO after listing is
      // refused instead of followed or waited on forever.
      let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
      guard descriptor >= 0 else {
        throw ReadFailure(message: "cannot open the file: \(String(cString: strerror(errno)))")
      }
      defer { close(descriptor) }
      var info = stat()
      guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
        throw ReadFailure(message: "not a regular file; it was not read")
      }
      while true {
        let got = systemRead(descriptor, buffer.baseAddress, buffer.count)
        if got < 0 {
          if errno == EINTR { continue }
          throw ReadFailure(message: "cannot read the file: \(String(cString: strerror(errno)))")
        }
        if got == 0 { return true }
        guard try body(UnsafeRawBufferPointer(rebasing: buffer[0..<got])) else { return false }
      }
    }

    /// The chunk buffer of folder reads.
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)

    deinit { buffer.deallocate() }
  }
}

/// `read(2)`, under a name the readers' `read` method does not hide.
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
  read(descriptor, buffer, count)
}

/// An entry that cannot be read; the message says why.
struct ReadFailure: Error {
  var message: String
}

/// An error a check throws from inside a read to stop it; passed through unchanged.
protocol CheckFailure: Error {}
