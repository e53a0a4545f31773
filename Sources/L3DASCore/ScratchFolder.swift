public import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A private folder under the system's temporary folder for intermediate files (audio handed
/// to an external recogniser, an unpacked archive), removed on every way out:
/// - when the value is released or `remove()` is called;
/// - when the process is stopped by SIGINT, SIGTERM or SIGHUP (a handler removes every live
///   scratch folder, then lets the signal end the process as it would have);
/// - after `kill -9` or a crash, by the next run: folders are named
///   `l3das-<purpose>-<host>-<pid>-<random>`, and creating one removes those of this machine
///   whose process is gone.
public final class ScratchFolder: @unchecked Sendable {
  /// The folder.
  public let url: URL
  private let lock = NSLock()
  private var removed = false

  /// Creates a fresh scratch folder for `purpose` (letters and digits, e.g. `asr`).
  /// - Throws: `OutputFolderError` if the folder cannot be created.
  public init(purpose: String) throws {
    let base = FileManager.default.temporaryDirectory
    Self.removeStale(purpose: purpose, in: base)
    let name =
      "l3das-\(purpose)-\(StagingPath.host)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    url = base.appendingPathComponent(name, isDirectory: true)
    do {
      try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    } catch {
      throw OutputFolderError(
        path: url.path, message: "cannot create a temporary folder: \(FileErrorText.describe(error))")
    }
    SignalCleanup.shared.register(url.path)
  }

  deinit { remove() }

  /// Removes the folder and everything in it (once).
  public func remove() {
    lock.withLock {
      guard !removed else { return }
      removed = true
      try? FileManager.default.removeItem(at: url)
      SignalCleanup.shared.unregister(url.path)
    }
  }

  /// Removes `l3das-<purpose>-<host>-<pid>-*` folders in `base` whose process is gone.
  static func removeStale(purpose: String, in base: URL) {
    let prefix = "l3das-\(purpose)-\(StagingPath.host)-"
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: base.path) else { return }
    for name in names where name.hasPrefix(prefix) {
      let fields = name.dropFirst(prefix.count).split(separator: "-")
      guard fields.count == 2, let pid = pid_t(fields[0]), pid > 0, pid != getpid(),
        UInt32(fields[1]) != nil, !StagingPath.isRunning(pid)
      else { continue }
      try? FileManager.default.removeItem(at: base.appendingPathComponent(name))
    }
  }
}

/// Removes registered scratch folders (and stops registered child processes) when SIGINT,
/// SIGTERM or SIGHUP arrives, then ends the process with that signal (so the exit status still
/// says how it ended).
public final class SignalCleanup: @unchecked Sendable {
  /// The one instance.
  public static let shared = SignalCleanup()
  private let lock = NSLock()
  private var paths: Set<String> = []
  private var children: Set<pid_t> = []
  private var sources: [any DispatchSourceSignal] = []
  private let queue = DispatchQueue(label: "l3das.signal-cleanup")

  func register(_ path: String) {
    lock.withLock {
      paths.insert(path)
      if sources.isEmpty { install() }
    }
  }

  func unregister(_ path: String) {
    lock.withLock { _ = paths.remove(path) }
  }

  /// Stops child process `pid` (SIGTERM) if a signal ends this process while it runs.
  public func registerChild(_ pid: pid_t) {
    lock.withLock {
      children.insert(pid)
      if sources.isEmpty { install() }
    }
  }

  /// Forgets child process `pid` (it has ended or been waited for).
  public func unregisterChild(_ pid: pid_t) {
    lock.withLock { _ = children.remove(pid) }
  }

  /// Called with the lock held.
  private func install() {
    for number in [SIGINT, SIGTERM, SIGHUP] {
      // Keep the signal from killing the process before the handler runs.
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
      source.setEventHandler { [weak self] in self?.handle(number) }
      source.resume()
      sources.append(source)
    }
  }

  private func handle(_ number: Int32) {
    let (doomed, running) = lock.withLock { (paths, children) }
    for pid in running { kill(pid, SIGTERM) }
    for path in doomed { try? FileManager.default.removeItem(atPath: path) }
    signal(number, SIG_DFL)
    kill(getpid(), number)
  }
}
