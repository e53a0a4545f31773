import Foundation
import ZIPFoundation
import _TestSupport

@testable import DatasetDownload

/// Collects events (thread-safe).
final class RecordingObserver: DownloadObserver, @unchecked Sendable {
  private let lock = NSLock()
  private var stored: [DownloadEvent] = []
  func handle(_ event: DownloadEvent) { lock.withLock { stored.append(event) } }
  var events: [DownloadEvent] { lock.withLock { stored } }
  var retryDelays: [Double] {
    events.compactMap { if case .retrying(_, _, let delay, _) = $0 { delay } else { nil } }
  }
}

/// Records the backoff delays instead of sleeping.
final class SleepRecorder: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: [Double] = []
  var delays: [Double] { lock.withLock { stored } }
  var sleep: @Sendable (Double) -> Void {
    { [self] delay in lock.withLock { stored.append(delay) } }
  }
}

/// A downloader that never sleeps and has a short idle timeout.
func fastDownloader(
  attempts: Int = 5, idleTimeout: Double = 5, sleeper: SleepRecorder = SleepRecorder(),
  freeBytes: @escaping @Sendable (URL) -> Int64? = { _ in Int64.max / 4 }
) -> FileDownloader {
  FileDownloader(
    retry: .init(maxAttempts: attempts, initialDelaySeconds: 1, maxDelaySeconds: 8),
    idleTimeoutSeconds: idleTimeout, sleep: sleeper.sleep, freeBytes: freeBytes)
}

/// Deterministic pseudo-random bytes.
func testBytes(_ count: Int, seed: UInt64 = 1) -> Data {
  var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
  var data = Data(count: count)
  for i in 0..<count {
    state ^= state << 13
    state ^= state >> 7
    state ^= state << 17
    data[i] = UInt8(truncatingIfNeeded: state)
  }
  return data
}

/// One zip entry for `makeZip`.
enum ZipItem: Sendable {
  case file(String, Data)
  /// A file stored without compression.
  case stored(String, Data)
  case directory(String)
  case symlink(String, target: String)
}

/// Writes a zip archive holding `items` (files deflated) and returns its bytes.
@discardableResult
func makeZip(_ items: [ZipItem], in directory: URL, name: String = "test.zip") throws -> Data {
  let url = directory.appendingPathComponent(name)
  try? FileManager.default.removeItem(at: url)
  let archive = try Archive(url: url, accessMode: .create)
  for item in items {
    switch item {
    case .file(let path, let data):
      try archive.addEntry(
        with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate
      ) { (position: Int64, size: Int) in data.subdata(in: Int(position)..<Int(position) + size) }
    case .stored(let path, let data):
      try archive.addEntry(
        with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .none
      ) { (position: Int64, size: Int) in data.subdata(in: Int(position)..<Int(position) + size) }
    case .directory(let path):
      try archive.addEntry(with: path, type: .directory, uncompressedSize: 0) {
        (_: Int64, _: Int) in Data()
      }
    case .symlink(let path, let target):
      let data = Data(target.utf8)
      try archive.addEntry(with: path, type: .symlink, uncompressedSize: Int64(data.count)) {
        (position: Int64, size: Int) in data.subdata(in: Int(position)..<Int(position) + size)
      }
    }
  }
  return try Data(contentsOf: url)
}

/// Every path under `url`, relative, sorted (hidden entries included).
func tree(_ url: URL) -> [String] {
  guard let enumerator = FileManager.default.enumerator(atPath: url.path) else { return [] }
  return (enumerator.allObjects as? [String] ?? []).sorted()
}

func digest(_ data: Data, _ algorithm: String) throws -> String {
  let dir = try TemporaryDirectory()
  let url = dir.path("x")
  try data.write(to: url)
  return try FileDownloader.digest(url, algorithm == "md5" ? .md5 : .sha256)
}

/// An `HTTPTransport` that plays scripted responses (for header-level faults a real server
/// cannot be made to send through libcurl).
final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
  struct Response {
    var head: HTTPResponseHead
    var chunks: [Data] = []
    /// Thrown after the chunks (a lost connection), if any.
    var failure: DownloadError?
  }

  private let lock = NSLock()
  private var seen: [HTTPRequest] = []
  private let script: @Sendable (HTTPRequest, Int) -> Response

  /// `script(request, index)` answers the request number `index` (0-based).
  init(_ script: @escaping @Sendable (HTTPRequest, Int) -> Response) { self.script = script }

  var requests: [HTTPRequest] { lock.withLock { seen } }

  func perform(_ request: HTTPRequest, handler: any HTTPResponseHandler) throws {
    let index = lock.withLock {
      seen.append(request)
      return seen.count - 1
    }
    let response = script(request, index)
    try handler.receive(head: response.head)
    for chunk in response.chunks { try handler.receive(body: chunk) }
    if let failure = response.failure { throw failure }
  }
}
