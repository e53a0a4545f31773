public import Foundation

/// An executable product that SwiftPM builds beside the test bundle (`l3das`), run as a child
/// process by the command-line tests.
public struct BuiltExecutable: Sendable {
  /// What a finished run printed and returned.
  public struct Result: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
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
  public func launch(_ arguments: [String]) throws -> (process: Process, stdout: Pipe, stderr: Pipe) {
    guard FileManager.default.isExecutableFile(atPath: url.path) else {
      throw NotBuilt(description: "\(url.path) not built; run `swift build --build-tests` first")
    }
    let process = Process()
    process.executableURL = url
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    return (process, out, err)
  }

  /// Runs the executable with `arguments` to the end.
  public func run(_ arguments: [String]) throws -> Result {
    let (process, out, err) = try launch(arguments)
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
      stderr: String(decoding: stderr, as: UTF8.self))
  }
}
