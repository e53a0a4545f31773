/// Receives progress of long-running work (synthesis, preprocessing, downloads, training).
///
/// Library code never prints; it reports through this protocol. The CLI shows a progress bar
/// with ETA; tests and library users can collect or ignore the events.
public protocol ProgressReporter: Sendable {
  /// Called when `completed` of `total` units are done; `label` names the current unit.
  func report(completed: Int, total: Int, label: String)
}

/// A reporter that ignores every event.
public struct SilentProgress: ProgressReporter {
  /// Creates the reporter.
  public init() {}
  /// Ignores the event.
  public func report(completed: Int, total: Int, label: String) {}
}
