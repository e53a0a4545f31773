public import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Reading whole files that are untrusted or may not be files at all: only regular files are
/// read (a FIFO is never opened for a blocking read, so a FIFO in place of a CSV cannot hang a
/// command), and only up to a size limit.
///
/// ```swift
/// let data = try RegularFile.read(url, limit: 64 << 20)
/// ```
public enum RegularFile {
  /// Why a file could not be read.
  public struct Failure: Error, CustomStringConvertible, Sendable {
    /// The kinds of failure.
    public enum Reason: Sendable, Equatable {
      /// Nothing at the path.
      case missing
      /// A folder, FIFO, socket or device (`kind` says which).
      case notARegularFile(String)
      /// A symbolic link, with `followLinks: false`.
      case symbolicLink
      /// Larger than the limit.
      case tooLarge(size: Int, limit: Int)
      /// The system refused (`errno` text).
      case system(String)
    }

    /// The file.
    public var path: String
    /// What went wrong.
    public var reason: Reason

    /// Words for the reason, without the path.
    public var message: String {
      switch reason {
      case .missing: "file does not exist"
      case .notARegularFile(let kind): "not a regular file (\(kind)); it was not read"
      case .symbolicLink: "a symbolic link; links are not followed here"
      case .tooLarge(let size, let limit):
        "the file is \(RegularFile.byteText(size)), more than the \(RegularFile.byteText(limit)) this file may have"
      case .system(let text): "cannot read the file: \(text)"
      }
    }

    /// `path: message`.
    public var description: String { "\(path): \(message)" }
  }

  /// Human-readable byte counts that never round a non-empty size down to zero.
  public static func byteText(_ count: Int) -> String {
    if count < 1024 { return "\(count) bytes" }
    if count < 1 << 20 { return String(format: "%.1f KiB", Double(count) / 1024) }
    if count < 1 << 30 { return String(format: "%.1f MiB", Double(count) / 1_048_576) }
    return String(format: "%.2f GiB", Double(count) / 1_073_741_824)
  }

  /// What is at `path`, without opening it: `nil` for a regular file, else the kind.
  public static func kindOfNonRegular(_ path: String, followLinks: Bool = true) -> String? {
    var info = stat()
    guard (followLinks ? stat(path, &info) : lstat(path, &info)) == 0 else { return "missing" }
    return kindName(info.st_mode)
  }

  static func kindName(_ mode: mode_t) -> String? {
    switch mode & S_IFMT {
    case S_IFREG: nil
    case S_IFDIR: "a folder"
    case S_IFLNK: "a symbolic link"
    case S_IFIFO: "a FIFO"
    case S_IFSOCK: "a socket"
    case S_IFCHR, S_IFBLK: "a device"
    default: "a special file"
    }
  }

  /// Opens `url` for reading if it is a regular file: the descriptor (blocking), and its size.
  /// The caller closes the descriptor.
  public static func open(_ url: URL, followLinks: Bool = true) throws -> (descriptor: Int32, size: Int) {
    var flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK
    if !followLinks { flags |= O_NOFOLLOW }
    let fd = Glibc.open(url.path, flags)
    guard fd >= 0 else {
      let code = errno
      if code == ENOENT { throw Failure(path: url.path, reason: .missing) }
      if code == ELOOP && !followLinks { throw Failure(path: url.path, reason: .symbolicLink) }
      throw Failure(path: url.path, reason: .system(String(cString: strerror(code))))
    }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      let text = String(cString: strerror(errno))
      close(fd)
      throw Failure(path: url.path, reason: .system(text))
    }
    if let kind = kindName(info.st_mode) {
      close(fd)
      throw Failure(path: url.path, reason: .notARegularFile(kind))
    }
    // Regular files never block; clear the flag so reads behave normally.
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
    return (fd, Int(info.st_size))
  }

  /// The whole content of the regular file `url`, if it holds at most `limit` bytes.
  /// - Throws: `RegularFile.Failure`.
  public static func read(_ url: URL, limit: Int = 256 << 20, followLinks: Bool = true) throws -> Data {
    let (fd, size) = try open(url, followLinks: followLinks)
    defer { close(fd) }
    guard size <= limit else {
      throw Failure(path: url.path, reason: .tooLarge(size: size, limit: limit))
    }
    var data = Data(count: size)
    var offset = 0
    while offset < size {
      let got = data.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + offset, size - offset) }
      if got < 0 {
        if errno == EINTR { continue }
        throw Failure(path: url.path, reason: .system(String(cString: strerror(errno))))
      }
      if got == 0 { break }
      offset += got
    }
    // A file that shrank while being read keeps what was there.
    if offset < size { data.removeSubrange(offset..<size) }
    return data
  }
}
