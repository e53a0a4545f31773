public import Datasets
public import Features

/// What `Preprocessing.run` computes for each item; saved in every shard record and the
/// manifest, so a resumed run only reuses shards computed with the same configuration.
///
/// Defaults (`baseline(task:edition:microphones:)`) are the official baselines':
/// - Task 1, L3DAS21: mixtures and clean speech cut into consecutive 2 s pieces
///   (32 000 samples), the last zero-padded (`--segmentation_len 2`).
/// - Task 1, L3DAS22: every file truncated or zero-padded to 76 672 samples (4.792 s).
/// - Task 2: SELDnet spectrum features `[4·mics, 256, frames]` of the whole scene and the
///   official label matrix `[frames/8, 168]` (no segmentation, as the baseline).
public struct PreprocessConfiguration: Sendable, Codable, Equatable {
  /// How Task 1 audio is cut.
  public struct Task1Segmenting: Sendable, Codable, Equatable {
    /// The two ways.
    public enum Mode: String, Sendable, Codable, CaseIterable {
      /// Truncate or zero-pad every file to `length` samples (one row per item).
      case fixedLength
      /// Consecutive pieces of `length` samples, the last zero-padded (several rows per item).
      case chunks
    }

    /// The way audio is cut.
    public var mode: Mode
    /// Samples per row.
    public var length: Int

    /// Every file truncated or zero-padded to `length` samples.
    public static func fixedLength(_ length: Int) -> Task1Segmenting {
      .init(mode: .fixedLength, length: length)
    }
    /// Consecutive pieces of `length` samples.
    public static func chunks(_ length: Int) -> Task1Segmenting {
      .init(mode: .chunks, length: length)
    }
  }

  /// Task 2 input features.
  public enum Task2Features: String, Sendable, Codable, CaseIterable {
    /// The official SELDnet input: |STFT| (scipy, Hamming 512/112), DC bin and last frame cut,
    /// `[4·mics (×2 with phase), 256, 8·labelFrames]`.
    case spectrum
    /// Log-mel power per channel (64 bands, Hann 1024, hop 400), `[4·mics, 64, 8·labelFrames]`.
    case logmel
    /// The DCASE FOA input: log-mel of every channel, then the mel-band intensity vectors
    /// (Y, Z, X per mic), `[7·mics, 64, 8·labelFrames]`.
    case logmelIntensity = "logmel-intensity"
  }

  /// The task (1 or 2).
  public var task: Task
  /// 1 (mic A, 4 channels) or 2 (mic A then mic B, 8 channels).
  public var microphones: Int
  /// Items per shard: a shard is computed in parallel, held in memory and written at once.
  public var itemsPerShard: Int
  /// Task 1: how audio is cut.
  public var task1Segmenting: Task1Segmenting
  /// Task 2: the scene length in seconds; audio within 0.1 s of it is zero-padded or cut to
  /// it, other lengths are reported as problems.
  public var sceneSeconds: Double
  /// Task 2: append phase channels to the spectrum (`--output_phase`).
  public var includesPhase: Bool
  /// Task 2: which features (default: the official spectrum).
  public var task2Features: Task2Features = .spectrum
  /// Task 2: the label coordinates (`nil`: x, y, z; L3DAS23: `.cylindrical` ρ, θ°, z).
  public var task2Coordinates: CoordinateSystem?
  /// Task 2: the label coordinates are divided by this (`nil`: 2; L3DAS23's official 360).
  public var task2LabelScale: Double?

  /// Creates a configuration.
  public init(
    task: Task, microphones: Int, itemsPerShard: Int = 8, task1Segmenting: Task1Segmenting,
    sceneSeconds: Double, includesPhase: Bool = false
  ) {
    self.task = task
    self.microphones = microphones
    self.itemsPerShard = itemsPerShard
    self.task1Segmenting = task1Segmenting
    self.sceneSeconds = sceneSeconds
    self.includesPhase = includesPhase
  }

  /// The official baseline's preprocessing for `task` in `edition`.
  public static func baseline(task: Task, edition: Edition, microphones: Int = 1)
    -> PreprocessConfiguration
  {
    var configuration = PreprocessConfiguration(
      task: task, microphones: microphones,
      task1Segmenting: edition == .l3das21 ? .chunks(32_000) : .fixedLength(76_672),
      sceneSeconds: edition.task2SceneSeconds)
    if edition.coordinates != .cartesian {
      configuration.task2Coordinates = edition.coordinates
      configuration.task2LabelScale = edition.task2LabelScale
    }
    return configuration
  }

  /// The Task 2 label matrix for scenes of `sceneSeconds`, in the edition's coordinates and
  /// scale (x, y, z / 2; L3DAS23: ρ, θ°, z / 360).
  public var labelMatrix: Task2LabelMatrix {
    Task2LabelMatrix(
      configuration: .init(
        durationSeconds: sceneSeconds, maximumLocation: task2LabelScale ?? 2, coordinates: task2Coordinates))
  }
}
