import AudioIO
import Datasets
public import Foundation
import L3DASCore

#if canImport(Glibc)
  import Glibc
#endif

/// Transcribes with a recogniser of the user's choice, run as a separate long-lived process that
/// speaks a line-based JSON protocol on its standard input and output.
///
/// The process is started on first use and kept for every later request (so a large model loads
/// once). For each request l3das writes the audio as a mono float32 WAV file and sends one line:
///
/// ```json
/// {"id": 7, "audio": "/tmp/l3das-asr-…/7.wav", "sample_rate": 16000, "item": "1272-128104-0000", "role": "estimate"}
/// ```
///
/// The process answers with one line, either `{"id": 7, "text": "THE WORDS"}` or
/// `{"id": 7, "error": "why"}`. Anything it prints on standard error is kept and quoted when it
/// fails. A request not answered within `timeout` seconds stops the process and fails with its
/// last stderr lines (a recogniser that hangs cannot hang the scorer). The audio files live in
/// a `ScratchFolder`, removed however the run ends. `Tools/transcribers/wav2vec2_transcriber.py` is a complete example for the official
/// wav2vec2-base-960h model. Requests are sent one at a time; the type is safe to share between
/// threads.
public final class ExternalCommandTranscriber: Transcriber, @unchecked Sendable {
  /// The command and its arguments, e.g. `["python3", "Tools/transcribers/wav2vec2_transcriber.py"]`.
  public let command: [String]
  /// `command:<joined command> sha256:<digest of its files> [<version>]` (`identity(of:version:)`).
  public let identifier: String

  private let lock = NSLock()
  private var process: Process?
  private var input: FileHandle?
  private var output: FileHandle?
  private var pending = Data()
  private var nextID = 0
  private let scratch: ScratchFolder
  private var workDirectory: URL { scratch.url }
  private let stderrFile: URL
  /// Seconds a request may take (the first one includes the recogniser's start-up).
  public let timeout: TimeInterval

  /// The default of `timeout`: 10 minutes, for a large model loading on a slow machine.
  public static let defaultTimeout: TimeInterval = 600

  /// Prepares (but does not start) the process.
  /// - Parameters:
  ///   - command: executable (looked up on `PATH` if not a path) and arguments.
  ///   - tag: a version string of the recogniser for the transcript cache (`--asr-version`),
  ///     on top of the digests of its files (default: none).
  ///   - timeout: seconds each request may take before the process is stopped.
  ///   - identifier: the recogniser's identity for the transcript cache (default: built from
  ///     the command and `tag`).
  public init(
    command: [String], tag: String? = nil, timeout: TimeInterval = defaultTimeout,
    identifier: String? = nil
  ) throws {
    guard !command.isEmpty else {
      throw TranscriptionError(.unavailable, "the transcriber command is empty")
    }
    precondition(timeout > 0, "timeout must be positive")
    self.command = command
    self.timeout = timeout
    self.identifier = try identifier ?? Self.identity(of: command, version: tag)
    do {
      scratch = try ScratchFolder(purpose: "asr")
    } catch {
      throw TranscriptionError(.unavailable, "\(error)")
    }
    stderrFile = scratch.url.appendingPathComponent("stderr.log")
  }

  /// The cache identity of a recogniser command: the command line, the SHA-256 of the
  /// executable it resolves to and of every argument that names an existing file (the script
  /// of `python3 rec.py`, a model file), and the user's `version` tag. Editing the script or
  /// swapping the model therefore never reuses transcripts cached for the old one.
  /// - Throws: `TranscriptionError.unavailable` when the executable cannot be found.
  public static func identity(of command: [String], version: String? = nil) throws -> String {
    guard let executable = resolveExecutable(command[0]) else {
      throw TranscriptionError(
        .unavailable, "cannot find the transcriber program '\(command[0])' (not a file, and not on PATH)")
    }
    var files = [executable]
    for argument in command.dropFirst() {
      var isFolder: ObjCBool = false
      if FileManager.default.fileExists(atPath: argument, isDirectory: &isFolder), !isFolder.boolValue {
        files.append(URL(fileURLWithPath: argument))
      }
    }
    let digest: String
    do {
      digest = try Digest.combinedSHA256(of: files)
    } catch {
      throw TranscriptionError(.unavailable, "cannot read the transcriber's files: \(error)")
    }
    return "command:" + command.joined(separator: " ") + " sha256:" + digest
      + (version.map { " [\($0)]" } ?? "")
  }

  /// `name` as a path, or found on `PATH`, with symbolic links resolved.
  static func resolveExecutable(_ name: String) -> URL? {
    if name.contains("/") {
      return FileManager.default.isExecutableFile(atPath: name)
        ? URL(fileURLWithPath: name).resolvingSymlinksInPath() : nil
    }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for folder in path.split(separator: ":") where !folder.isEmpty {
      let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
      if FileManager.default.isExecutableFile(atPath: candidate.path) {
        return candidate.resolvingSymlinksInPath()
      }
    }
    return nil
  }

  deinit {
    try? input?.close()
    if let process {
      // Give it a moment to exit on end of input, then make sure it does: SIGTERM, then
      // SIGKILL, so a recogniser that ignores signals cannot keep us waiting.
      for (grace, signal) in [(3.0, SIGTERM), (2.0, SIGKILL)] {
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, signal) }
      }
      process.waitUntilExit()
      SignalCleanup.shared.unregisterChild(process.processIdentifier)
    }
    scratch.remove()
  }

  /// Sends the audio to the process and returns its text.
  public func transcribe(_ request: TranscriptionRequest) throws -> String {
    try lock.withLock {
      try startIfNeeded()
      nextID += 1
      let id = nextID
      let audio = workDirectory.appendingPathComponent("\(id).wav")
      defer { try? FileManager.default.removeItem(at: audio) }
      do {
        try AudioFile.write(
          AudioBuffer(channels: [request.samples], sampleRate: request.sampleRate), to: audio,
          format: .float32)
      } catch {
        throw TranscriptionError(.invalidAudio, "cannot pass the audio to \(command[0]): \(error)")
      }
      var message: [String: Any] = [
        "id": id, "audio": audio.path, "sample_rate": request.sampleRate, "role": request.role.rawValue,
      ]
      if let item = request.itemID { message["item"] = item }
      var line = try JSONSerialization.data(withJSONObject: message, options: [.sortedKeys])
      line.append(0x0A)
      do {
        try input?.write(contentsOf: line)
      } catch {
        throw failure("could not send a request (the process has exited?)")
      }
      let reply = try readLine()
      guard let object = try? JSONSerialization.jsonObject(with: reply) as? [String: Any] else {
        throw failure("answered with a line that is not a JSON object: \(String(decoding: reply.prefix(200), as: UTF8.self))")
      }
      guard (object["id"] as? Int) == id else {
        throw failure("answered request \(id) with id \(object["id"] ?? "none")")
      }
      if let error = object["error"] as? String {
        throw TranscriptionError(.invalidAudio, "\(command[0]) could not transcribe: \(error)")
      }
      guard let text = object["text"] as? String else {
        throw failure("answered without a \"text\" field")
      }
      return text
    }
  }

  private func startIfNeeded() throws {
    if let process, process.isRunning { return }
    if process != nil { throw failure("the transcriber process has exited") }
    let process = Process()
    if command[0].contains("/") {
      process.executableURL = URL(fileURLWithPath: command[0])
      process.arguments = Array(command.dropFirst())
    } else {
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments = command
    }
    let stdin = Pipe()
    let stdout = Pipe()
    _ = FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
    // A recogniser that dies must surface as an error on write, not kill us with SIGPIPE.
    signal(SIGPIPE, SIG_IGN)
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = try FileHandle(forWritingTo: stderrFile)
    do {
      try SignalMask.withNothingBlocked { try process.run() }
    } catch {
      throw TranscriptionError(.unavailable, "cannot start \(command.joined(separator: " ")): \(error.localizedDescription)")
    }
    self.process = process
    SignalCleanup.shared.registerChild(process.processIdentifier)
    input = stdin.fileHandleForWriting
    output = stdout.fileHandleForReading
  }

  private func readLine() throws -> Data {
    guard let output else { throw failure("no output pipe") }
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      if let newline = pending.firstIndex(of: 0x0A) {
        let line = pending[pending.startIndex..<newline]
        pending = Data(pending[pending.index(after: newline)...])
        return Data(line)
      }
      guard pending.count <= 16 << 20 else { throw failure("sent more than 16 MiB without a line end") }
      // Wait for output, at most until the deadline.
      let remaining = deadline.timeIntervalSinceNow
      var poller = pollfd(fd: output.fileDescriptor, events: Int16(POLLIN), revents: 0)
      let ready = remaining > 0 ? poll(&poller, 1, Int32(min(remaining, 1) * 1000)) : 0
      if ready < 0 && errno == EINTR { continue }
      if ready == 0 {
        if remaining > 0 { continue }
        process?.terminate()
        throw failure("did not answer within \(Int(timeout)) s (--asr-timeout); it was stopped")
      }
      var buffer = [UInt8](repeating: 0, count: 65_536)
      let got = read(output.fileDescriptor, &buffer, buffer.count)
      if got < 0 && errno == EINTR { continue }
      guard got > 0 else { throw failure("closed its output before answering") }
      pending.append(contentsOf: buffer[0..<got])
    }
  }

  private func failure(_ what: String) -> TranscriptionError {
    let log = (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
    let tail = log.split(separator: "\n").suffix(5).joined(separator: " | ")
    return TranscriptionError(
      .protocolViolation,
      "transcriber \(command.joined(separator: " ")) \(what)" + (tail.isEmpty ? "" : "; its stderr: \(tail)"))
  }
}
