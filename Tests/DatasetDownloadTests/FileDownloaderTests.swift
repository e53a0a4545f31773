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
    #expect(error?.message.contains("no data for 1 s (the idle timeout)") == true)
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
    "a body without Content-Length is complete only once a Range request confirms its end",
    arguments: [
      // Cut halfway: resumed from where it stopped.
      (1, ["bytes=100000-"]),
      // Whole: a 416 for its size confirms the end.
      (0, ["bytes=300000-"]),
    ])
  func unannouncedLength(drops: Int, ranges: [String]) throws {
    var route = LoopbackHTTPServer.Route(body: body)
    route.omitLength = true
    route.dropAfterBytes = 100_000
    route.drops = drops
    let (server, dir) = try setUp(route)
    try fastDownloader().download(.init(url: server.url("f.zip")), to: dir.path("f.zip"))
    #expect(try Data(contentsOf: dir.path("f.zip")) == body)
    #expect(server.requests.map { $0.headers["range"] } == [nil] + ranges)
  }

  @Test("a server that sends no length and ignores Range fails clearly, keeping nothing in place")
  func unannouncedLengthUnconfirmable() throws {
    var route = LoopbackHTTPServer.Route(body: body)
    route.omitLength = true
    route.ignoreRange = true
    let (server, dir) = try setUp(route)
    let error = #expect(throws: DownloadError.self) {
      try fastDownloader().download(.init(url: server.url("f.zip")), to: dir.path("f.zip"))
    }
    #expect(error?.message.contains("cannot be confirmed") == true, "\(String(describing: error))")
    #expect(server.requests.count == 2)
    #expect(!FileManager.default.fileExists(atPath: dir.path("f.zip").path))
  }

  @Test("a Content-Length larger than the published size fails at once")
  func lengthAbovePublished() throws {
    let (server, dir) = try setUp()
    let error = #expect(throws: DownloadError.self) {
      try fastDownloader().download(
        .init(url: server.url("f.zip"), expectedBytes: Int64(body.count - 1)),
        to: dir.path("f.zip"))
    }
    #expect(error?.code == .checksumMismatch && error?.message.contains("announces") == true)
    #expect(server.requests.count == 1)
    #expect(try dir.entries().isEmpty)
  }

  @Test("bytes beyond the announced length are never written")
  func moreThanAnnounced() throws {
    let body = testBytes(1000)
    let transport = ScriptedTransport { request, index in
      // Bounded, so that a downloader looping on the excess fails instead of hanging.
      if index >= 6 { return .init(head: .init(statusCode: 404, headers: [:])) }
      if request.headers["Range"] == nil {
        return .init(
          head: .init(statusCode: 200, headers: ["Content-Length": "1000"]),
          chunks: [body + Data(repeating: 0xEE, count: 10)])
      }
      return .init(head: .init(statusCode: 416, headers: ["Content-Range": "bytes */1000"]))
    }
    let dir = try TemporaryDirectory()
    var downloader = fastDownloader()
    downloader.transport = transport
    try downloader.download(.init(url: URL(string: "http://example.invalid/f")!), to: dir.path("f"))
    #expect(try Data(contentsOf: dir.path("f")) == body)
    #expect(transport.requests.map { $0.headers["Range"] } == [nil, "bytes=1000-"])
  }

  @Test("a .part longer than the server's file is discarded when no size is published")
  func overlongPartUnpublished() throws {
    let (server, dir) = try setUp()
    let destination = dir.path("f.zip")
    try (body + Data(count: 10)).write(to: FileDownloader.partURL(for: destination))
    try fastDownloader().download(.init(url: server.url("f.zip")), to: destination)
    #expect(try Data(contentsOf: destination) == body)
    #expect(server.requests.map { $0.headers["range"] } == ["bytes=300010-", nil])
  }

  @Test("a redirect loop fails with a message that says so, without retrying for minutes")
  func redirectLoop() throws {
    let (server, dir) = try setUp()
    server.set("a", .init(body: Data(), redirect: "b"))
    server.set("b", .init(body: Data(), redirect: "a"))
    let sleeper = SleepRecorder()
    let error = #expect(throws: DownloadError.self) {
      try fastDownloader(sleeper: sleeper).download(
        .init(url: server.url("a")), to: dir.path("f.zip"))
    }
    #expect(error?.message.contains("redirect") == true, "\(String(describing: error))")
    #expect(sleeper.delays.isEmpty)
    #expect(server.requests.count <= 32)
  }

  @Test("a file:// source is copied and checked like a download")
  func fileURL() throws {
    let dir = try TemporaryDirectory()
    let source = dir.path("mirror/f.zip")
    try FileManager.default.createDirectory(
      at: source.deletingLastPathComponent(), withIntermediateDirectories: true)
    try body.write(to: source)
    let destination = dir.path("f.zip")
    let result = try fastDownloader().download(
      .init(url: source, expectedBytes: Int64(body.count), expectedMD5: try digest(body, "md5")),
      to: destination)
    #expect(try Data(contentsOf: destination) == body)
    #expect(result.sha256 == (try digest(body, "sha256")))
    #expect(FileManager.default.fileExists(atPath: source.path))

    // A missing file and a wrong SHA-256 are reported at once, and nothing is kept.
    let sleeper = SleepRecorder()
    let missing = #expect(throws: DownloadError.self) {
      try fastDownloader(sleeper: sleeper).download(
        .init(url: dir.path("mirror/none.zip")), to: dir.path("none.zip"))
    }
    #expect(missing?.code == .fileSystem && missing?.path == dir.path("mirror/none.zip").path)
    let wrong = #expect(throws: DownloadError.self) {
      try fastDownloader(sleeper: sleeper).download(
        .init(url: source, expectedSHA256: String(repeating: "0", count: 64)),
        to: dir.path("g.zip"))
    }
    #expect(wrong?.code == .checksumMismatch)
    #expect(sleeper.delays.isEmpty)
    #expect(try dir.entries() == ["f.zip", "mirror"])
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
