import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 for the download tests: one thread per connection,
/// `Connection: close` on every response, and injectable faults.
///
/// Faults per route (each applied to the first `n` matching requests where a count is given):
/// 500 answers, a connection dropped after some body bytes, a stall (headers and perhaps some
/// body bytes, then silence), throttling, corrupted bytes, ignoring `Range`, no
/// `Content-Length` (the body ends when the connection closes), redirects, and basic
/// authentication.
final class LoopbackHTTPServer: @unchecked Sendable {
  struct Route {
    var body: Data
    var contentType = "application/octet-stream"
    /// Answer 500 to the first `failures` requests.
    var failures = 0
    /// Close the connection after this many body bytes, for the first `drops` requests.
    var dropAfterBytes: Int?
    var drops = 0
    /// Send headers (and `stallAfterBytes` body bytes) and then nothing for `stallSeconds`,
    /// for the first `stalls` requests.
    var stalls = 0
    var stallSeconds = 3.0
    var stallAfterBytes = 0
    /// Sleep this long after every 4 KiB of body (throttling).
    var delayPerChunk: Double = 0
    /// Flip one byte in the middle of the body.
    var corrupt = false
    /// Answer 200 with the whole body even when a Range is asked.
    var ignoreRange = false
    /// Require this exact `Authorization` header (401 otherwise).
    var authorization: String?
    /// Answer 404.
    var missing = false
    /// Send no `Content-Length`: the body ends when the connection closes.
    var omitLength = false
    /// Answer `302 Found` with this `Location` (a path on this server).
    var redirect: String?
  }

  struct RecordedRequest: Sendable {
    var path: String
    var headers: [String: String]
  }

  let port: UInt16
  private let listener: Int32
  private let lock = NSLock()
  private var routes: [String: Route] = [:]
  private var counts: [String: Int] = [:]
  private var recorded: [RecordedRequest] = []
  private var stopped = false

  init() throws {
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard listener >= 0 else { throw ServerError(message: "socket() failed") }
    var yes: Int32 = 1
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard bound == 0, listen(listener, 16) == 0 else {
      close(listener)
      throw ServerError(message: "bind/listen failed")
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
    }
    self.listener = listener
    port = UInt16(bigEndian: address.sin_port)
    let thread = Thread { [self] in acceptLoop() }
    thread.start()
  }

  deinit { stop() }

  /// `http://127.0.0.1:<port>/<path>`.
  func url(_ path: String) -> URL {
    URL(string: "http://127.0.0.1:\(port)/\(path)")!
  }

  func set(_ path: String, _ route: Route) {
    lock.withLock { routes["/" + path] = route }
  }

  func update(_ path: String, _ change: (inout Route) -> Void) {
    lock.withLock {
      if var route = routes["/" + path] {
        change(&route)
        routes["/" + path] = route
      }
    }
  }

  var requests: [RecordedRequest] { lock.withLock { recorded } }

  func stop() {
    let wasStopped = lock.withLock {
      defer { stopped = true }
      return stopped
    }
    guard !wasStopped else { return }
    shutdown(listener, Int32(SHUT_RDWR))
    close(listener)
  }

  private func acceptLoop() {
    while true {
      let client = accept(listener, nil, nil)
      if client < 0 {
        if lock.withLock({ stopped }) { return }
        if errno == EINTR { continue }
        return
      }
      var timeout = timeval(tv_sec: 10, tv_usec: 0)
      setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
      setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
      let thread = Thread { [self] in
        serve(client)
        close(client)
      }
      thread.start()
    }
  }

  private func serve(_ client: Int32) {
    var buffer = [UInt8](repeating: 0, count: 8192)
    var request = Data()
    while request.range(of: Data("\r\n\r\n".utf8)) == nil {
      let got = recv(client, &buffer, buffer.count, 0)
      if got <= 0 { return }
      request.append(contentsOf: buffer[0..<got])
      if request.count > 65536 { return }
    }
    let text = String(decoding: request, as: UTF8.self)
    let lines = text.components(separatedBy: "\r\n")
    let parts = lines[0].split(separator: " ")
    guard parts.count >= 2 else { return }
    let path = String(parts[1])
    var headers: [String: String] = [:]
    for line in lines.dropFirst() {
      guard let colon = line.firstIndex(of: ":") else { continue }
      headers[line[..<colon].lowercased()] = line[line.index(after: colon)...]
        .trimmingCharacters(in: .whitespaces)
    }
    let (route, index): (Route?, Int) = lock.withLock {
      recorded.append(RecordedRequest(path: path, headers: headers))
      let index = counts[path, default: 0]
      counts[path] = index + 1
      return (routes[path], index)
    }
    guard let route, !route.missing else {
      respond(client, status: "404 Not Found", headers: [:], body: Data("not found".utf8))
      return
    }
    if let expected = route.authorization, headers["authorization"] != expected {
      respond(client, status: "401 Unauthorized", headers: [:], body: Data("no".utf8))
      return
    }
    if let location = route.redirect {
      respond(
        client, status: "302 Found", headers: ["Location": url(location).absoluteString],
        body: Data())
      return
    }
    if index < route.failures {
      respond(client, status: "500 Internal Server Error", headers: [:], body: Data("oops".utf8))
      return
    }
    var body = route.body
    if route.corrupt, !body.isEmpty {
      body[body.count / 2] ^= 0xFF
    }
    var start = 0
    var status = "200 OK"
    var extra: [String: String] = ["Content-Type": route.contentType, "Accept-Ranges": "bytes"]
    if !route.ignoreRange, let range = headers["range"], range.hasPrefix("bytes="),
      let first = Int(range.dropFirst(6).split(separator: "-").first ?? "")
    {
      if first >= body.count {
        respond(
          client, status: "416 Range Not Satisfiable",
          headers: ["Content-Range": "bytes */\(body.count)"], body: Data())
        return
      }
      start = first
      status = "206 Partial Content"
      extra["Content-Range"] = "bytes \(first)-\(body.count - 1)/\(body.count)"
    }
    let slice = body[start...]
    var head = "HTTP/1.1 \(status)\r\n"
    if !route.omitLength { head += "Content-Length: \(slice.count)\r\n" }
    head += "Connection: close\r\n"
    for (name, value) in extra { head += "\(name): \(value)\r\n" }
    head += "\r\n"
    guard sendAll(client, Data(head.utf8)) else { return }
    let stallIndex = index - route.failures
    if stallIndex >= 0 && stallIndex < route.stalls {
      let sent = min(route.stallAfterBytes, slice.count)
      guard sendAll(client, slice.prefix(sent)) else { return }
      Thread.sleep(forTimeInterval: route.stallSeconds)
      return
    }
    var limit = slice.count
    if let drop = route.dropAfterBytes, index - route.failures < route.drops {
      limit = min(limit, drop)
    }
    var offset = slice.startIndex
    let end = slice.startIndex + limit
    while offset < end {
      let chunkEnd = min(end, offset + 4096)
      guard sendAll(client, body[offset..<chunkEnd]) else { return }
      offset = chunkEnd
      if route.delayPerChunk > 0 { Thread.sleep(forTimeInterval: route.delayPerChunk) }
    }
  }

  private func respond(_ client: Int32, status: String, headers: [String: String], body: Data) {
    var head = "HTTP/1.1 \(status)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
    for (name, value) in headers { head += "\(name): \(value)\r\n" }
    head += "\r\n"
    _ = sendAll(client, Data(head.utf8) + body)
  }

  private func sendAll(_ client: Int32, _ data: Data) -> Bool {
    data.withUnsafeBytes { raw in
      var sent = 0
      while sent < raw.count {
        let n = send(client, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
        if n <= 0 { return false }
        sent += n
      }
      return true
    }
  }
}

struct ServerError: Error, CustomStringConvertible {
  var message: String
  var description: String { message }
}
