public import Foundation

/// Transcripts computed beforehand and stored as text files, for users who run their own ASR
/// (for example the official wav2vec2-base-960h on a GPU machine) and score elsewhere.
///
/// Layout: `<folder>/reference/<id>.txt` for the clean speech and `<folder>/estimate/<id>.txt`
/// for the estimate. A missing file is an error naming the path.
public struct PrecomputedTranscripts: Transcriber {
  /// The folder holding `reference/` and `estimate/`.
  public let folder: URL

  /// Uses the transcripts under `folder`.
  public init(folder: URL) { self.folder = folder }

  /// `precomputed:<folder path>`.
  public var identifier: String { "precomputed:\(folder.standardizedFileURL.path)" }

  /// Reads `<folder>/<role>/<id>.txt`.
  public func transcribe(_ request: TranscriptionRequest) throws -> String {
    guard let id = request.itemID else {
      throw TranscriptionError(.missingTranscript, "precomputed transcripts need an item id")
    }
    let url = folder.appendingPathComponent(request.role.rawValue).appendingPathComponent("\(id).txt")
    guard let text = try? String(contentsOf: url, encoding: .utf8) else {
      throw TranscriptionError(
        .missingTranscript, "\(url.path): no transcript (expected one UTF-8 text file per item)")
    }
    return text.trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
