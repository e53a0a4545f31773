/// The record of a preprocessed split: `manifest.json` in the output folder.
///
/// Every shard is a pair of NumPy files, `shard-<k>.predictors.npy` (`[rows, …]` float32) and,
/// for labelled splits, `shard-<k>.targets.npy` (`[rows, …]`), plus its own record
/// `shard-<k>.json`, written last, which marks the shard complete for resumption. Each item
/// occupies `rowCount` consecutive rows from `firstRow` (several for Task 1 chunks).
///
/// ```python
/// m = json.load(open("manifest.json"))
/// x = np.load(m["shards"][0]["predictors"])     # e.g. (8, 4, 256, 2400)
/// ```
public struct PreprocessManifest: Sendable, Codable, Equatable {
  /// One item's rows in a shard.
  public struct Entry: Sendable, Codable, Equatable {
    /// The recording id (`split4_ov1_3`, `1089-134686-0000`).
    public var id: String
    /// Its first row in the shard's arrays.
    public var firstRow: Int
    /// Its number of rows.
    public var rowCount: Int
    /// L3DAS23: the item's image (a 512 × 512 PNG of the task's images folder), from the
    /// split's `audio_image.csv`; `nil` for other editions or an unpaired item.
    public var image: String? = nil
  }

  /// One shard.
  public struct Shard: Sendable, Codable, Equatable {
    /// The shard number.
    public var index: Int
    /// Every item assigned to the shard, in order (including skipped ones).
    public var assignedIDs: [String]
    /// The predictors file name (`nil` when every item of the shard was skipped).
    public var predictors: String?
    /// The targets file name (`nil` for unlabelled splits).
    public var targets: String?
    /// Shape of the predictors array.
    public var predictorShape: [Int]?
    /// Shape of the targets array.
    public var targetShape: [Int]?
    /// The items stored, in row order.
    public var entries: [Entry]
    /// Items skipped with their reason.
    public var problems: [PreprocessProblem]
    /// The configuration the shard was computed with.
    public var configuration: PreprocessConfiguration
    /// The identity of the shard's input files (`FileFingerprint` of every item's files, in
    /// order): a later run reuses the shard only if its inputs still have this identity.
    public var inputFingerprint: String?
    /// The byte size of each array file, checked (with the `.npy` header) before reuse.
    public var arrayByteCounts: [String: Int]?
  }

  /// Format version of this manifest (1).
  public var formatVersion = 1
  /// The split's folder name, such as `L3DAS22_Task2_dev`.
  public var split: String
  /// The configuration.
  public var configuration: PreprocessConfiguration
  /// Every shard, in order.
  public var shards: [Shard]

  /// Items stored.
  public var itemCount: Int { shards.reduce(0) { $0 + $1.entries.count } }
  /// Rows stored (Task 1 chunks count separately).
  public var rowCount: Int { shards.reduce(0) { $0 + $1.entries.reduce(0) { $0 + $1.rowCount } } }
  /// Every skipped item.
  public var problems: [PreprocessProblem] { shards.flatMap(\.problems) }
}

/// An item that was skipped, and why.
public struct PreprocessProblem: Sendable, Codable, Equatable, CustomStringConvertible {
  /// The recording id.
  public var id: String
  /// The error, naming the file.
  public var message: String

  /// One line: id and message.
  public var description: String { "\(id): \(message)" }
}

/// The outcome of `Preprocessing.run`.
public struct PreprocessReport: Sendable, Codable, Equatable {
  /// The manifest written.
  public var manifest: PreprocessManifest
  /// Where it was written.
  public var manifestPath: String
  /// Shards computed by this run.
  public var computedShards: Int
  /// Shards reused from an earlier run.
  public var resumedShards: Int
  /// Items stored (`manifest.itemCount`).
  public var itemCount: Int
  /// Rows stored (`manifest.rowCount`).
  public var rowCount: Int
  /// Label files ignored because their recording is missing, then the items skipped
  /// (`manifest.problems`).
  public var problems: [PreprocessProblem]
}

/// What `l3das preprocess --shard K/N` writes instead of the manifest:
/// `manifest.shard-K-of-N.json`, the manifest of its own output shards.
public struct PreprocessShardManifest: Sendable, Codable, Equatable {
  /// Which part of the run this is.
  public var shard: Shard
  /// How many output shards the whole run has.
  public var outputShardCount: Int
  /// The manifest of this part's output shards.
  public var manifest: PreprocessManifest

  /// Creates a partial manifest.
  public init(shard: Shard, outputShardCount: Int, manifest: PreprocessManifest) {
    self.shard = shard
    self.outputShardCount = outputShardCount
    self.manifest = manifest
  }
}
