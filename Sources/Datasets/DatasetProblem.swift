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
    /// A file in `labels/` (`label_<id>.csv`, or Task 1's `<id>.wav` / `<id>.txt`) whose
    /// recording `data/<id>_A.wav` does not exist.
    case orphanLabel
    /// A root of a labelled split (any split but test) has no `labels/` folder.
    case missingLabelsFolder
    /// A file in `data/` that is not `<id>_A.wav` or `<id>_B.wav` with a valid id.
    case unrecognizedFile
    /// A file or folder that exists but cannot be read or parsed.
    case unreadableFile
    /// The two microphone files of an item differ in rate, channels or length.
    case mismatchedPair
    /// No split folder could be recognised (`l3das verify`).
    case layout
    /// A microphone file without 4 channels, or clean speech that is not mono.
    case channelCount
    /// A file whose sample rate is not the task's.
    case sampleRate
    /// Files of one item with different lengths.
    case lengthMismatch
    /// An empty or non-UTF-8 transcript.
    case transcript
    /// A Task 2 label file that does not parse (unknown class, bad number, …).
    case labelFile
    /// A Task 2 position outside the room's label box.
    case coordinateOutOfRange
    /// A split whose item count differs from the published one.
    case itemCount
    /// NaN or infinite samples (`l3das verify --deep`).
    case nonFiniteSamples
    /// L3DAS23: an item without an image in `audio_image.csv`, a missing or unreadable image,
    /// or an image that is not 512 × 512.
    case image
  }

  /// The kind of problem.
  public var kind: Kind
  /// The file or folder concerned.
  public var path: String
  /// The 1-based line, for problems inside a text file (label CSVs).
  public var line: Int?
  /// What is wrong, in words.
  public var message: String

  /// Creates a problem.
  public init(_ kind: Kind, _ message: String, path: String, line: Int? = nil) {
    self.kind = kind
    self.message = message
    self.path = path
    self.line = line
  }

  /// `path:line: message` or `path: message`.
  public var description: String {
    line.map { "\(path):\($0): \(message)" } ?? "\(path): \(message)"
  }
}
