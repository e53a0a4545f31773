import Foundation

/// One piece of audio to transcribe, with what the scorer knows about it.
public struct TranscriptionRequest: Sendable {
  /// Which signal of a Task 1 item the audio is.
  public enum Role: String, Sendable, Codable {
    /// The clean reference speech (`labels/<id>.wav`).
    case reference
    /// The participant's enhanced estimate (`<id>.npy`).
    case estimate
  }

  /// Mono samples, linear amplitude.
  public var samples: [Float]
  /// Sample rate in Hz.
  public var sampleRate: Int
  /// The dataset item id, when the audio belongs to one (used by precomputed transcripts).
  public var itemID: String?
  /// Which signal this is.
  public var role: Role

  /// Creates a request.
  public init(samples: [Float], sampleRate: Int, itemID: String? = nil, role: Role = .estimate) {
    self.samples = samples
    self.sampleRate = sampleRate
    self.itemID = itemID
    self.role = role
  }
}

/// Turns speech into text for WER.
///
/// The official Task 1 metric transcribes both the clean reference and the estimate with
/// wav2vec2-base-960h (docs/metrics.md). The scorer takes any `Transcriber`: that official model
/// run natively (`Wav2Vec2Transcriber`, module Wav2Vec2), the built-in offline
/// `PocketSphinxTranscriber` (module SpeechRecognition), an `ExternalCommandTranscriber` that
/// talks to the user's own recogniser, or `PrecomputedTranscripts` from a folder. Wrap any
/// of them in `CachedTranscriber` to transcribe each distinct audio only once.
///
/// Implementations must be safe to call from several threads at once.
public protocol Transcriber: Sendable {
  /// A stable name of the recogniser and its settings. It is part of the cache key, so two
  /// transcribers that can give different text must have different identifiers.
  var identifier: String { get }

  /// The words spoken in `request`.
  /// - Throws: `TranscriptionError`.
  func transcribe(_ request: TranscriptionRequest) throws -> String
}

/// A failure to obtain a transcript.
public struct TranscriptionError: Error, CustomStringConvertible, Sendable {
  /// The kind of failure.
  public enum Code: String, Sendable {
    /// The recogniser could not be started or loaded (missing model, bad command).
    case unavailable
    /// The recogniser refused the audio (wrong sample rate, NaN samples).
    case invalidAudio
    /// The external process broke the protocol or died.
    case protocolViolation
    /// No precomputed transcript exists for the item.
    case missingTranscript
  }

  /// What went wrong.
  public var code: Code
  /// Explanation with the fix where one is known.
  public var message: String

  /// Creates an error.
  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  /// One line: the message.
  public var description: String { message }
}
