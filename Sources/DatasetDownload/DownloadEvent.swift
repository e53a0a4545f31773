/// What the downloader is doing, for progress display.
///
/// Library code never prints; the CLI turns these into progress bars and messages.
public enum DownloadEvent: Sendable, Equatable {
  /// A transfer of `file` starts (or resumes from `resumedBytes`); `expectedBytes` is the
  /// full size when known.
  case started(file: String, resumedBytes: Int64, expectedBytes: Int64?)
  /// `receivedBytes` of `file` are on disk (counting bytes from earlier runs).
  case progress(file: String, receivedBytes: Int64, expectedBytes: Int64?)
  /// A transient failure; the transfer is retried after `delaySeconds`.
  case retrying(file: String, attempt: Int, delaySeconds: Double, reason: String)
  /// The whole file is on disk and its checksums are being computed.
  case verifying(file: String)
  /// `file` passed its checks and was moved into place.
  case finished(file: String, bytes: Int64)
  /// `file` was already downloaded (and matches the lock file).
  case alreadyPresent(file: String, bytes: Int64)
  /// The archive `file` is being extracted.
  case extracting(file: String)
  /// Extraction of `file` placed `folders`.
  case extracted(file: String, folders: [String])
  /// Something worth telling the user that does not stop the download.
  case warning(String)
}

/// Receives `DownloadEvent`s, possibly from several threads at once.
public protocol DownloadObserver: Sendable {
  /// Called for every event.
  func handle(_ event: DownloadEvent)
}

/// An observer that ignores everything.
public struct SilentDownloadObserver: DownloadObserver {
  /// Creates the observer.
  public init() {}
  /// Ignores `event`.
  public func handle(_ event: DownloadEvent) {}
}
