public import Foundation

/// One HTTP request.
public struct HTTPRequest: Sendable, Equatable {
  /// The URL.
  public var url: URL
  /// The method (`GET`).
  public var method: String
  /// Request headers (`Range`, `Authorization`, …).
  public var headers: [String: String]
  /// How long the connection may stay silent (no header, no body bytes) before the request
  /// fails with `DownloadError` `.connection`, in seconds.
  public var idleTimeoutSeconds: Double

  /// Creates a request.
  public init(
    url: URL, method: String = "GET", headers: [String: String] = [:],
    idleTimeoutSeconds: Double = 60
  ) {
    self.url = url
    self.method = method
    self.headers = headers
    self.idleTimeoutSeconds = idleTimeoutSeconds
  }
}

/// The status line and headers of a response.
public struct HTTPResponseHead: Sendable, Equatable {
  /// The status code.
  public var statusCode: Int
  /// Headers with lower-cased names.
  public var headers: [String: String]

  /// Creates a head; header names are lower-cased.
  public init(statusCode: Int, headers: [String: String]) {
    self.statusCode = statusCode
    self.headers = Dictionary(
      headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
  }

  /// The value of the header `name` (case-insensitive).
  public func header(_ name: String) -> String? { headers[name.lowercased()] }

  /// `Content-Length`, if present and valid.
  public var contentLength: Int64? { header("content-length").flatMap { Int64($0) } }
}

/// Receives one response as it streams in.
///
/// Calls come from one thread at a time.
public protocol HTTPResponseHandler: AnyObject {
  /// The head, before any body byte. Throwing cancels the request and `perform` rethrows.
  func receive(head: HTTPResponseHead) throws
  /// The next piece of the body. Throwing cancels the request and `perform` rethrows.
  func receive(body chunk: Data) throws
}

/// Sends HTTP requests.
///
/// The real implementation is `URLSessionTransport`; tests can use any other (the
/// downloader only needs this one method).
public protocol HTTPTransport: Sendable {
  /// Sends `request`, streams the response into `handler` and returns when the body is
  /// complete.
  ///
  /// - Throws: what `handler` throws, or `DownloadError` `.connection` when the connection
  ///   fails, is lost before the body is complete, or stays idle too long.
  func perform(_ request: HTTPRequest, handler: any HTTPResponseHandler) throws
}

/// A handler that collects a small body in memory (API responses).
final class CollectingHandler: HTTPResponseHandler {
  var head: HTTPResponseHead?
  var body = Data()
  let limit: Int

  init(limit: Int = 16 << 20) { self.limit = limit }

  func receive(head: HTTPResponseHead) throws { self.head = head }

  func receive(body chunk: Data) throws {
    body.append(chunk)
    guard body.count <= limit else {
      throw DownloadError(.connection, "response larger than \(limit) bytes")
    }
  }
}
