public import AudioIO
public import Foundation

/// One Task 1 utterance: its two noisy mixtures, clean target and transcript.
///
/// Holds only URLs; nothing is read until a `load…` method is called.
public struct Task1Item: Hashable, Sendable {
  /// The utterance id.
  public var id: Task1RecordingID
  /// The mic-A mixture, `data/<id>_A.wav`.
  public var micA: URL
  /// The mic-B mixture, `data/<id>_B.wav`.
  public var micB: URL
  /// The clean mono target speech, `labels/<id>.wav`.
  public var clean: URL
  /// The transcript, `labels/<id>.txt`.
  public var transcript: URL

  /// The item `id` in `root` (the folder holding `data/` and `labels/`).
  public init(id: Task1RecordingID, root: URL) {
    let data = root.appendingPathComponent("data", isDirectory: true)
    let labels = root.appendingPathComponent("labels", isDirectory: true)
    self.id = id
    micA = data.appendingPathComponent(id.audioFileName(.a))
    micB = data.appendingPathComponent(id.audioFileName(.b))
    clean = labels.appendingPathComponent(id.cleanFileName)
    transcript = labels.appendingPathComponent(id.transcriptFileName)
  }

  /// Reads both mixtures (optionally only `frames`) as one 8-channel recording, mic A first.
  ///
  /// - Throws: `AudioIOError` if a file is missing or unreadable, or the two differ.
  public func loadRecording(frames: Range<Int>? = nil) throws -> AmbisonicRecording {
    try AmbisonicRecording.load(micA: micA, micB: micB, frames: frames, expectedChannelCount: nil)
  }

  /// Reads the clean target speech.
  ///
  /// - Throws: `AudioIOError` if the file is missing or unreadable.
  public func loadClean() throws -> AudioBuffer { try AudioFile.read(clean) }

  /// Reads the transcript, without leading and trailing white space and line breaks.
  ///
  /// - Throws: `DatasetError` `.missingFile` if it does not exist, `.readFailed` if it cannot
  ///   be read as UTF-8.
  public func loadTranscript() throws -> String {
    try TextFile.read(transcript, missingCode: .missingFile)
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
