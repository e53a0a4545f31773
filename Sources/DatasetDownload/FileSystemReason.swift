import Foundation
import L3DASCore

#if canImport(Glibc)
  import Glibc
#endif

/// Plain words for file-system failures, so that messages say "the file system is read-only"
/// instead of `Error Domain=NSCocoaErrorDomain Code=642`.
enum FileSystemReason {
  /// What the `errno` value `code` means for the user.
  static func describe(errno code: Int32) -> String {
    switch code {
    case EACCES, EPERM: "permission denied"
    case EROFS: "the file system is read-only"
    case ENOSPC: "no space left on the device"
    case EDQUOT: "the disk quota is exceeded"
    case ENOTDIR: "a part of the path is a file, not a folder"
    case EISDIR: "it is a folder, not a file"
    case ENOENT: "no such file or folder"
    case EEXIST: "something already exists there"
    case ENAMETOOLONG: "the name is too long"
    default: String(cString: strerror(code))
    }
  }

  /// What `error` (a Foundation, POSIX or download error) means for the user, in a few words.
  static func describe(_ error: any Error) -> String {
    if let error = error as? DownloadError { return error.message }
    if let error = error as? AtomicFileError { return error.message }
    let nsError = error as NSError
    if nsError.domain == NSPOSIXErrorDomain { return describe(errno: Int32(nsError.code)) }
    if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
      underlying.domain == NSPOSIXErrorDomain
    {
      return describe(errno: Int32(underlying.code))
    }
    if nsError.domain == NSCocoaErrorDomain {
      switch CocoaError.Code(rawValue: nsError.code) {
      case .fileWriteVolumeReadOnly: return describe(errno: EROFS)
      case .fileWriteNoPermission, .fileReadNoPermission: return describe(errno: EACCES)
      case .fileWriteOutOfSpace: return describe(errno: ENOSPC)
      case .fileNoSuchFile, .fileReadNoSuchFile: return describe(errno: ENOENT)
      case .fileWriteFileExists: return describe(errno: EEXIST)
      case .fileWriteInvalidFileName, .fileReadInvalidFileName: return "the name is not valid"
      default: break
      }
    }
    return nsError.localizedDescription
  }

  /// Runs `body`; a failure that is not already a `DownloadError` becomes a `.fileSystem` one
  /// reading `<path>: <action>: <reason in plain words>`.
  static func attempt<Result>(
    _ action: String, path: String, _ body: () throws -> Result
  ) throws -> Result {
    do {
      return try body()
    } catch let error as DownloadError {
      throw error
    } catch {
      throw DownloadError(.fileSystem, "\(action): \(describe(error))", path: path)
    }
  }

  /// Creates the folder `url` and any missing parent, or checks that it is a folder this
  /// process can write into.
  ///
  /// - Parameter role: what the folder is for, in the message (`the dataset folder (--dir)`).
  /// - Throws: `DownloadError` `.fileSystem` naming the path, the reason and the fix.
  static func prepareFolder(_ url: URL, role: String) throws {
    let path = url.standardizedFileURL.path
    var info = stat()
    if stat(path, &info) == 0 {
      guard (info.st_mode & S_IFMT) == S_IFDIR else {
        throw DownloadError(
          .fileSystem,
          "is a file, not a folder; \(role) must be a folder (it is created if missing): "
            + "name another path, or move the file away",
          path: path)
      }
      guard access(path, W_OK) == 0 else {
        let reason = describe(errno: errno)
        throw DownloadError(
          .fileSystem,
          "cannot write into \(role): \(reason); choose a writable folder or fix "
            + "its permissions",
          path: path)
      }
      return
    }
    // Create the missing folders one by one, so the message names the one that failed.
    var missing: [String] = []
    var existing = path
    while stat(existing, &info) != 0, existing != "/" {
      missing.append(existing)
      existing = (existing as NSString).deletingLastPathComponent
    }
    if (info.st_mode & S_IFMT) != S_IFDIR {
      throw DownloadError(
        .fileSystem,
        "cannot create \(role): \(existing) is a file, not a folder; name another path",
        path: path)
    }
    for folder in missing.reversed() where mkdir(folder, 0o777) != 0 && errno != EEXIST {
      let reason = describe(errno: errno)
      throw DownloadError(
        .fileSystem,
        "cannot create \(role): \(reason)"
          + (folder == path ? "" : " (creating \(folder))")
          + "; choose a writable place or fix the permissions",
        path: path)
    }
  }
}
