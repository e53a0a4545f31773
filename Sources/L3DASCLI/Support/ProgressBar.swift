import Foundation
import L3DASCore

/// A progress bar on standard error: redrawn in place with ETA on a terminal, one line every few
/// seconds otherwise (CI logs).
///
/// Safe to call from several threads.
final class ProgressBar: ProgressReporter, @unchecked Sendable {
  private let title: String
  private let lock = NSLock()
  private let start = Date()
  private var lastDraw = Date.distantPast
  private let isTerminal = isatty(STDERR_FILENO) != 0
  private let enabled: Bool
  private let everyItem: Bool

  init(title: String, enabled: Bool = true, everyItem: Bool = false) {
    self.title = title
    self.enabled = enabled
    self.everyItem = everyItem
  }

  func report(completed: Int, total: Int, label: String) {
    guard enabled else { return }
    lock.withLock {
      let now = Date()
      let finished = completed >= total
      let interval: TimeInterval = isTerminal ? 0.1 : 5
      guard finished || everyItem || now.timeIntervalSince(lastDraw) >= interval else { return }
      lastDraw = now
      let fraction = total > 0 ? Double(completed) / Double(total) : 1
      let elapsed = now.timeIntervalSince(start)
      let eta = completed > 0 ? elapsed / Double(completed) * Double(total - completed) : .nan
      let width = 24
      let filled = Int(fraction * Double(width))
      let bar =
        String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
      let line =
        "\(title) \(bar) \(completed)/\(total) \(Int(fraction * 100))%  "
        + "elapsed \(Self.clock(elapsed))  ETA \(finished ? "0:00" : Self.clock(eta))  \(label)"
      if isTerminal {
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line + (finished ? "\n" : "")).utf8))
      } else {
        FileHandle.standardError.write(Data((line + "\n").utf8))
      }
    }
  }

  static func clock(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "--:--" }
    let s = Int(seconds.rounded())
    return s >= 3600
      ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
      : String(format: "%d:%02d", s / 60, s % 60)
  }
}
