public import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Free space and file sizes.
public enum DiskSpace {
  /// Bytes available to unprivileged users on the file system holding `url` (the nearest
  /// existing ancestor is asked), or `nil` if it cannot be found.
  @Sendable
  public static func freeBytes(at url: URL) -> Int64? {
    var path = url.standardizedFileURL.path
    while !FileManager.default.fileExists(atPath: path), path != "/" {
      path = (path as NSString).deletingLastPathComponent
    }
    var info = statvfs()
    guard statvfs(path, &info) == 0 else { return nil }
    return Int64(info.f_bavail) * Int64(info.f_frsize)
  }

  /// The size of a regular file, or `nil` if it does not exist.
  public static func fileSize(_ url: URL) -> Int64? {
    var info = stat()
    guard stat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
    return Int64(info.st_size)
  }

  /// `1.5 GiB`, `320 MiB`, `12 KiB`, `10 B`.
  public static func describe(_ bytes: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
      value /= 1024
      unit += 1
    }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
  }
}
