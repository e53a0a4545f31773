public import Foundation

/// The official scorer's `Wav2Vec2Tokenizer` (transformers 4.4.2): input normalisation and
/// CTC decoding with the hub's `vocab.json` and `tokenizer_config.json`.
public struct Wav2Vec2Tokenizer: Sendable, Equatable {
  /// Token strings by id (`vocab.json` inverted).
  public let tokens: [String]
  /// The CTC blank (`pad_token`, `<pad>`).
  public let padToken: String
  /// The word separator (`word_delimiter_token`, `|`), decoded as a space.
  public let wordDelimiter: String
  /// The token of ids outside the vocabulary (`unk_token`, `<unk>`).
  public let unknownToken: String
  /// Whether inputs are normalised to zero mean and unit variance (`do_normalize`; the hub file
  /// turns it on, the class default is off).
  public let normalizesInput: Bool

  /// The ε of the normalisation: the tokenizer's 1e-5 (the feature extractor's is 1e-7).
  public static let normalizationEpsilon: Float = 1e-5

  /// A tokenizer from token strings by id and the `tokenizer_config.json` settings.
  public init(
    tokens: [String], padToken: String = "<pad>", wordDelimiter: String = "|", unknownToken: String = "<unk>",
    normalizesInput: Bool = true
  ) {
    self.tokens = tokens
    self.padToken = padToken
    self.wordDelimiter = wordDelimiter
    self.unknownToken = unknownToken
    self.normalizesInput = normalizesInput
  }

  /// Reads `vocab.json` (token → id) and, when present, `tokenizer_config.json`.
  ///
  /// Without a `tokenizer_config.json` the hub file's values for wav2vec2-base-960h apply
  /// (normalisation on, `<pad>`, `|`, `<unk>`).
  /// - Throws: ``Wav2Vec2Error`` `.invalidVocabulary` or `.missingFile`, naming the file.
  public init(vocabulary: URL, configuration: URL?) throws {
    let data: Data
    do { data = try Data(contentsOf: vocabulary) } catch {
      throw Wav2Vec2Error(.missingFile, "cannot read vocab.json: \(error.localizedDescription)", path: vocabulary.path)
    }
    guard let map = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], !map.isEmpty else {
      throw Wav2Vec2Error(.invalidVocabulary, "vocab.json is not a JSON object of token → id", path: vocabulary.path)
    }
    var byID: [Int: String] = [:]
    for (token, value) in map {
      guard let id = (value as? NSNumber).flatMap({ Int(exactly: $0.doubleValue) }), id >= 0, id < 1 << 20 else {
        throw Wav2Vec2Error(.invalidVocabulary, "token \"\(token)\" has id \(value), not a small non-negative integer", path: vocabulary.path)
      }
      guard byID[id] == nil else {
        throw Wav2Vec2Error(.invalidVocabulary, "id \(id) is given to two tokens", path: vocabulary.path)
      }
      byID[id] = token
    }
    guard let largest = byID.keys.max(), largest == byID.count - 1 else {
      throw Wav2Vec2Error(.invalidVocabulary, "ids must be 0…\(byID.count - 1) without gaps", path: vocabulary.path)
    }
    var settings: [String: Any] = [:]
    if let configuration, FileManager.default.fileExists(atPath: configuration.path) {
      guard let object = (try? JSONSerialization.jsonObject(with: Data(contentsOf: configuration))) as? [String: Any] else {
        throw Wav2Vec2Error(.invalidVocabulary, "tokenizer_config.json is not a JSON object", path: configuration.path)
      }
      settings = object
    }
    /// A special token: a string, or an `AddedToken`-style object with `content`.
    func token(_ key: String, _ fallback: String) -> String {
      if let s = settings[key] as? String { return s }
      if let o = settings[key] as? [String: Any], let s = o["content"] as? String { return s }
      return fallback
    }
    self.init(
      tokens: (0..<byID.count).map { byID[$0] ?? "" }, padToken: token("pad_token", "<pad>"),
      wordDelimiter: token("word_delimiter_token", "|"), unknownToken: token("unk_token", "<unk>"),
      normalizesInput: (settings["do_normalize"] as? Bool) ?? true)
  }

  /// The model input for raw samples: `(x − mean) / √(var + 1e-5)` with the population variance
  /// (`Wav2Vec2Tokenizer.__call__` with `do_normalize`), the result in `Float` as PyTorch gets it.
  /// Mean and variance are accumulated in double and rounded to `Float`, as NumPy's float32
  /// mean and variance round (within an ulp of them). Without normalisation the samples pass
  /// unchanged.
  public func inputValues(_ samples: [Float]) -> [Float] {
    guard normalizesInput, !samples.isEmpty else { return samples }
    var sum = 0.0
    for x in samples { sum += Double(x) }
    let mean = Float(sum / Double(samples.count))
    var squares = 0.0
    for x in samples {
      let d = Double(x - mean)
      squares += d * d
    }
    let variance = Float(squares / Double(samples.count))
    let scale = (variance + Self.normalizationEpsilon).squareRoot()
    return samples.map { ($0 - mean) / scale }
  }

  /// The text of frame-wise ids, as `batch_decode` of transformers 4.4.2 with its defaults:
  /// ids → tokens (ids outside the vocabulary → the unknown token; special tokens other than the
  /// blank kept literally), runs of equal tokens collapsed, the blank removed, the word delimiter
  /// → " ", leading and trailing whitespace stripped, then `clean_up_tokenization` (" ." → ".",
  /// " ' " → "'", " n't" → "n't", …). Double spaces from a delimiter, blank, delimiter stay.
  public func decode(_ ids: [Int]) -> String {
    var pieces: [String] = []
    var previous: String?
    for id in ids {
      let token = tokens.indices.contains(id) ? tokens[id] : unknownToken
      defer { previous = token }
      if token == previous || token == padToken { continue }
      pieces.append(token)
    }
    var text = pieces.joined().replacingOccurrences(of: wordDelimiter, with: " ")
    text = text.trimmingCharacters(in: .whitespacesAndNewlines)
    for (from, to) in Self.cleanUps { text = text.replacingOccurrences(of: from, with: to) }
    return text
  }

  /// transformers' `clean_up_tokenization`, in its order.
  static let cleanUps: [(String, String)] = [
    (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
    (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
  ]
}
