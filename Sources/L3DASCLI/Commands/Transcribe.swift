import ArgumentParser
import AudioIO
import Foundation
import L3DASCore
import NumPyIO
import Wav2Vec2

/// `l3das transcribe`: the official Task 1 recogniser on audio files.
struct Transcribe: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Transcribe speech with wav2vec2 exactly as the official Task 1 metric does.",
    discussion: """
      AUDIO is a mono 16 kHz WAV file or a 1-D float .npy array of 16 kHz samples. Each is \
      normalised ((x - mean) / sqrt(var + 1e-5)), run through the model in one pass, and decoded \
      as the official scorer's batch_decode does (argmax per frame, repeats collapsed, blanks \
      dropped, '|' as space). Prints FILE<TAB>TEXT per input, or with --json an array of \
      {"file", "text", "ids"} (ids: the argmax of every frame). --logits OUTDIR writes \
      OUTDIR/<name>.npy, float32 [frames, vocabulary].

      --model names a folder with config.json, vocab.json, tokenizer_config.json and \
      model.safetensors (or pytorch_model.bin), or a Hugging Face cache folder \
      (models--facebook--wav2vec2-base-960h). Without it, the model downloaded by \
      'l3das download wav2vec2-base-960h' or found in the Hugging Face cache is used.
      """)

  @Option(help: "The model folder (default: the downloaded wav2vec2-base-960h or the Hugging Face cache).")
  var model: String?

  @Flag(help: "Print a JSON array of {file, text, ids} in input order.")
  var json = false

  @Option(help: "Write each input's logits to OUTDIR/<name>.npy (float32, [frames, vocabulary]).")
  var logits: String?

  @Argument(help: "Mono 16 kHz WAV files or 1-D float .npy arrays.")
  var audio: [String] = []

  func validate() throws {
    guard !audio.isEmpty else { throw ValidationError("name at least one audio file") }
    _ = try Self.modelDirectory(model)
  }

  /// The model folder named by `--model`, or the installed one.
  static func modelDirectory(_ option: String?) throws -> URL {
    if let option {
      let url = URL(fileURLWithPath: option, isDirectory: true)
      guard let resolved = Wav2Vec2ModelLocation.resolve(url) else {
        throw ValidationError(
          "--model \(option): no config.json, vocab.json and model.safetensors or pytorch_model.bin there (nor a Hugging Face snapshot holding them)")
      }
      return resolved
    }
    guard let installed = Wav2Vec2ModelLocation.installed() else {
      throw ValidationError(
        "no wav2vec2 model found in \(Wav2Vec2ModelLocation.defaultDirectory().path) or the Hugging Face cache; run 'l3das download wav2vec2-base-960h' or pass --model DIR")
    }
    return installed
  }

  struct Item: Encodable {
    var file: String
    var text: String
    var ids: [Int]
  }

  func run() throws {
    // The forward pass's activations (up to 196 MB per tensor at 30 s) are served from a heap
    // that keeps freed memory, not mapped and faulted in afresh per file.
    HeapTuning.retainLargeAllocations()
    let recogniser = try PretrainedWav2Vec2(directory: try Self.modelDirectory(model))
    let logitsFolder = logits.map { URL(fileURLWithPath: $0, isDirectory: true) }
    if let logitsFolder {
      try FileManager.default.createDirectory(at: logitsFolder, withIntermediateDirectories: true)
    }
    var items: [Item] = []
    for path in audio {
      let samples = try Self.samples(of: path)
      if recogniser.configuration.frameCount(samples: samples.count) == 0 {
        FileHandle.standardError.write(Data(
          "warning: \(path): \(samples.count) samples, fewer than the \(recogniser.configuration.receptiveField) that give one frame; transcribed as empty\n".utf8))
      }
      let result: PretrainedWav2Vec2.Transcription
      do {
        result = try recogniser.transcribe(samples)
      } catch let error as Wav2Vec2Error {
        throw Wav2Vec2Error(error.code, error.message, path: path)
      }
      if let logitsFolder {
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        try NumPyFile.write(
          result.logits, shape: [result.frameCount, recogniser.configuration.vocabularySize],
          to: logitsFolder.appendingPathComponent(name + ".npy"))
      }
      if json {
        items.append(Item(file: path, text: result.text, ids: result.ids))
      } else {
        print("\(path)\t\(result.text)")
      }
    }
    if json { try Output.printJSON(items) }
  }

  /// Mono 16 kHz samples from a WAV file or a 1-D float `.npy` array.
  static func samples(of path: String) throws -> [Float] {
    let url = URL(fileURLWithPath: path)
    if url.pathExtension.lowercased() == "npy" {
      let (header, values) = try NumPyFile.readFloats(url)
      guard header.dataType.kind == .float, header.shape.count == 1 || (header.shape.count == 2 && header.shape[0] == 1) else {
        throw Wav2Vec2Error(
          .invalidAudio, "expected a 1-D float array of 16 kHz samples, found \(header.dataType) of shape \(header.shape)",
          path: path)
      }
      return values
    }
    let audio = try AudioFile.read(url)
    guard audio.channelCount == 1, audio.sampleRate == PretrainedWav2Vec2.sampleRate else {
      throw Wav2Vec2Error(
        .invalidAudio,
        "expected mono \(PretrainedWav2Vec2.sampleRate) Hz audio, found \(audio.channelCount) channel(s) at \(audio.sampleRate) Hz",
        path: path)
    }
    return Array(audio.channel(0))
  }
}
