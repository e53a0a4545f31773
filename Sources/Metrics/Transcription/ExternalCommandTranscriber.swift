import AudioIO
import Foundation

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
/// fails. `Tools/transcribers/wav2vec2_transcriber.py` is a complete example for the official
/// wav2vec2-base-960h model. Requests are sent one at a time; the type is safe to share between
/// threads.
public final class ExternalCommandTranscriber: Transcriber, @unchecked Sendable {
  /// The command and its arguments, e.g. `["python3", "Tools/transcribers/wav2vec2_transcriber.py"]`.
  public let command: [String]
  /// `command:<joined command>`, plus a user-chosen tag for the model version.
  public let identifier: String

  private let lock = NSLock()
  private var process: Process?
  private var input: FileHandle?
  private var output: FileHandle?
  private var pending = Data()
  private var nextID = 0
  private let workDirectory: URL
  private let stderrFile: URL

  /// Prepares (but does not start) the process.
  /// - Parameters:
  ///   - command: executable (looked up on `PATH` if not a path) and arguments.
  ///   - tag: distinguishes model versions in the transcript cache (default: none).
  public init(command: [String], tag: String? = nil) throws {
    guard !command.isEmpty else {
      throw TranscriptionError(.unavailable, "the transcriber command is empty")
    }
    self.command = command
    self.identifier = "command:" + command.joined(separator: " ") + (tag.map { " [\($0)]" } ?? "")
    workDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "l3das-asr-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
    stderrFile = workDirectory.appendingPathComponent("stderr.log")
  }

  deinit {
    try? input?.close()
    process?.waitUntilExit()
    try? FileManager.default.removeItem(at: workDirectory)
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
      try process.run()
    } catch {
      throw TranscriptionError(.unavailable, "cannot start \(command.joined(separator: " ")): \(error.localizedDescription)")
    }
    self.process = process
    input = stdin.fileHandleForWriting
    output = stdout.fileHandleForReading
  }

  private func readLine() throws -> Data {
    guard let output else { throw failure("no output pipe") }
    while true {
      if let newline = pending.firstIndex(of: 0x0A) {
        let line = pending[pending.startIndex..<newline]
        pending = Data(pending[pending.index(after: newline)...])
        return Data(line)
      }
      let chunk = output.availableData
      guard !chunk.isEmpty else { throw failure("closed its output before answering") }
      pending.append(chunk)
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
