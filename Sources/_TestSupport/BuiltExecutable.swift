public import Foundation

/// An executable product that SwiftPM builds beside the test bundle (`l3das`), run as a child
/// process by the command-line tests.
public struct BuiltExecutable: Sendable {
  /// What a finished run printed and returned.
  public struct Result: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// Whether a signal ended the process (then `status` is the signal number).
    public var terminatedBySignal = false
    /// Whether `run(_:timeout:currentDirectory:)` had to kill it.
    public var timedOut = false
  }

  /// Why the executable could not be started.
  public struct NotBuilt: Error, CustomStringConvertible {
    public var description: String
  }

  /// The executable's location.
  public let url: URL
  /// Variables set on top of the test process's environment.
  public var environment: [String: String]

  /// The product `name` in the build folder; `COLUMNS=80` pins help wrapping so snapshots are
  /// stable everywhere.
  public init(_ name: String, environment: [String: String] = ["COLUMNS": "80"]) {
    let bundle = Bundle.main.bundleURL
    let folder = bundle.pathExtension == "xctest" ? bundle.deletingLastPathComponent() : bundle
    url = folder.appendingPathComponent(name)
    self.environment = environment
  }

  /// Starts the executable with `arguments`; the caller reads the pipes and waits.
  public func launch(_ arguments: [String], currentDirectory: URL? = nil) throws -> (
    process: Process, stdout: Pipe, stderr: Pipe
  ) {
    guard FileManager.default.isExecutableFile(atPath: url.path) else {
      throw NotBuilt(description: "\(url.path) not built; run `swift build --build-tests` first")
    }
    let process = Process()
    process.executableURL = url
    process.arguments = arguments
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    return (process, out, err)
  }

  /// Runs the executable with `arguments` to the end.
  public func run(_ arguments: [String], currentDirectory: URL? = nil) throws -> Result {
    let (process, out, err) = try launch(arguments, currentDirectory: currentDirectory)
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
      stderr: String(decoding: stderr, as: UTF8.self),
      terminatedBySignal: process.terminationReason == .uncaughtSignal)
  }

  /// Runs the executable with `arguments`, killing it (SIGKILL) if it is still running after
  /// `timeout` seconds; `timedOut` then says so. For tests of inputs that once hung a command.
  public func run(_ arguments: [String], timeout: TimeInterval, currentDirectory: URL? = nil) throws
    -> Result
  {
    let (process, out, err) = try launch(arguments, currentDirectory: currentDirectory)
    let box = OutputBox()
    let group = DispatchGroup()
    for (pipe, isError) in [(out, false), (err, true)] {
      group.enter()
      DispatchQueue.global().async {
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        box.set(data, isError: isError)
        group.leave()
      }
    }
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    let timedOut = process.isRunning
    if timedOut { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    group.wait()
    var result = Result(
      status: process.terminationStatus, stdout: String(decoding: box.stdout, as: UTF8.self),
      stderr: String(decoding: box.stderr, as: UTF8.self),
      terminatedBySignal: process.terminationReason == .uncaughtSignal)
    result.timedOut = timedOut
    return result
  }
}

/// Collects a child's two output streams from two threads.
private final class OutputBox: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var stdout = Data()
  private(set) var stderr = Data()
  func set(_ data: Data, isError: Bool) {
    lock.lock()
    if isError { stderr = data } else { stdout = data }
    lock.unlock()
  }
}
