public import Foundation

/// Transcripts computed beforehand and stored as text files, for users who run their own ASR
/// (for example the official wav2vec2-base-960h on a GPU machine) and score elsewhere.
///
/// Layout: `<folder>/reference/<id>.txt` for the clean speech and `<folder>/estimate/<id>.txt`
/// for the estimate (`score`). A leaderboard has one estimate folder per submission,
/// `<folder>/<submission name>/<id>.txt` (`estimateFolder`), so no submission is ever scored
/// with another's transcripts. A missing file is an error naming the path.
public struct PrecomputedTranscripts: Transcriber {
  /// The folder holding `reference/` and the estimate folders.
  public let folder: URL
  /// The subfolder of `folder` with the estimates' transcripts (`estimate`, or a submission's
  /// name on a leaderboard).
  public let estimateFolder: String

  /// Uses the transcripts under `folder`, the estimates' in `folder/estimateFolder`.
  public init(folder: URL, estimateFolder: String = "estimate") {
    self.folder = folder
    self.estimateFolder = estimateFolder
  }

  /// The folder with the estimates' transcripts.
  public var estimateURL: URL { folder.appendingPathComponent(estimateFolder, isDirectory: true) }

  /// `precomputed:<folder path>[/<estimate folder>]`.
  public var identifier: String {
    "precomputed:\(folder.standardizedFileURL.path)" + (estimateFolder == "estimate" ? "" : " [\(estimateFolder)]")
  }

  /// Reads `<folder>/<role>/<id>.txt`.
  public func transcribe(_ request: TranscriptionRequest) throws -> String {
    guard let id = request.itemID else {
      throw TranscriptionError(.missingTranscript, "precomputed transcripts need an item id")
    }
    let subfolder = request.role == .reference ? "reference" : estimateFolder
    let url = folder.appendingPathComponent(subfolder).appendingPathComponent("\(id).txt")
    guard let text = try? String(contentsOf: url, encoding: .utf8) else {
      throw TranscriptionError(
        .missingTranscript, "\(url.path): no transcript (expected one UTF-8 text file per item)")
    }
    return text.trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
