import Datasets
public import Foundation
public import Metrics

/// The official Task 1 recogniser as a `Transcriber`: wav2vec2 (facebook/wav2vec2-base-960h in
/// the challenge) run natively, exactly as the official `metrics.py` runs it.
///
/// The identifier is `wav2vec2:<repository or folder name>:sha256=<digest of the weights file>`,
/// so the transcript cache (`CachedTranscriber`) keys on the weights themselves. The digest is
/// computed once, on first use. Safe to call from several threads (the model's parameters are
/// constants and each call has its own activations).
public final class Wav2Vec2Transcriber: Transcriber, @unchecked Sendable {
  /// The loaded model.
  public let pretrained: PretrainedWav2Vec2
  /// Called with a message for audio too short to give one frame (transcribed as "").
  public let warn: @Sendable (String) -> Void
  private let lock = NSLock()
  private var digest: String?

  /// Loads the model folder (see ``PretrainedWav2Vec2``).
  public init(directory: URL, warn: @escaping @Sendable (String) -> Void = { _ in }) throws {
    pretrained = try PretrainedWav2Vec2(directory: directory)
    self.warn = warn
  }

  /// `wav2vec2:<folder>:sha256=<weights digest>`.
  public var identifier: String {
    lock.withLock {
      if digest == nil {
        digest = (try? Digest.hex(ofFileAt: pretrained.weightsFile, algorithm: .sha256)) ?? "unreadable"
      }
      return "wav2vec2:\(pretrained.directory.lastPathComponent):sha256=\(digest ?? "")"
    }
  }

  /// Transcribes 16 kHz audio with the official path (``PretrainedWav2Vec2/transcribe(_:)``).
  /// - Throws: `TranscriptionError.invalidAudio` for another rate or non-finite samples.
  public func transcribe(_ request: TranscriptionRequest) throws -> String {
    guard request.sampleRate == PretrainedWav2Vec2.sampleRate else {
      throw TranscriptionError(
        .invalidAudio, "wav2vec2 needs \(PretrainedWav2Vec2.sampleRate) Hz audio, got \(request.sampleRate) Hz")
    }
    let field = pretrained.configuration.receptiveField
    if request.samples.count < field {
      warn(
        "\(request.itemID.map { "\($0) (\(request.role.rawValue))" } ?? "audio"): \(request.samples.count) samples, fewer than the \(field) that give one wav2vec2 frame; transcribed as empty (the official scorer fails here)")
    }
    do {
      return try pretrained.transcribe(request.samples).text
    } catch let error as Wav2Vec2Error {
      throw TranscriptionError(.invalidAudio, error.message)
    }
  }
}
