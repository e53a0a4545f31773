public import L3DASCore

/// A wav2vec2 model folder, configuration or input that cannot be used; `description` is one
/// line, `path: message`.
public typealias Wav2Vec2Error = CodedError<Wav2Vec2ErrorCode>

/// The kinds of ``Wav2Vec2Error``.
public enum Wav2Vec2ErrorCode: String, Sendable, Codable {
  /// A file of the model folder is missing or unreadable.
  case missingFile
  /// `config.json` lacks a required key, has a value of the wrong type, or describes an
  /// architecture this port does not implement.
  case invalidConfiguration
  /// `vocab.json` or `tokenizer_config.json` is malformed.
  case invalidVocabulary
  /// The weights do not fit the configuration (missing, unexpected or mis-shaped tensors).
  case invalidWeights
  /// The audio cannot be transcribed (wrong sample rate, NaN samples).
  case invalidAudio
}
