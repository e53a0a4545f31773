/// Something wrong with the files of a split.
///
/// Found by `SplitLocation.check()` and `DatasetSummary.summarize(root:progress:)`. Problems
/// are findings, not errors: a split
/// with problems can still be enumerated, and items whose files are missing fail only when
/// loaded.
public struct DatasetProblem: Hashable, Sendable, Codable, CustomStringConvertible {
  /// The kind of problem.
  public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
    /// `<id>_A.wav` without `<id>_B.wav`, or the reverse.
    case missingPartner
    /// A Task 2 item without `labels/label_<id>.csv`.
    case missingLabel
    /// A Task 1 item without its clean speech `labels/<id>.wav`.
    case missingCleanSpeech
    /// A Task 1 item without its transcript `labels/<id>.txt`.
    case missingTranscript
    /// A root of a labelled split (any split but test) has no `labels/` folder.
    case missingLabelsFolder
    /// A file in `data/` that is not `<id>_A.wav` or `<id>_B.wav` with a valid id.
    case unrecognizedFile
    /// A file or folder that exists but cannot be read or parsed.
    case unreadableFile
    /// The two microphone files of an item differ in rate, channels or length.
    case mismatchedPair
  }

  /// The kind of problem.
  public var kind: Kind
  /// The file or folder concerned.
  public var path: String
  /// What is wrong, in words.
  public var message: String

  /// Creates a problem.
  public init(_ kind: Kind, _ message: String, path: String) {
    self.kind = kind
    self.message = message
    self.path = path
  }

  /// `path: message`.
  public var description: String { "\(path): \(message)" }
}
