import Datasets
public import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Downloads one file over HTTP(S) so that a careful user can trust it.
///
/// - Partial data lives only under `<destination>.part`; a later call resumes it with a
///   `Range` request (a server that ignores `Range` makes it start over).
/// - Connection loss, idle timeouts, 5xx, 408 and 429 are retried with exponential backoff
///   (`RetryPolicy`). Only net progress restarts the attempt count: bytes beyond the furthest
///   offset reached so far, so a server that ignores `Range` and stalls after the same first
///   bytes every time is given up on after `maxAttempts` attempts.
/// - Before writing, the announced size is checked against the free disk space.
/// - When the body is complete, the size, MD5 (if published) and SHA-256 (if known, e.g.
///   from the lock file) are checked. Only a file that passes is renamed to `destination`;
///   a file that fails is deleted and downloaded once more from scratch before the error is
///   reported, so a corrupt file is never moved into place.
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

    /// Creates a source.
    public init(
      url: URL, headers: [String: String] = [:], expectedBytes: Int64? = nil,
      expectedMD5: String? = nil, expectedSHA256: String? = nil
    ) {
      self.url = url
      self.headers = headers
      self.expectedBytes = expectedBytes
      self.expectedMD5 = expectedMD5
      self.expectedSHA256 = expectedSHA256
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
  ///   `.insufficientSpace`; `.fileSystem`.
  @discardableResult
  public func download(
    _ source: Source, to destination: URL, observer: any DownloadObserver = SilentDownloadObserver()
  ) throws -> Result {
    let part = Self.partURL(for: destination)
    let name = destination.lastPathComponent
    let resumedBytes = DiskSpace.fileSize(part) ?? 0
    var checksumRetries = 1
    while true {
      try fetchCompletely(source, part: part, name: name, observer: observer)
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
          .connection, "the server closed the connection before the end of the file",
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
      } catch let restart as PartFileWriter.Restart {
        writer.close()
        _ = restart
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

  /// Size, MD5 and SHA-256 of the complete `.part`.
  private func check(_ part: URL, against source: Source, resumedBytes: Int64) throws -> Result {
    let bytes = DiskSpace.fileSize(part) ?? 0
    let name = part.lastPathComponent
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

  /// Whether the `.part` file now holds the whole body.
  var isComplete: Bool {
    if rangeAlreadyComplete { return true }
    guard let totalBytes = totalBytes ?? expectedBytes else { return true }
    return offset + gainedBytes == totalBytes
  }

  /// The size of the `.part` file this attempt reached.
  var reachedBytes: Int64 { offset + gainedBytes }

  func receive(head: HTTPResponseHead) throws {
    switch head.statusCode {
    case 206:
      guard let range = head.header("content-range").flatMap(ContentRange.init),
        range.first == offset
      else { throw Restart() }
      totalBytes = range.total
    case 200:
      if offset > 0 {
        // The server ignored Range: start over.
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
    do {
      let handle = try FileHandle(forWritingTo: part)
      try handle.truncate(atOffset: UInt64(offset))
      try handle.seek(toOffset: UInt64(offset))
      self.handle = handle
    } catch {
      throw DownloadError(.fileSystem, "cannot open for writing: \(error)", path: part.path)
    }
  }

  func receive(body chunk: Data) throws {
    guard let handle else { return }
    do {
      try handle.write(contentsOf: chunk)
    } catch {
      throw DownloadError(.fileSystem, "cannot write: \(error)", path: part.path)
    }
    gainedBytes += Int64(chunk.count)
    if let total = totalBytes, offset + gainedBytes > total {
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
    do {
      try handle.synchronize()
      try handle.close()
    } catch {
      throw DownloadError(.fileSystem, "cannot write: \(error)", path: part.path)
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
