public import Foundation

/// Python virtual environments with packages from PyPI, for the interoperability tests (our
/// files loaded by numpy / safetensors and theirs by us). One environment per package set is
/// created in the temporary folder (`l3das-swift-venv-<packages>`) and reused by later runs; it
/// is built in a hidden folder and renamed into place, so a concurrent or interrupted run never
/// sees a half-installed one.
public enum PythonVenv {
  /// Why an environment could not be made or a script failed.
  public struct Failure: Error, CustomStringConvertible {
    public var description: String
  }

  private static let lock = NSLock()

  /// The python of an environment with `packages` (PyPI names, also their import names), or
  /// `nil` when no `python3` is on the PATH — the only case in which the tests skip.
  /// - Throws: `Failure` when python3 exists but the environment cannot be built.
  public static func python(with packages: [String]) throws -> URL? {
    try lock.withLock {
      let env = URL(fileURLWithPath: "/usr/bin/env")
      guard (try? run(env, arguments: ["python3", "--version"])) != nil else { return nil }
      let name = "l3das-swift-venv-" + packages.sorted().joined(separator: "-")
      let venv = FileManager.default.temporaryDirectory.appendingPathComponent(name)
      let python = venv.appendingPathComponent("bin/python")
      let check = "import " + packages.joined(separator: ", ")
      if (try? run(python, check)) != nil { return python }
      try? FileManager.default.removeItem(at: venv)
      let staging = FileManager.default.temporaryDirectory.appendingPathComponent(
        ".\(name)-\(UUID().uuidString)")
      defer { try? FileManager.default.removeItem(at: staging) }
      _ = try run(env, arguments: ["python3", "-m", "venv", staging.path])
      _ = try run(
        staging.appendingPathComponent("bin/python"),
        arguments: ["-m", "pip", "install", "--quiet", "--disable-pip-version-check"] + packages)
      try FileManager.default.moveItem(at: staging, to: venv)
      _ = try run(python, check)
      return python
    }
  }

  /// Runs `python -c script arguments…` and returns its trimmed standard output.
  public static func run(_ python: URL, _ script: String, arguments: [String] = []) throws -> String
  {
    try run(python, arguments: ["-c", script] + arguments)
  }

  /// Runs `executable arguments…`; throws with its standard error when it fails.
  public static func run(_ executable: URL, arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read standard error on another thread, so a chatty child never blocks on a full pipe.
    final class Box: @unchecked Sendable { var data = Data() }
    let box = Box()
    let done = DispatchSemaphore(value: 0)
    let errorHandle = err.fileHandleForReading
    Thread {
      box.data = errorHandle.readDataToEndOfFile()
      done.signal()
    }.start()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    done.wait()
    guard process.terminationStatus == 0 else {
      throw Failure(
        description:
          "\(executable.lastPathComponent) \(arguments.prefix(2).joined(separator: " ")) failed (\(process.terminationStatus)): \(String(decoding: box.data, as: UTF8.self))"
      )
    }
    return text.trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
