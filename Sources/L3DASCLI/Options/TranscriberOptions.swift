import ArgumentParser
import Foundation
import Metrics
import SpeechRecognition
import Wav2Vec2

/// Which recogniser transcribes Task 1 audio.
enum TranscriberChoice: String, ExpressibleByArgument, CaseIterable {
  case wav2vec2
  case pocketsphinx
  case command
  case precomputed
}

/// The Task 1 recogniser options shared by `score` and `leaderboard`.
struct TranscriberOptions: ParsableArguments {
  @Option(help: "Task 1: wav2vec2 (the official recogniser, run natively; the default when its model is installed), pocketsphinx (built in; the default otherwise), command (--asr-command), or precomputed (--transcripts).")
  var transcriber: TranscriberChoice?

  @Option(help: "Task 1: the wav2vec2 model folder (default: the one 'l3das download wav2vec2-base-960h' made, else the Hugging Face cache).")
  var modelDir: String?

  @Option(parsing: .upToNextOption, help: ArgumentHelp("Task 1: the recogniser command speaking the JSON-lines protocol (docs/metrics.md), as one quoted command line: --asr-command \"python3 rec.py --model m\".", valueName: "command"))
  var asrCommand: [String] = []

  @Option(help: "Task 1: seconds the recogniser may take per request (the first includes its start-up) before it is stopped.")
  var asrTimeout: Double = ExternalCommandTranscriber.defaultTimeout

  @Option(help: "Task 1: a version string for --asr-command's recogniser, added to the transcript cache key (besides the digests of its files).")
  var asrVersion: String?

  @Option(help: "Task 1: folder with reference/<id>.txt and estimate/<id>.txt transcripts (leaderboard: <submission name>/<id>.txt for each submission).")
  var transcripts: String?

  @Option(help: "Task 1: transcript cache folder (default: $XDG_CACHE_HOME/l3das/transcripts or ~/.cache/l3das/transcripts).")
  var cache: String?

  @Flag(help: "Task 1: do not read or write the transcript cache.")
  var noCache = false

  /// The recogniser command's words: one argument is split like a shell command line (no
  /// shell runs), several are taken as they are.
  func commandWords() throws -> [String] {
    asrCommand.count == 1 ? try ShellWords.split(asrCommand[0]) : asrCommand
  }

  /// Checks that the chosen recogniser has what it needs.
  func check() throws {
    if modelDir != nil, let transcriber, transcriber != .wav2vec2 {
      throw ValidationError("--model-dir is for --transcriber wav2vec2")
    }
    if choice == .wav2vec2 { _ = try Transcribe.modelDirectory(modelDir) }
    if transcriber == .command, try commandWords().isEmpty {
      throw ValidationError("--transcriber command needs --asr-command")
    }
    try Limits.check(asrTimeout, "--asr-timeout", in: 0.1...86_400, unit: "seconds")
    if transcriber == .precomputed, transcripts == nil {
      throw ValidationError("--transcriber precomputed needs --transcripts DIR")
    }
  }

  /// The chosen recogniser: as given, else wav2vec2 when a model folder is given or installed,
  /// else PocketSphinx.
  var choice: TranscriberChoice {
    transcriber ?? (modelDir != nil || Wav2Vec2ModelLocation.installed() != nil ? .wav2vec2 : .pocketsphinx)
  }

  /// The recogniser, wrapped in the transcript cache unless --no-cache.
  func make() throws -> any Transcriber {
    let base: any Transcriber
    switch choice {
    case .wav2vec2:
      base = try Wav2Vec2Transcriber(directory: try Transcribe.modelDirectory(modelDir)) { message in
        FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
      }
    case .pocketsphinx: base = try PocketSphinxTranscriber()
    case .command:
      base = try ExternalCommandTranscriber(
        command: try commandWords(), tag: asrVersion, timeout: asrTimeout)
    case .precomputed:
      return PrecomputedTranscripts(folder: URL(fileURLWithPath: transcripts ?? ".", isDirectory: true))
    }
    if noCache { return base }
    let folder: URL
    if let cache {
      folder = URL(fileURLWithPath: cache, isDirectory: true)
    } else {
      let environment = ProcessInfo.processInfo.environment
      let root = environment["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) }
        ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
      folder = root.appendingPathComponent("l3das/transcripts")
    }
    return try CachedTranscriber(base, directory: folder)
  }
}
