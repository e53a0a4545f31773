#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The names in one directory, read lazily with `opendir`/`readdir`.
///
/// Memory stays constant
/// however many entries the directory holds. `.` and `..` are skipped; hidden names are not
/// (callers decide). The directory handle is closed at the end or when the stream is
/// released.
final class DirectoryStream {
  #if canImport(Darwin)
    private typealias Handle = UnsafeMutablePointer<DIR>
  #else
    private typealias Handle = OpaquePointer
  #endif

  private var handle: Handle?

  /// Opens `path`; returns `nil` if it cannot be opened as a directory.
  init?(path: String) {
    guard let opened = opendir(path) else { return nil }
    handle = opened
  }

  deinit { close() }

  /// The next name, or `nil` at the end (or on a read error).
  func next() -> String? {
    guard let handle else { return nil }
    while let entry = readdir(handle) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
      }
      if name == "." || name == ".." { continue }
      return name
    }
    close()
    return nil
  }

  private func close() {
    if let handle { closedir(handle) }
    handle = nil
  }
}

/// File-system queries used by the layout code.
enum FileSystem {
  /// Whether `path` exists and is a directory (symbolic links followed).
  static func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
  }

  /// Whether `path` exists and is a regular file (symbolic links followed).
  static func isFile(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
  }

  /// Whether anything exists at `path`.
  static func exists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0
  }

  /// The non-hidden subdirectory names of `path`, sorted.
  static func subdirectories(of path: String) -> [String] {
    guard let stream = DirectoryStream(path: path) else { return [] }
    var names: [String] = []
    while let name = stream.next() {
      if !name.hasPrefix("."), isDirectory(path + "/" + name) { names.append(name) }
    }
    return names.sorted()
  }
}
