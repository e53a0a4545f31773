import Foundation
import Testing
import _TestSupport

@testable import DatasetDownload

@Suite("FileDownloader against a loopback server")
struct FileDownloaderTests {
  let body = testBytes(300_000)

  func setUp(_ route: LoopbackHTTPServer.Route? = nil) throws -> (
    LoopbackHTTPServer, TemporaryDirectory
  ) {
    let server = try LoopbackHTTPServer()
    server.set("f.zip", route ?? .init(body: body))
    return (server, try TemporaryDirectory(prefix: "l3das-dl"))
  }

  @Test("a clean download checks size and MD5, records SHA-256 and leaves no .part")
  func cleanDownload() throws {
    let (server, dir) = try setUp()
    let destination = dir.path("f.zip")
    let result = try fastDownloader().download(
      .init(
        url: server.url("f.zip"), expectedBytes: Int64(body.count),
        expectedMD5: try digest(body, "md5")),
      to: destination)
    #expect(try Data(contentsOf: destination) == body)
    #expect(result.sha256 == (try digest(body, "sha256")))
    #expect(result.md5 != nil && result.resumedBytes == 0)
    #expect(try dir.entries() == ["f.zip"])
  }

  @Test("an existing .part is resumed with a Range request")
  func resumesPart() throws {
    let (server, dir) = try setUp()
    let destination = dir.path("f.zip")
    try body.prefix(100_000).write(to: FileDownloader.partURL(for: destination))
    let result = try fastDownloader().download(.init(url: server.url("f.zip")), to: destination)
    #expect(result.resumedBytes == 100_000)
    #expect(server.requests.map { $0.headers["range"] } == ["bytes=100000-"])
    #expect(try Data(contentsOf: destination) == body)
  }

  @Test("a connection dropped mid-file twice is resumed until complete")
  func survivesDrops() throws {
    var route = LoopbackHTTPServer.Route(body: body)
    route.dropAfterBytes = 70_000
    route.drops = 2
    let (server, dir) = try setUp(route)
    let sleeper = SleepRecorder()
    let destination = dir.path("f.zip")
    try fastDownloader(sleeper: sleeper).download(
      .init(url: server.url("f.zip"), expectedMD5: try digest(body, "md5")), to: destination)
    #expect(try Data(contentsOf: destination) == body)
    let ranges = server.requests.map { $0.headers["range"] }
    #expect(
      ranges.count == 3 && ranges[0] == nil && ranges[1] == "bytes=70000-"
        && ranges[2] == "bytes=140000-")
    // Progress was made before each failure, so the backoff restarted each time.
    #expect(sleeper.delays == [1, 1])
  }

  @Test("500 answers are retried with exponential backoff")
  func retries500() throws {
    var route = LoopbackHTTPServer.Route(body: body)
    route.failures = 3
    let (server, dir) = try setUp(route)
    let sleeper = SleepRecorder()
    let observer = RecordingObserver()
    try fastDownloader(sleeper: sleeper).download(
      .init(url: server.url("f.zip")), to: dir.path("f.zip"), observer: observer)
    #expect(sleeper.delays == [1, 2, 4])
    #expect(observer.retryDelays == [1, 2, 4])
    #expect(try Data(contentsOf: dir.path("f.zip")) == body)
  }

  @Test("persistent 500s give up after the attempt limit, with nothing moved into place")
  func givesUp() throws {
    var route = LoopbackHTTPServer.Route(body: body)
    route.failures = 100
    let (server, dir) = try setUp(route)
    let error = #expect(throws: DownloadError.self) {
      try fastDownloader(attempts: 3).download(
        .init(url: server.url("f.zip")), to: dir.path("f.zip"))
    }
    #expect(error?.code == .httpStatus && error?.statusCode == 500)
    #expect(server.requests.count == 3)
    #expect(!FileManager.default.fileExists(atPath: dir.path("f.zip").path))
  }

  @Test("corrupted bytes fail the MD5 twice and are never moved into place")
  func corruptMD5() throws {
    var route = LoopbackHTTPServer.Route(body: body)
    route.corrupt = true
    let (server, dir) = try setUp(route)
    let error = #expect(throws: DownloadError.self) {
      try fastDownloader().download(
        .init(url: server.url("f.zip"), expectedMD5: try digest(body, "md5")), to: dir.path("f.zip")
      )
    }
    #expect(error?.code == .checksumMismatch)
    #expect(server.requests.count == 2)
    #expect(try dir.entries().isEmpty)
  }

  @Test("a SHA-256 from the lock file is enforced")
  func corruptSHA() throws {
    var route = LoopbackHTTPServer.Route(body: body)
    route.corrupt = true
    let (server, dir) = try setUp(route)
    let error = #expect(throws: DownloadError.self) {
      try fastDownloader().download(
        .init(url: server.url("f.zip"), expectedSHA256: try digest(body, "sha256")),
        to: dir.path("f.zip"))
    }
    #expect(error?.code == .checksumMismatch && error?.message.contains("lock file") == true)
    #expect(try dir.entries().isEmpty)
  }

  @Test("a server that ignores Range makes the download start over")
  func ignoredRange() throws {
    var route = LoopbackHTTPServer.Route(body: body)
    route.ignoreRange = true
    let (server, dir) = try setUp(route)
    let destination = dir.path("f.zip")
    try Data(repeating: 7, count: 50_000).write(to: FileDownloader.partURL(for: destination))
    try fastDownloader().download(.init(url: server.url("f.zip")), to: destination)
    #expect(try Data(contentsOf: destination) == body)
  }

  @Test("a stalled connection times out and is retried")
  func stall() throws {
    var route = LoopbackHTTPServer.Route(body: body)
    route.stalls = 1
    route.stallSeconds = 8
    let (server, dir) = try setUp(route)
    // 2 s leaves a healthy attempt enough room on a loaded 2-core machine (0.5 s timed out
    // every attempt while the suite trained networks in parallel); the stall is far longer.
    try fastDownloader(idleTimeout: 2).download(
      .init(url: server.url("f.zip")), to: dir.path("f.zip"))
    #expect(try Data(contentsOf: dir.path("f.zip")) == body)
    #expect(server.requests.count >= 2)
  }

  @Test("404 fails at once; 401 asks for Kaggle credentials")
  func clientErrors() throws {
    var route = LoopbackHTTPServer.Route(body: body)
    route.authorization = "Basic secret"
    let (server, dir) = try setUp(route)
    let missing = #expect(throws: DownloadError.self) {
      try fastDownloader().download(.init(url: server.url("nothing.zip")), to: dir.path("n.zip"))
    }
    #expect(missing?.code == .httpStatus && missing?.statusCode == 404)
    let refused = #expect(throws: DownloadError.self) {
      try fastDownloader().download(.init(url: server.url("f.zip")), to: dir.path("f.zip"))
    }
    #expect(refused?.code == .credentials)
    #expect(server.requests.count == 2)
    try fastDownloader().download(
      .init(url: server.url("f.zip"), headers: ["Authorization": "Basic secret"]),
      to: dir.path("f.zip"))
    #expect(try Data(contentsOf: dir.path("f.zip")) == body)
  }

  @Test("not enough free space stops before writing")
  func noSpace() throws {
    let (server, dir) = try setUp()
    let error = #expect(throws: DownloadError.self) {
      try fastDownloader(freeBytes: { _ in 1000 }).download(
        .init(url: server.url("f.zip")), to: dir.path("f.zip"))
    }
    #expect(error?.code == .insufficientSpace)
    #expect(try dir.entries().isEmpty)
  }

  @Test("a complete .part answered with 416 is finished without downloading again")
  func completePart() throws {
    let (server, dir) = try setUp()
    let destination = dir.path("f.zip")
    try body.write(to: FileDownloader.partURL(for: destination))
    try fastDownloader().download(.init(url: server.url("f.zip")), to: destination)
    #expect(try Data(contentsOf: destination) == body)
    #expect(server.requests.count == 1)
  }

  @Test("a .part longer than the published size is discarded")
  func overlongPart() throws {
    let (server, dir) = try setUp()
    let destination = dir.path("f.zip")
    try (body + Data(count: 10)).write(to: FileDownloader.partURL(for: destination))
    try fastDownloader().download(
      .init(url: server.url("f.zip"), expectedBytes: Int64(body.count)), to: destination)
    #expect(try Data(contentsOf: destination) == body)
    #expect(server.requests.map { $0.headers["range"] } == [nil])
  }

  @Test("a server that ignores Range and stalls after the same bytes is given up on")
  func noNetProgress() throws {
    // Each attempt starts again at 0 and gets 1000 bytes before going silent: bytes are
    // gained every time, but never beyond the furthest offset already reached.
    var route = LoopbackHTTPServer.Route(body: body)
    route.ignoreRange = true
    route.stalls = 6
    route.stallAfterBytes = 1000
    route.stallSeconds = 4
    let (server, dir) = try setUp(route)
    let started = Date()
    let error = #expect(throws: DownloadError.self) {
      try fastDownloader(attempts: 2, idleTimeout: 1).download(
        .init(url: server.url("f.zip")), to: dir.path("f.zip"))
    }
    #expect(error?.code == .connection)
    #expect(error?.message.contains("gave up after 2 attempts") == true, "\(String(describing: error))")
    #expect(server.requests.count == 2)
    #expect(Date().timeIntervalSince(started) < 30)
    #expect(!FileManager.default.fileExists(atPath: dir.path("f.zip").path))
  }

  @Test("an attempt that reaches further than any before restarts the attempt count")
  func netProgressResets() throws {
    // Range is ignored, but each attempt gets further than the last: 70 000, then the rest.
    var route = LoopbackHTTPServer.Route(body: body)
    route.ignoreRange = true
    route.dropAfterBytes = 70_000
    route.drops = 1
    let (server, dir) = try setUp(route)
    try fastDownloader(attempts: 2).download(
      .init(url: server.url("f.zip")), to: dir.path("f.zip"))
    #expect(try Data(contentsOf: dir.path("f.zip")) == body)
  }

  @Test(
    "Content-Range headers parse",
    arguments: [
      ("bytes 10-19/20", ContentRange?.some(.init(first: 10, last: 19, total: 20))),
      ("bytes */300", .some(.init(first: nil, last: nil, total: 300))),
      ("bytes 0-9/*", .some(.init(first: 0, last: 9, total: nil))),
      ("items 1-2/3", nil), ("bytes 5/6", nil),
    ])
  func contentRange(text: String, expected: ContentRange?) {
    #expect(ContentRange(text) == expected)
  }
}

extension ContentRange {
  init(first: Int64?, last: Int64?, total: Int64?) {
    self.init("bytes */0")!
    self.first = first
    self.last = last
    self.total = total
  }
}
