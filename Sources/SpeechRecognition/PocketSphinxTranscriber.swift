internal import CPocketSphinx
import Datasets
public import Foundation
public import Metrics

#if canImport(Glibc)
  import Glibc
#endif

/// Offline speech recognition with CMU PocketSphinx (Debian `libpocketsphinx-dev` +
/// `pocketsphinx-en-us`), the built-in `Transcriber` of the Task 1 scorer.
///
/// It is much weaker than the official wav2vec2-base-960h (WER on real LibriVox speech about
/// 0.28 here, PLATFORM.md §4), so its WERs are **not** comparable with leaderboard numbers; it
/// makes the Task 1 metric computable offline and is deterministic. Transcripts are upper-cased
/// (pocketsphinx writes lower case) to match LibriSpeech and wav2vec2 output.
///
/// Decoders are not thread-safe; this type keeps a small pool and gives each concurrent call its
/// own decoder, so it may be shared between threads. Each decoder loads the model once
/// (about 0.5 s).
///
/// ```swift
/// let asr = try PocketSphinxTranscriber()
/// let text = try asr.transcribe(TranscriptionRequest(samples: speech, sampleRate: 16_000))
/// ```
public final class PocketSphinxTranscriber: Transcriber, @unchecked Sendable {
  /// The model files.
  public struct Model: Sendable, Equatable {
    /// The acoustic model folder (`-hmm`).
    public var acousticModel: URL
    /// The language model (`-lm`).
    public var languageModel: URL
    /// The pronunciation dictionary (`-dict`).
    public var dictionary: URL

    /// Debian's US English model in `/usr/share/pocketsphinx/model/en-us`.
    public static let debianEnglish = Model(
      acousticModel: URL(fileURLWithPath: "/usr/share/pocketsphinx/model/en-us/en-us"),
      languageModel: URL(fileURLWithPath: "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin"),
      dictionary: URL(fileURLWithPath: "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"))

    /// Creates a model description.
    public init(acousticModel: URL, languageModel: URL, dictionary: URL) {
      self.acousticModel = acousticModel
      self.languageModel = languageModel
      self.dictionary = dictionary
    }
  }

  /// The sample rate the acoustic model expects, in Hz.
  public static let sampleRate = 16_000

  /// The model in use.
  public let model: Model
  /// `pocketsphinx-0.8:sha256:<digest of the model files>`: the acoustic model folder, the
  /// language model and the dictionary, by content (so a changed model never reuses cached
  /// transcripts), and the decoder settings, which are fixed.
  public let identifier: String

  private let lock = NSLock()
  private var idle: [Decoder] = []

  /// Checks the model files and loads one decoder.
  /// - Throws: `TranscriptionError.unavailable` naming a missing file and the Debian package.
  public init(model: Model = .debianEnglish) throws {
    self.model = model
    for file in [model.acousticModel, model.languageModel, model.dictionary]
    where !FileManager.default.fileExists(atPath: file.path) {
      throw TranscriptionError(
        .unavailable,
        "\(file.path) is missing; install Debian's pocketsphinx-en-us (apt-get install pocketsphinx-en-us)")
    }
    do {
      let digest = try Digest.combinedSHA256(
        of: [model.acousticModel, model.languageModel, model.dictionary])
      identifier = "pocketsphinx-0.8:sha256:\(digest)"
    } catch {
      throw TranscriptionError(.unavailable, "cannot read the PocketSphinx model: \(error)")
    }
    idle.append(try Decoder(model: model))
  }

  /// Decodes the request's audio as one utterance.
  /// - Throws: `TranscriptionError.invalidAudio` for a rate other than 16 kHz or non-finite samples.
  public func transcribe(_ request: TranscriptionRequest) throws -> String {
    guard request.sampleRate == Self.sampleRate else {
      throw TranscriptionError(
        .invalidAudio, "PocketSphinx's model needs 16 000 Hz audio, got \(request.sampleRate) Hz")
    }
    guard request.samples.allSatisfy(\.isFinite) else {
      throw TranscriptionError(.invalidAudio, "the audio contains NaN or infinite samples")
    }
    let decoder = try lock.withLock { idle.popLast() } ?? Decoder(model: model)
    defer { lock.withLock { idle.append(decoder) } }
    return try decoder.decode(request.samples).uppercased()
  }

  /// One PocketSphinx decoder and its configuration.
  private final class Decoder {
    private let config: OpaquePointer
    private let decoder: OpaquePointer

    init(model: Model) throws {
      // Silence sphinxbase's logging before parsing (it logs the whole configuration).
      err_set_logfp(nil)
      let arguments = [
        "l3das", "-hmm", model.acousticModel.path, "-lm", model.languageModel.path, "-dict",
        model.dictionary.path, "-logfn", "/dev/null",
      ]
      var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
      defer { cArguments.forEach { free($0) } }
      guard let config = cmd_ln_parse_r(nil, ps_args(), Int32(cArguments.count), &cArguments, 1) else {
        throw TranscriptionError(.unavailable, "PocketSphinx rejected its configuration")
      }
      guard let decoder = ps_init(config) else {
        cmd_ln_free_r(config)
        throw TranscriptionError(.unavailable, "PocketSphinx could not load the model at \(model.acousticModel.path)")
      }
      self.config = config
      self.decoder = decoder
    }

    deinit {
      ps_free(decoder)
      cmd_ln_free_r(config)
    }

    func decode(_ samples: [Float]) throws -> String {
      // Clamped as floats first: a sample of 3e14 (valid float input) must saturate, not
      // overflow the conversion to Int.
      let pcm = samples.map { Int16(min(32767, max(-32768, ($0 * 32768).rounded()))) }
      guard ps_start_utt(decoder) >= 0 else {
        throw TranscriptionError(.unavailable, "PocketSphinx could not start an utterance")
      }
      let processed = pcm.withUnsafeBufferPointer { ps_process_raw(decoder, $0.baseAddress, $0.count, 0, 1) }
      guard processed >= 0, ps_end_utt(decoder) >= 0 else {
        throw TranscriptionError(.invalidAudio, "PocketSphinx failed to decode the audio")
      }
      var score: Int32 = 0
      guard let hypothesis = ps_get_hyp(decoder, &score) else { return "" }
      return String(cString: hypothesis)
    }
  }
}
