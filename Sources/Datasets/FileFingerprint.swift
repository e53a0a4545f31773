public import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A cheap identity of a file's content for resume keys: its size, modification time and a
/// SHA-256 of sampled content (the first and last 64 KiB and 16 evenly spaced 4-KiB blocks;
/// the whole file when it is smaller than that).
///
/// A file rewritten with other content (a dataset re-synthesised with another seed), truncated,
/// extended or touched gets another fingerprint, while reading stays a few hundred KiB per file
/// whatever its size.
///
/// ```swift
/// let key = try FileFingerprint.combined([micA, micB, labels])
/// ```
public enum FileFingerprint {
  /// Bytes read from each end of the file.
  static let endBytes = 65_536
  /// Blocks sampled between the ends, and their size.
  static let sampleCount = 16
  static let sampleBytes = 4_096

  /// The hex fingerprint of the file at `url` (symbolic links followed).
  /// - Throws: `DatasetError` `.notFound` / `.readFailed` naming the file.
  public static func of(_ url: URL) throws -> String {
    let context = try DigestContext(.sha256)
    try update(context, with: url)
    return Digest.hexString(try context.finish())
  }

  /// One fingerprint over several files, in order.
  public static func combined(_ urls: [URL]) throws -> String {
    let context = try DigestContext(.sha256)
    for url in urls { try update(context, with: url) }
    return Digest.hexString(try context.finish())
  }

  private static func update(_ context: DigestContext, with url: URL) throws {
    let fd = open(url.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard fd >= 0 else {
      let code: DatasetError.Code = errno == ENOENT ? .notFound : .readFailed
      throw DatasetError(code, "cannot open: \(String(cString: strerror(errno)))", path: url.path)
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
      throw DatasetError(.readFailed, "not a regular file", path: url.path)
    }
    let size = Int(info.st_size)
    let header = "\(url.lastPathComponent)\n\(size)\n\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)\n"
    try Data(header.utf8).withUnsafeBytes { try context.update($0) }
    var ranges: [Range<Int>] = []
    if size <= 2 * endBytes + sampleCount * sampleBytes {
      ranges = [0..<size]
    } else {
      ranges.append(0..<endBytes)
      let middle = size - 2 * endBytes
      for i in 0..<sampleCount {
        let start = endBytes + (middle - sampleBytes) * i / max(1, sampleCount - 1)
        ranges.append(start..<start + sampleBytes)
      }
      ranges.append((size - endBytes)..<size)
    }
    var buffer = [UInt8](repeating: 0, count: endBytes)
    for range in ranges {
      var offset = range.lowerBound
      while offset < range.upperBound {
        let want = min(buffer.count, range.upperBound - offset)
        let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(offset)) }
        if got < 0 && errno == EINTR { continue }
        guard got > 0 else {
          throw DatasetError(.readFailed, "cannot read (the file changed while it was read?)", path: url.path)
        }
        try buffer.withUnsafeBytes { try context.update(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
        offset += got
      }
    }
  }
}
