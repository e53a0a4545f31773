import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// `HTTPTransport` over Foundation's `URLSession` (libcurl on Linux): HTTPS, redirects (at
/// most `maxRedirects` per request, so a redirect loop fails at once instead of being retried
/// as a connection failure), idle timeouts.
///
/// Each request gets its own ephemeral session (no cache, no cookies), so concurrent
/// downloads never share state. On a redirect to another host the `Authorization` header is
/// dropped (Kaggle redirects to a signed storage URL that must not receive the user's token)
/// and `Range` is kept.
public struct URLSessionTransport: HTTPTransport {
  /// The most redirects one request may follow.
  public static let maxRedirects = 10

  /// Creates the transport.
  public init() {}

  /// Sends `request` (see `HTTPTransport.perform(_:handler:)`).
  public func perform(_ request: HTTPRequest, handler: any HTTPResponseHandler) throws {
    let delegate = SessionDelegate(handler: handler, original: request)
    let configuration = URLSessionConfiguration.ephemeral
    configuration.timeoutIntervalForRequest = request.idleTimeoutSeconds
    configuration.timeoutIntervalForResource = 7 * 24 * 3600
    configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
    configuration.urlCache = nil
    let queue = OperationQueue()
    queue.maxConcurrentOperationCount = 1
    let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
    var urlRequest = URLRequest(url: request.url)
    urlRequest.httpMethod = request.method
    urlRequest.timeoutInterval = request.idleTimeoutSeconds
    for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
    let task = session.dataTask(with: urlRequest)
    task.resume()
    delegate.done.wait()
    session.finishTasksAndInvalidate()
    if let failure = delegate.failure { throw failure }
  }
}

/// Forwards one task's events to a handler; the first error wins.
private final class SessionDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
  let done = DispatchSemaphore(value: 0)
  private let handler: any HTTPResponseHandler
  private let original: HTTPRequest
  private(set) var failure: (any Error)?
  private var redirects = 0

  init(handler: any HTTPResponseHandler, original: HTTPRequest) {
    self.handler = handler
    self.original = original
  }

  func urlSession(
    _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
  ) {
    guard failure == nil else {
      completionHandler(.cancel)
      return
    }
    guard let http = response as? HTTPURLResponse else {
      failure = DownloadError(
        .connection, "not an HTTP response", path: original.url.absoluteString)
      completionHandler(.cancel)
      return
    }
    var headers: [String: String] = [:]
    for (key, value) in http.allHeaderFields {
      headers[String(describing: key)] = String(describing: value)
    }
    do {
      try handler.receive(head: HTTPResponseHead(statusCode: http.statusCode, headers: headers))
      completionHandler(.allow)
    } catch {
      failure = error
      completionHandler(.cancel)
    }
  }

  func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
    guard failure == nil else { return }
    do {
      try handler.receive(body: data)
    } catch {
      failure = error
      dataTask.cancel()
    }
  }

  func urlSession(
    _ session: URLSession, task: URLSessionTask,
    willPerformHTTPRedirection response: HTTPURLResponse,
    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
  ) {
    redirects += 1
    guard redirects <= URLSessionTransport.maxRedirects else {
      failure = DownloadError(
        .httpStatus,
        "more than \(URLSessionTransport.maxRedirects) redirects (the last to "
          + "\(request.url?.absoluteString ?? "?")): a redirect loop; check the URL or the mirror",
        path: original.url.absoluteString, statusCode: response.statusCode)
      completionHandler(nil)
      return
    }
    var redirected = request
    if request.url?.host != original.url.host {
      redirected.setValue(nil, forHTTPHeaderField: "Authorization")
    }
    if let range = original.headers["Range"] {
      redirected.setValue(range, forHTTPHeaderField: "Range")
    }
    completionHandler(redirected)
  }

  func urlSession(
    _ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?
  ) {
    if failure == nil, let error {
      // Foundation describes a timeout only as "NSURLErrorDomain error -1001".
      let reason =
        (error as? URLError)?.code == .timedOut
        ? "no data for \(String(format: "%g", original.idleTimeoutSeconds)) s (the idle timeout)"
        : error.localizedDescription
      failure = DownloadError(
        .connection, "connection failed: \(reason)", path: original.url.absoluteString)
    }
    done.signal()
  }
}
