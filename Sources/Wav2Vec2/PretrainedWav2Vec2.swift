public import Foundation
public import NN
import SafeTensors

/// A wav2vec2 CTC checkpoint in the hub's folder layout, loaded for inference: `config.json`,
/// `vocab.json`, `tokenizer_config.json` (optional) and the weights, `model.safetensors` or
/// else `pytorch_model.bin` (read without running its pickle, see `TorchCheckpoint`).
///
/// ```swift
/// let model = try PretrainedWav2Vec2(directory: folder)
/// let result = try model.transcribe(samples)   // 16 kHz mono
/// print(result.text)
/// ```
public final class PretrainedWav2Vec2: Sendable {
  /// The hub repository of the official Task 1 recogniser.
  public static let officialRepository = "facebook/wav2vec2-base-960h"
  /// The files of a model folder, in the order `l3das download` fetches them; the weights are
  /// the first of ``weightFiles`` present.
  public static let configurationFiles = ["config.json", "vocab.json", "tokenizer_config.json"]
  /// Weight files in order of preference.
  public static let weightFiles = ["model.safetensors", "pytorch_model.bin"]
  /// The sample rate the model was trained on, in Hz.
  public static let sampleRate = 16_000

  /// The folder.
  public let directory: URL
  /// The weights file used.
  public let weightsFile: URL
  /// The architecture.
  public let configuration: Wav2Vec2Configuration
  /// Normalisation and decoding.
  public let tokenizer: Wav2Vec2Tokenizer
  /// The network (parameters constant; safe to run from several threads).
  nonisolated(unsafe) public let model: Wav2Vec2ForCTC<Float>

  /// Whether `directory` holds a model: `config.json`, `vocab.json` and a weights file.
  public static func isModelDirectory(_ directory: URL) -> Bool {
    let fm = FileManager.default
    return fm.fileExists(atPath: directory.appendingPathComponent("config.json").path)
      && fm.fileExists(atPath: directory.appendingPathComponent("vocab.json").path)
      && weightFiles.contains { fm.fileExists(atPath: directory.appendingPathComponent($0).path) }
  }

  /// Loads the model in `directory`.
  /// - Throws: ``Wav2Vec2Error`` for a missing or bad file, `StateDictError` for weights that
  ///   do not fit the configuration, `SafeTensorsError` / `TorchCheckpointError` for an
  ///   unreadable weights file; each names the file.
  public init(directory: URL) throws {
    self.directory = directory
    let fm = FileManager.default
    guard let weights = Self.weightFiles.map({ directory.appendingPathComponent($0) })
      .first(where: { fm.fileExists(atPath: $0.path) })
    else {
      throw Wav2Vec2Error(
        .missingFile, "no model.safetensors or pytorch_model.bin (download the model with `l3das download wav2vec2-base-960h`)",
        path: directory.path)
    }
    weightsFile = weights
    configuration = try Wav2Vec2Configuration(contentsOf: directory.appendingPathComponent("config.json"))
    tokenizer = try Wav2Vec2Tokenizer(
      vocabulary: directory.appendingPathComponent("vocab.json"),
      configuration: directory.appendingPathComponent("tokenizer_config.json"))
    guard tokenizer.tokens.count == configuration.vocabularySize else {
      throw Wav2Vec2Error(
        .invalidVocabulary, "vocab.json has \(tokenizer.tokens.count) tokens, config.json's vocab_size is \(configuration.vocabularySize)",
        path: directory.appendingPathComponent("vocab.json").path)
    }
    model = Wav2Vec2ForCTC<Float>(configuration)
    try model.load(from: try StateDictFile.read(weights))
  }

  /// One utterance's recognition.
  public struct Transcription: Sendable, Equatable {
    /// The decoded text (official `batch_decode`).
    public var text: String
    /// The argmax id of every frame.
    public var ids: [Int]
    /// The logits, `[frames, vocabulary]` row-major.
    public var logits: [Float]
    /// The number of frames.
    public var frameCount: Int
  }

  /// The official path on mono samples at ``sampleRate``: normalisation, one forward pass over
  /// the whole utterance, argmax per frame, CTC decoding. Input shorter than the receptive field
  /// (400 samples) has no frame: the text is empty (the official code raises an error there).
  /// - Throws: ``Wav2Vec2Error`` `.invalidAudio` for NaN or infinite samples.
  public func transcribe(_ samples: [Float]) throws -> Transcription {
    guard samples.allSatisfy(\.isFinite) else {
      throw Wav2Vec2Error(.invalidAudio, "the audio contains NaN or infinite samples")
    }
    guard configuration.frameCount(samples: samples.count) > 0 else {
      return Transcription(text: "", ids: [], logits: [], frameCount: 0)
    }
    let input = Tensor<Float>(shape: [1, samples.count], scalars: tokenizer.inputValues(samples))
    let logits = withNoGrad { model.logits(input) }
    let ids = logits.argmax()
    return Transcription(text: tokenizer.decode(ids), ids: ids, logits: logits.scalars, frameCount: logits.shape[1])
  }
}
