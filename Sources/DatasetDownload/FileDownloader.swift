import Datasets
public import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Downloads one file over HTTP(S), or copies it from a `file://` URL, so that a careful user
/// can trust it.
///
/// - Partial data lives only under `<destination>.part`; a later call resumes it with a
///   `Range` request (a server that ignores `Range` makes it start over).
/// - Connection loss, idle timeouts, 5xx, 408 and 429 are retried with exponential backoff
///   (`RetryPolicy`). Only net progress restarts the attempt count: bytes beyond the furthest
///   offset reached so far, so a server that ignores `Range` and stalls after the same first
///   bytes every time is given up on after `maxAttempts` attempts.
/// - A body is complete only when its length is known (`Content-Length`, `Content-Range`, or
///   the published size) and reached. A connection that ends without any announced length is
///   suspect: the rest is asked for with a `Range` request, and only a `416` naming the
///   current size confirms the end. A server that neither announces a length nor honours
///   `Range` cannot deliver a file that can be trusted, and is reported as such.
/// - Before writing, the announced size is checked against the free disk space.
/// - When the body is complete, its first bytes (when `Source.expectedContent` asks for a zip
///   archive), the size, MD5 (if published) and SHA-256 (if known, e.g. from the lock file)
///   are checked. Only a file that passes is renamed to `destination`; a file whose checksum
///   fails is deleted and downloaded once more from scratch before the error is reported, so
///   a corrupt file is never moved into place.
/// - A `file://` URL is copied into `.part` and checked the same way (no resuming).
public struct FileDownloader: Sendable {
  /// When and how often to retry.
  public struct RetryPolicy: Sendable, Equatable {
    /// Failed attempts in a row (without net progress: no byte beyond the furthest offset
    /// reached before) before giving up.
    public var maxAttempts: Int
    /// The delay before the first retry, in seconds; doubled after each failure.
    public var initialDelaySeconds: Double
    /// The longest delay, in seconds.
    public var maxDelaySeconds: Double

    /// Creates a policy.
    public init(maxAttempts: Int = 8, initialDelaySeconds: Double = 1, maxDelaySeconds: Double = 60)
    {
      self.maxAttempts = maxAttempts
      self.initialDelaySeconds = initialDelaySeconds
      self.maxDelaySeconds = maxDelaySeconds
    }

    /// The delay before retry number `attempt` (1-based): `initial · 2^(attempt−1)`, capped.
    public func delay(beforeRetry attempt: Int) -> Double {
      min(maxDelaySeconds, initialDelaySeconds * pow(2, Double(max(0, attempt - 1))))
    }
  }

  /// What to download and what it must match.
  public struct Source: Sendable, Equatable {
    /// What a complete body must look like, judged from its first bytes.
    public enum ExpectedContent: Sendable, Equatable {
      /// Anything.
      case any
      /// A zip archive: an HTML page (a login or error page served with status 200), an
      /// XML or JSON error document, text or an empty body is refused and named.
      case zipArchive
    }

    /// The URL.
    public var url: URL
    /// Extra request headers (for example `Authorization`).
    public var headers: [String: String]
    /// The size in bytes, if published.
    public var expectedBytes: Int64?
    /// The lower-case hex MD5, if published (Zenodo).
    public var expectedMD5: String?
    /// The lower-case hex SHA-256, if known (lock file).
    public var expectedSHA256: String?
    /// What the body must look like.
    public var expectedContent: ExpectedContent

    /// Creates a source.
    public init(
      url: URL, headers: [String: String] = [:], expectedBytes: Int64? = nil,
      expectedMD5: String? = nil, expectedSHA256: String? = nil,
      expectedContent: ExpectedContent = .any
    ) {
      self.url = url
      self.headers = headers
      self.expectedBytes = expectedBytes
      self.expectedMD5 = expectedMD5
      self.expectedSHA256 = expectedSHA256
      self.expectedContent = expectedContent
    }
  }

  /// A finished download.
  public struct Result: Sendable, Equatable {
    /// The file's size in bytes.
    public var bytes: Int64
    /// Its SHA-256.
    public var sha256: String
    /// Its MD5, when one was published and checked.
    public var md5: String?
    /// Bytes found in `.part` from an earlier run when this call started.
    public var resumedBytes: Int64
  }

  /// The HTTP client.
  public var transport: any HTTPTransport
  /// The retry policy.
  public var retry: RetryPolicy
  /// How long a connection may stay silent, in seconds.
  public var idleTimeoutSeconds: Double
  /// Waits between retries (injected so tests do not sleep).
  public var sleep: @Sendable (Double) -> Void
  /// Free bytes on the file system holding a URL, or `nil` if unknown (injected for tests).
  public var freeBytes: @Sendable (URL) -> Int64?

  /// Creates a downloader.
  public init(
    transport: any HTTPTransport = URLSessionTransport(), retry: RetryPolicy = RetryPolicy(),
    idleTimeoutSeconds: Double = 60,
    sleep: @escaping @Sendable (Double) -> Void = { Thread.sleep(forTimeInterval: $0) },
    freeBytes: @escaping @Sendable (URL) -> Int64? = DiskSpace.freeBytes(at:)
  ) {
    self.transport = transport
    self.retry = retry
    self.idleTimeoutSeconds = idleTimeoutSeconds
    self.sleep = sleep
    self.freeBytes = freeBytes
  }

  /// The partial-download path of `destination`: `<destination>.part`.
  public static func partURL(for destination: URL) -> URL {
    destination.deletingLastPathComponent()
      .appendingPathComponent(destination.lastPathComponent + ".part")
  }

  /// Downloads `source` to `destination` (whose folder must exist).
  ///
  /// - Throws: `DownloadError`: `.connection` / `.httpStatus` when retries are exhausted or
  ///   the status is not retryable (the `.part` file is kept for the next run);
  ///   `.checksumMismatch` when the complete file fails its checks twice (nothing is kept);
  ///   `.corruptArchive` when a zip archive was expected and the body is something else,
  ///   named (nothing is kept); `.insufficientSpace`; `.fileSystem` (also for a `file://`
  ///   source that does not exist or is a folder).
  @discardableResult
  public func download(
    _ source: Source, to destination: URL, observer: any DownloadObserver = SilentDownloadObserver()
  ) throws -> Result {
    let part = Self.partURL(for: destination)
    let name = destination.lastPathComponent
    let resumedBytes = DiskSpace.fileSize(part) ?? 0
    // A local copy gets no second chance: copying it again gives the same bytes.
    var checksumRetries = source.url.isFileURL ? 0 : 1
    while true {
      if source.url.isFileURL {
        try copyLocal(source, part: part, name: name, observer: observer)
      } else {
        try fetchCompletely(source, part: part, name: name, observer: observer)
      }
      observer.handle(.verifying(file: name))
      do {
        let result = try check(part, against: source, resumedBytes: resumedBytes)
        guard rename(part.path, destination.path) == 0 else {
          throw DownloadError(
            .fileSystem, "cannot move the download into place: \(String(cString: strerror(errno)))",
            path: destination.path)
        }
        observer.handle(.finished(file: name, bytes: result.bytes))
        return result
      } catch let error as DownloadError where error.code == .checksumMismatch {
        unlink(part.path)
        guard checksumRetries > 0 else { throw error }
        checksumRetries -= 1
        observer.handle(
          .retrying(
            file: name, attempt: 1, delaySeconds: 0, reason: "\(error.message); downloading again"))
      }
    }
  }

  /// Loops until `part` holds the whole body.
  private func fetchCompletely(
    _ source: Source, part: URL, name: String, observer: any DownloadObserver
  ) throws {
    var failures = 0
    var announced = false
    // The furthest offset an attempt of this call reached; only bytes beyond it count as
    // progress. (A `.part` left by an earlier run does not count: it may be discarded.)
    var furthest: Int64 = 0
    while true {
      var offset = DiskSpace.fileSize(part) ?? 0
      if let expected = source.expectedBytes {
        if offset == expected { return }
        if offset > expected {
          // Longer than the published size: not a prefix of the right file.
          unlink(part.path)
          offset = 0
        }
      }
      if !announced {
        observer.handle(
          .started(file: name, resumedBytes: offset, expectedBytes: source.expectedBytes))
        announced = true
      }
      var request = HTTPRequest(
        url: source.url, headers: source.headers, idleTimeoutSeconds: idleTimeoutSeconds)
      if offset > 0 { request.headers["Range"] = "bytes=\(offset)-" }
      let writer = PartFileWriter(
        part: part, offset: offset, expectedBytes: source.expectedBytes, name: name,
        observer: observer, freeBytes: freeBytes)
      do {
        try transport.perform(request, handler: writer)
        try writer.finish()
        if writer.isComplete { return }
        throw DownloadError(
          .connection,
          writer.lengthIsKnown
            ? "the server closed the connection before the end of the file"
            : "the connection ended, but the server never said how long the file is, so it may "
              + "be cut short; asking for the rest to confirm the end",
          path: source.url.absoluteString)
      } catch let error as DownloadError where error.isTransient || error.code == .connection {
        writer.close()
        if writer.reachedBytes > furthest {
          furthest = writer.reachedBytes
          failures = 0
        }
        failures += 1
        guard failures < retry.maxAttempts else {
          throw DownloadError(
            error.code,
            "\(error.message) (gave up after \(failures) attempts in a row without new data; "
              + "run again to resume)",
            path: error.path, statusCode: error.statusCode)
        }
        let delay = retry.delay(beforeRetry: failures)
        observer.handle(
          .retrying(file: name, attempt: failures, delaySeconds: delay, reason: error.message))
        sleep(delay)
      } catch is PartFileWriter.Unconfirmable {
        writer.close()
        throw DownloadError(
          .connection,
          "the server announces no length and ignores Range requests, so the end of the file "
            + "cannot be confirmed and the download cannot be trusted; use another source "
            + "(a --mirror that sends Content-Length)",
          path: source.url.absoluteString)
      } catch is PartFileWriter.Restart {
        writer.close()
        unlink(part.path)
        failures += 1
        guard failures < retry.maxAttempts else {
          throw DownloadError(
            .connection, "the server cannot resume this file", path: source.url.absoluteString)
        }
      } catch {
        writer.close()
        throw error
      }
    }
  }

  /// Copies the `file://` source into `part`, from scratch.
  private func copyLocal(
    _ source: Source, part: URL, name: String, observer: any DownloadObserver
  ) throws {
    let path = source.url.path
    var info = stat()
    guard stat(path, &info) == 0 else {
      throw DownloadError(
        .fileSystem,
        "cannot read the local copy: \(FileSystemReason.describe(errno: errno)); a file:// source "
          + "(--mirror file://FOLDER) must hold the file under this name",
        path: path)
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      throw DownloadError(
        .fileSystem, "is not a regular file; a file:// source must name a file", path: path)
    }
    let total = Int64(info.st_size)
    if let expected = source.expectedBytes, expected != total {
      throw DownloadError(
        .checksumMismatch, "size is \(total) bytes, expected \(expected)", path: path)
    }
    if let free = freeBytes(part.deletingLastPathComponent()), total > free {
      throw DownloadError(
        .insufficientSpace,
        "needs \(DiskSpace.describe(total)), only \(DiskSpace.describe(free)) free",
        path: part.deletingLastPathComponent().path)
    }
    observer.handle(.started(file: name, resumedBytes: 0, expectedBytes: total))
    let input = try FileSystemReason.attempt("cannot read the local copy", path: path) {
      try FileHandle(forReadingFrom: source.url)
    }
    defer { try? input.close() }
    guard FileManager.default.createFile(atPath: part.path, contents: nil) else {
      throw DownloadError(.fileSystem, "cannot create the file", path: part.path)
    }
    let output = try FileSystemReason.attempt("cannot open for writing", path: part.path) {
      try FileHandle(forWritingTo: part)
    }
    defer { try? output.close() }
    var copied: Int64 = 0
    try FileSystemReason.attempt("cannot copy", path: part.path) {
      while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
        try output.write(contentsOf: chunk)
        copied += Int64(chunk.count)
        observer.handle(.progress(file: name, receivedBytes: copied, expectedBytes: total))
      }
      try output.synchronize()
    }
  }

  /// First bytes, size, MD5 and SHA-256 of the complete `.part`.
  private func check(_ part: URL, against source: Source, resumedBytes: Int64) throws -> Result {
    let bytes = DiskSpace.fileSize(part) ?? 0
    let name = part.lastPathComponent
    if source.expectedContent == .zipArchive,
      let what = ArchiveSniffer.nonZipDescription(ofFileAt: part)
    {
      unlink(part.path)
      let page = what.hasPrefix("an HTML page") ? "usually a login, consent or error page; " : ""
      let local = source.url.isFileURL
      throw DownloadError(
        .corruptArchive,
        "\(local ? "is" : "the server sent") \(what), not a zip archive (\(page)check the URL, "
          + "the mirror or the credentials); nothing was kept",
        path: local ? source.url.path : source.url.absoluteString)
    }
    if let expected = source.expectedBytes, expected != bytes {
      throw DownloadError(
        .checksumMismatch, "size is \(bytes) bytes, expected \(expected)", path: name)
    }
    var md5: String?
    if let expected = source.expectedMD5 {
      let actual = try Self.digest(part, .md5)
      guard actual == expected.lowercased() else {
        throw DownloadError(.checksumMismatch, "MD5 is \(actual), expected \(expected)", path: name)
      }
      md5 = actual
    }
    let sha256 = try Self.digest(part, .sha256)
    if let expected = source.expectedSHA256, expected.lowercased() != sha256 {
      throw DownloadError(
        .checksumMismatch, "SHA-256 is \(sha256), expected \(expected) (from the lock file)",
        path: name)
    }
    return Result(bytes: bytes, sha256: sha256, md5: md5, resumedBytes: resumedBytes)
  }

  static func digest(_ url: URL, _ algorithm: Digest.Algorithm) throws -> String {
    do {
      return try Digest.hex(ofFileAt: url, algorithm: algorithm)
    } catch {
      throw DownloadError(
        .fileSystem, "cannot compute \(algorithm.rawValue): \(error)", path: url.path)
    }
  }
}

/// Appends one response body to a `.part` file, checking `Content-Range`.
final class PartFileWriter: HTTPResponseHandler {
  /// The server cannot serve the requested range; start the file over.
  struct Restart: Error {}
  /// The server ignores `Range` and announces no length: the end can never be confirmed.
  struct Unconfirmable: Error {}

  private let part: URL
  private var offset: Int64
  private let expectedBytes: Int64?
  private let name: String
  private let observer: any DownloadObserver
  private let freeBytes: @Sendable (URL) -> Int64?
  private var handle: FileHandle?
  private(set) var gainedBytes: Int64 = 0
  private var totalBytes: Int64?
  private var rangeAlreadyComplete = false

  init(
    part: URL, offset: Int64, expectedBytes: Int64?, name: String, observer: any DownloadObserver,
    freeBytes: @escaping @Sendable (URL) -> Int64?
  ) {
    self.part = part
    self.offset = offset
    self.expectedBytes = expectedBytes
    self.name = name
    self.observer = observer
    self.freeBytes = freeBytes
  }

  /// Whether the `.part` file now holds the whole body. Without a known length the end of a
  /// body proves nothing (the connection may have been cut): it is not complete.
  var isComplete: Bool {
    if rangeAlreadyComplete { return true }
    guard let totalBytes = totalBytes ?? expectedBytes else { return false }
    return offset + gainedBytes == totalBytes
  }

  /// Whether the full length of the file is known.
  var lengthIsKnown: Bool { rangeAlreadyComplete || (totalBytes ?? expectedBytes) != nil }

  /// The size of the `.part` file this attempt reached.
  var reachedBytes: Int64 { offset + gainedBytes }

  func receive(head: HTTPResponseHead) throws {
    switch head.statusCode {
    case 206:
      guard let range = head.header("content-range").flatMap(ContentRange.init),
        range.first == offset, let last = range.last, last >= offset,
        last < (range.total ?? .max)
      else { throw Restart() }
      totalBytes = range.total
    case 200:
      if offset > 0 {
        // The server ignored Range: start over, unless it cannot even say how long the file
        // is (then no attempt could ever be confirmed complete).
        guard head.contentLength != nil || expectedBytes != nil else { throw Unconfirmable() }
        offset = 0
      }
      totalBytes = head.contentLength
    case 416:
      let total = head.header("content-range").flatMap(ContentRange.init)?.total
      if offset > 0, total == offset {
        rangeAlreadyComplete = true
        return
      }
      throw Restart()
    default:
      throw Self.statusError(head.statusCode, name: name)
    }
    if let totalBytes, let expectedBytes, totalBytes != expectedBytes {
      throw DownloadError(
        .checksumMismatch,
        "the server announces \(totalBytes) bytes, but the published size is \(expectedBytes)",
        path: name)
    }
    if let totalBytes, let free = freeBytes(part.deletingLastPathComponent()),
      totalBytes - offset > free
    {
      throw DownloadError(
        .insufficientSpace,
        "needs \(DiskSpace.describe(totalBytes - offset)) more, only \(DiskSpace.describe(free)) free",
        path: part.deletingLastPathComponent().path)
    }
    if offset == 0 {
      guard FileManager.default.createFile(atPath: part.path, contents: nil) else {
        throw DownloadError(.fileSystem, "cannot create the file", path: part.path)
      }
    }
    handle = try FileSystemReason.attempt("cannot open for writing", path: part.path) {
      let handle = try FileHandle(forWritingTo: part)
      try handle.truncate(atOffset: UInt64(offset))
      try handle.seek(toOffset: UInt64(offset))
      return handle
    }
  }

  func receive(body chunk: Data) throws {
    guard let handle else { return }
    // Never write past the announced length: the excess is not part of the file.
    let room = (totalBytes ?? expectedBytes).map { max(0, $0 - offset - gainedBytes) }
    let kept = room.map { Int64(chunk.count) > $0 ? chunk.prefix(Int($0)) : chunk } ?? chunk
    try FileSystemReason.attempt("cannot write", path: part.path) {
      try handle.write(contentsOf: kept)
    }
    gainedBytes += Int64(kept.count)
    if kept.count < chunk.count {
      throw DownloadError(.connection, "the server sent more bytes than announced", path: name)
    }
    observer.handle(
      .progress(
        file: name, receivedBytes: offset + gainedBytes, expectedBytes: totalBytes ?? expectedBytes)
    )
  }

  /// Flushes the file to disk.
  func finish() throws {
    guard let handle else { return }
    try FileSystemReason.attempt("cannot write", path: part.path) {
      try handle.synchronize()
      try handle.close()
    }
    self.handle = nil
  }

  func close() {
    try? handle?.close()
    handle = nil
  }

  static func statusError(_ status: Int, name: String) -> DownloadError {
    let hint: String
    switch status {
    case 401, 403:
      return DownloadError(
        .credentials,
        "the server refused access (HTTP \(status)); for Kaggle, check ~/.kaggle/kaggle.json or "
          + "KAGGLE_USERNAME/KAGGLE_KEY and accept the dataset's terms on its Kaggle page",
        path: name, statusCode: status)
    case 404: hint = "not found; check the catalog entry or --mirror URL"
    default: hint = "the server answered with an error"
    }
    return DownloadError(.httpStatus, "HTTP \(status): \(hint)", path: name, statusCode: status)
  }
}

/// A parsed `Content-Range: bytes first-last/total` (or `bytes */total`).
struct ContentRange: Equatable, Sendable {
  var first: Int64?
  var last: Int64?
  var total: Int64?

  init?(_ text: String) {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    guard trimmed.lowercased().hasPrefix("bytes") else { return nil }
    let spec = trimmed.dropFirst(5).trimmingCharacters(in: .whitespaces)
    let parts = spec.split(separator: "/", maxSplits: 1).map(String.init)
    guard parts.count == 2 else { return nil }
    total = parts[1] == "*" ? nil : Int64(parts[1])
    if parts[0] != "*" {
      let bounds = parts[0].split(separator: "-").map { Int64($0) }
      guard bounds.count == 2, let a = bounds[0], let b = bounds[1] else { return nil }
      first = a
      last = b
    }
  }
}
