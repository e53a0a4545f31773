/// One thing wrong (or suspicious) in a submission, with where it is and how to fix it.
///
/// `description` is one line in the compiler style that editors and CI logs link to:
/// `task2/split5_ov1_3.csv:14: error: frame 300 is out of range … (fix: …)`.
public struct SubmissionProblem: Sendable, Equatable, Codable, CustomStringConvertible {
  /// Whether the problem makes the submission invalid.
  public enum Severity: String, Sendable, Codable, Comparable {
    /// Suspicious but valid: the official scorer accepts it.
    case warning
    /// Invalid: the official validator or scorer rejects it, or scores it wrongly.
    case error

    public static func < (lhs: Severity, rhs: Severity) -> Bool {
      lhs == .warning && rhs == .error
    }
  }

  /// The kind of problem; a closed set that scripts can switch over (`--json` prints it).
  public enum Kind: String, Sendable, Codable, CaseIterable {
    // The submission as a whole.
    /// The submission folder or archive cannot be read (corrupt zip, unreadable folder).
    case unreadableSubmission
    /// An archive entry with an absolute path, a `..` component or a symbolic link.
    case unsafeArchiveEntry
    /// A file or folder that is not a `.npy` (Task 1) / `.csv` (Task 2) item.
    case unexpectedFile
    /// A test item has no file in the submission.
    case missingItem
    /// A submitted file's name matches no test item.
    case unexpectedItem
    /// Two files in the submission are for the same test item.
    case duplicateItem
    /// A submitted file cannot be read.
    case unreadableFile

    // Task 1 (`.npy`).
    /// Not a plain numeric `.npy` array (wrong magic, pickle, malformed header, truncated …).
    case invalidNumPy
    /// The array's dtype is not a float type.
    case notFloat
    /// The array is not mono audio: `(4, N)`, `(N, 1)`, 3-D …
    case notMono
    /// The array's length differs from the sample count of the test item's `_A.wav`.
    case wrongLength
    /// The array holds NaN or infinite values.
    case nonFinite
    /// Every sample is zero.
    case silent

    // Task 2 (`.csv`).
    /// The file is not UTF-8 text, or too large to be a detection file.
    case notText
    /// The first line is a header; detection CSVs have none.
    case headerRow
    /// A row does not have five fields.
    case wrongFieldCount
    /// A frame field is not a whole number ≥ 0.
    case invalidFrame
    /// A frame index is not below the scene's frame count.
    case frameOutOfRange
    /// A class field is neither an official class name nor an id 0–13.
    case unknownClass
    /// A coordinate is not a finite number.
    case invalidCoordinate
    /// A coordinate lies outside the plausible box around the microphone.
    case coordinateOutOfRange
    /// More than three rows of one class in one frame.
    case tooManyInstances
    /// The same row twice.
    case duplicateRow
    /// Class names in some files, class ids in others.
    case mixedClassSpelling
    /// Every coordinate is small, as if the network's normalised output was not scaled by 2.
    case normalisedCoordinates
    /// L3DAS23: a negative ρ (scored by the official conversion, but not a distance).
    case negativeRho
    /// L3DAS23: every θ within ±2π, as if written in radians instead of degrees.
    case radians
    /// L3DAS23: the archive's name, size or subtrack folders break the submission rules.
    case l3das23Layout

    /// More problems of one kind in one file than are listed.
    case moreProblems
  }

  /// Error or warning.
  public var severity: Severity
  /// What kind of problem.
  public var kind: Kind
  /// The file, relative to the submission root (`nil` for the submission as a whole).
  public var file: String?
  /// The 1-based line in `file` (Task 2 CSVs), if any.
  public var line: Int?
  /// What is wrong: the expected and the found value.
  public var message: String
  /// How to fix it.
  public var hint: String?

  /// Creates a problem.
  public init(
    _ severity: Severity, _ kind: Kind, file: String? = nil, line: Int? = nil, _ message: String,
    hint: String? = nil
  ) {
    self.severity = severity
    self.kind = kind
    self.file = file
    self.line = line
    self.message = message
    self.hint = hint
  }

  /// `file:line: error: message (fix: hint)`.
  public var description: String {
    var location = ""
    if let file {
      location = file + (line.map { ":\($0)" } ?? "") + ": "
    }
    return location + "\(severity.rawValue): \(message)" + (hint.map { " (fix: \($0))" } ?? "")
  }
}

extension SubmissionProblem.Kind {
  /// The kind in words, for summaries ("rows with the wrong number of fields").
  public var phrase: String {
    switch self {
    case .unreadableSubmission: "unreadable submissions"
    case .unsafeArchiveEntry: "unsafe archive entries"
    case .unexpectedFile: "unexpected files"
    case .missingItem: "missing items"
    case .unexpectedItem: "files for no test item"
    case .duplicateItem: "files for one test item"
    case .unreadableFile: "unreadable files"
    case .invalidNumPy: "files that are not plain .npy arrays"
    case .notFloat: "arrays of a non-float type"
    case .notMono: "arrays that are not mono"
    case .wrongLength: "arrays of the wrong length"
    case .nonFinite: "non-finite samples"
    case .silent: "silent estimates"
    case .notText: "files that are not text"
    case .headerRow: "header rows"
    case .wrongFieldCount: "rows with the wrong number of fields"
    case .invalidFrame: "invalid frame numbers"
    case .frameOutOfRange: "frames outside the scene"
    case .unknownClass: "unknown classes"
    case .invalidCoordinate: "invalid coordinates"
    case .coordinateOutOfRange: "coordinates outside the box"
    case .tooManyInstances: "frames with more than 3 rows of a class"
    case .duplicateRow: "repeated rows"
    case .mixedClassSpelling: "mixed class spellings"
    case .normalisedCoordinates: "normalised coordinates"
    case .negativeRho: "negative rho"
    case .radians: "theta in radians"
    case .l3das23Layout: "L3DAS23 layout problems"
    case .moreProblems: "further problems"
    default: rawValue
    }
  }
}
