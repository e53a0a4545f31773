public import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Names of the hidden staging files and folders that commands write before moving a result
/// into place, and the clean-up of those left behind by killed runs.
///
/// A staging entry is named `.<name>.l3das-<kind>-<host>-<pid>-<random>` beside its
/// destination `<name>`, so it is recognisably ours, and recognisably stale once its process
/// is gone: `removeStale(in:)` deletes only entries of this machine whose process no longer
/// runs (a folder shared over the network may hold another machine's live staging).
public enum StagingPath {
  /// The infix that marks an entry as an `l3das` staging entry.
  static let infix = ".l3das-"

  /// This machine's name, reduced to `[A-Za-z0-9.-]`.
  public static let host: String = {
    var buffer = [CChar](repeating: 0, count: 256)
    gethostname(&buffer, buffer.count - 1)
    let name = String(cString: buffer).filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }
    return name.isEmpty ? "localhost" : name
  }()

  /// A fresh staging path beside `destination`: `.<name>.l3das-<kind>-<host>-<pid>-<random>`.
  /// - Parameter kind: `partial` for folders, `tmp` for single files.
  public static func make(besides destination: URL, kind: String = "partial") -> URL {
    let name =
      ".\(destination.lastPathComponent)\(infix)\(kind)-\(host)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    return destination.deletingLastPathComponent().appendingPathComponent(name)
  }

  /// The process id that made `name`, when `name` is a staging entry of this machine.
  static func ownerProcess(ofEntry name: String) -> pid_t? {
    guard name.hasPrefix("."), let range = name.range(of: infix) else { return nil }
    // <kind>-<host>-<pid>-<random>
    let fields = name[range.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
    guard fields.count >= 4, let pid = pid_t(fields[fields.count - 2]), pid > 0,
      UInt32(fields[fields.count - 1]) != nil
    else { return nil }
    let entryHost = fields[1..<(fields.count - 2)].joined(separator: "-")
    return entryHost == host ? pid : nil
  }

  /// Whether process `pid` still runs on this machine.
  static func isRunning(_ pid: pid_t) -> Bool {
    kill(pid, 0) == 0 || errno == EPERM
  }

  /// Removes the staging entries in `folder` left by processes of this machine that no longer
  /// run; `destinationName` limits it to the entries of one destination.
  /// - Returns: the removed entries.
  @discardableResult
  public static func removeStale(in folder: URL, destinationName: String? = nil) -> [URL] {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
      return []
    }
    var removed: [URL] = []
    for name in names {
      if let destinationName, !name.hasPrefix(".\(destinationName)\(infix)") { continue }
      guard let pid = ownerProcess(ofEntry: name), pid != getpid(), !isRunning(pid) else {
        continue
      }
      let url = folder.appendingPathComponent(name)
      if (try? FileManager.default.removeItem(at: url)) != nil { removed.append(url) }
    }
    return removed
  }

  /// Removes the stale staging entries of `destination` (in its parent folder).
  @discardableResult
  public static func removeStale(besides destination: URL) -> [URL] {
    removeStale(
      in: destination.deletingLastPathComponent(), destinationName: destination.lastPathComponent)
  }
}

/// An advisory lock (`flock`) on a folder, held while a command works in it, so two runs
/// cannot write into one folder at once. The lock file `.l3das-lock` holds the owner's pid
/// for the message; the lock itself dies with the process, so a killed run never leaves a
/// folder locked.
public final class FolderLock: @unchecked Sendable {
  /// The lock file's name.
  public static let fileName = ".l3das-lock"
  private let descriptor: Int32
  /// The locked folder.
  public let folder: URL

  /// Takes the lock on `folder` (which must exist) for `command`.
  /// - Throws: `OutputFolderError` if another process holds it or the lock file cannot be
  ///   created.
  public init(_ folder: URL, command: String) throws {
    self.folder = folder
    let path = folder.appendingPathComponent(Self.fileName).path
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
    guard fd >= 0 else {
      throw OutputFolderError(
        path: folder.path,
        message: "cannot create the lock file \(Self.fileName): \(String(cString: strerror(errno)))")
    }
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      var buffer = [UInt8](repeating: 0, count: 32)
      let count = read(fd, &buffer, buffer.count)
      close(fd)
      let owner = count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
      throw OutputFolderError(
        path: folder.path,
        message: "another 'l3das \(command)' (pid \(owner)) is working in this folder; wait for it to finish or choose another folder")
    }
    descriptor = fd
    let text = Array("\(getpid())\n".utf8)
    _ = ftruncate(fd, 0)
    _ = pwrite(fd, text, text.count, 0)
  }

  deinit {
    flock(descriptor, LOCK_UN)
    close(descriptor)
  }
}
