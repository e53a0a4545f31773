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

/// Signal masks: a process started by another program (a test runner, a job system) may
/// inherit blocked signals from the thread that started it, and threads of Dispatch block
/// them too; a child started from such a thread inherits the block across `exec` and then
/// cannot be stopped with SIGTERM.
public enum SignalMask {
  /// Unblocks every signal on the calling thread (call first thing in `main`).
  public static func unblockAll() {
    var set = sigset_t()
    sigemptyset(&set)
    pthread_sigmask(SIG_SETMASK, &set, nil)
  }

  /// Runs `body` (which starts a child process) with no signal blocked on this thread, so the
  /// child starts with none blocked; the thread's mask is restored afterwards.
  public static func withNothingBlocked<R>(_ body: () throws -> R) rethrows -> R {
    var empty = sigset_t()
    var saved = sigset_t()
    sigemptyset(&empty)
    pthread_sigmask(SIG_SETMASK, &empty, &saved)
    defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
    return try body()
  }
}

/// The pipe the signal handler writes the signal number to (`SignalCleanup`).
nonisolated(unsafe) private var signalPipe: (read: Int32, write: Int32) = (-1, -1)

/// The signal handler: only writes the signal number to the pipe (async-signal-safe); a thread
/// does the clean-up. A handler (unlike `SIG_IGN`) is reset to the default by `exec`, so child
/// processes still die of SIGTERM.
private func forwardSignal(_ number: Int32) {
  var byte = UInt8(truncatingIfNeeded: number)
  _ = write(signalPipe.write, &byte, 1)
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
  private var installed = false

  func register(_ path: String) {
    lock.withLock {
      paths.insert(path)
      install()
    }
  }

  func unregister(_ path: String) {
    lock.withLock { _ = paths.remove(path) }
  }

  /// Stops child process `pid` (SIGTERM) if a signal ends this process while it runs.
  public func registerChild(_ pid: pid_t) {
    lock.withLock {
      children.insert(pid)
      install()
    }
  }

  /// Forgets child process `pid` (it has ended or been waited for).
  public func unregisterChild(_ pid: pid_t) {
    lock.withLock { _ = children.remove(pid) }
  }

  /// Called with the lock held; installs the handlers once.
  private func install() {
    guard !installed else { return }
    installed = true
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { return }
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    signalPipe = (fds[0], fds[1])
    let watcher = Thread { [self] in
      var byte: UInt8 = 0
      while true {
        let got = read(signalPipe.read, &byte, 1)
        if got == 1 { handle(Int32(byte)) }
        if got < 0 && errno != EINTR { return }
      }
    }
    watcher.name = "l3das.signal-cleanup"
    watcher.start()
    for number in [SIGINT, SIGTERM, SIGHUP] {
      var action = sigaction()
      action.__sigaction_handler.sa_handler = forwardSignal
      sigemptyset(&action.sa_mask)
      action.sa_flags = SA_RESTART
      sigaction(number, &action, nil)
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
