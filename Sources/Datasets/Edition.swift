import Foundation

/// A challenge edition.
///
/// Editions differ in folder names, Task 2 scene length and (from L3DAS23) label coordinates.
public enum Edition: String, CaseIterable, Sendable, Codable {
  /// L3DAS21 (IEEE MLSP 2021): Zenodo archives `L3DAS_Task<N>_<set>`, 60 s Task 2 scenes.
  case l3das21 = "2021"
  /// L3DAS22 (ICASSP 2022): Kaggle folders `L3DAS22_Task<N>_<set>`, 30 s Task 2 scenes.
  case l3das22 = "2022"
  /// L3DAS23 (ICASSP 2023): Kaggle folders `L3DAS23_Task<N>_<set>` (`train_100`,
  /// `train_360_part1`), 30 s Task 2 scenes, cylindrical (ρ, θ°, z) labels, images.
  case l3das23 = "2023"

  /// The prefix of split folder names: `L3DAS` (2021), `L3DAS22` or `L3DAS23`.
  public var folderPrefix: String {
    switch self {
    case .l3das21: "L3DAS"
    case .l3das22: "L3DAS22"
    case .l3das23: "L3DAS23"
    }
  }

  /// Length of a Task 2 scene in seconds (60 for L3DAS21, 30 for L3DAS22).
  public var task2SceneSeconds: Double {
    switch self {
    case .l3das21: 60
    case .l3das22, .l3das23: 30
    }
  }

  /// Number of 100 ms label frames in a Task 2 scene (600 or 300).
  public var task2FrameCount: Int { Int((task2SceneSeconds * 10).rounded()) }

  /// The Task 2 matching distance of the edition's leaderboard, in metres (2.0 for
  /// L3DAS21/22, 1.75 for L3DAS23; the official functions compare strictly below it).
  public var task2Threshold: Double {
    switch self {
    case .l3das21, .l3das22: 2.0
    case .l3das23: 1.75
    }
  }

  /// The largest plausible |x|, |y|, |z| (2021, 2022: rooms about 6 × 5 × 3 m) or |ρ|, |z|
  /// (2023: houses, sources on cylinders up to about 5 m) of a Task 2 row, in metres.
  public var task2CoordinateLimit: Double {
    switch self {
    case .l3das21, .l3das22: 5
    case .l3das23: 20
    }
  }

  /// How Task 2 labels and submission rows give positions: Cartesian x, y, z (2021, 2022)
  /// or cylindrical ρ, θ in degrees, z (2023).
  public var coordinates: CoordinateSystem {
    switch self {
    case .l3das21, .l3das22: .cartesian
    case .l3das23: .cylindrical
    }
  }

  /// What the official baselines divide the label coordinates by in the training target
  /// (and multiply the network's output by): 2 for x, y, z; 360 for ρ, θ and z.
  public var task2LabelScale: Double {
    switch self {
    case .l3das21, .l3das22: 2
    case .l3das23: 360
    }
  }

  /// A display name, e.g. `L3DAS22`.
  public var displayName: String { "L3DAS\(rawValue.suffix(2))" }
}

/// How a Task 2 position is written in label files and submission rows.
///
/// Internally every position is Cartesian (metres from mic A: x, y, z); cylindrical values
/// are converted as the official L3DAS23 metric does: x = −ρ·sin θ, y = ρ·cos θ, z = z, θ in
/// degrees (so θ = 0 is +y and +90° is −x; any θ, wrap-around included, is fine).
public enum CoordinateSystem: String, Sendable, Codable, CaseIterable {
  /// `x, y, z` in metres (L3DAS21, L3DAS22).
  case cartesian
  /// `rho, theta, z`: ρ and z in metres, θ in degrees (L3DAS23).
  case cylindrical

  /// The three column names (`X,Y,Z` or `rho,theta,z`), as in the label files' header.
  public var labelColumns: [String] {
    switch self {
    case .cartesian: ["X", "Y", "Z"]
    case .cylindrical: ["rho", "theta", "z"]
    }
  }

  /// The Cartesian position of written coordinates `(a, b, c)`.
  public func cartesian(_ a: Double, _ b: Double, _ c: Double) -> SIMD3<Double> {
    switch self {
    case .cartesian: return SIMD3(a, b, c)
    case .cylindrical:
      let theta = a.isFinite && b.isFinite ? b * .pi / 180 : .nan
      return SIMD3(-a * sin(theta), a * cos(theta), c)
    }
  }

  /// The written coordinates of a Cartesian position (θ in (−180°, 180°], ρ ≥ 0).
  public func written(_ position: SIMD3<Double>) -> SIMD3<Double> {
    switch self {
    case .cartesian: return position
    case .cylindrical:
      let rho = (position.x * position.x + position.y * position.y).squareRoot()
      let theta = rho == 0 ? 0 : atan2(-position.x, position.y) * 180 / .pi
      return SIMD3(rho, theta, position.z)
    }
  }
}

/// A challenge task.
public enum Task: Int, CaseIterable, Sendable, Codable {
  /// Task 1: 3D speech enhancement (16 kHz; clean target and transcript per item).
  case speechEnhancement = 1
  /// Task 2: 3D sound event localisation and detection (32 kHz; event labels per scene).
  case soundEventLocalizationDetection = 2

  /// The sample rate of the task's audio, in Hz.
  public var sampleRate: Int {
    switch self {
    case .speechEnhancement: 16_000
    case .soundEventLocalizationDetection: 32_000
    }
  }

  /// The splits the task has.
  public var splits: [Split] {
    switch self {
    case .speechEnhancement: [.train100, .train360, .dev, .test]
    case .soundEventLocalizationDetection: [.train, .dev, .test]
    }
  }
}

/// A dataset split.
///
/// Task 1 has train100, train360, dev, test; Task 2 has train, dev, test.
public enum Split: String, CaseIterable, Sendable, Codable {
  /// Task 1 training set with 100 hours of LibriSpeech speech.
  case train100
  /// Task 1 training set with 360 hours of LibriSpeech speech.
  case train360
  /// Task 2 training set.
  case train
  /// Development (validation) set.
  case dev
  /// Evaluation set.
  case test

  /// The split's folder name for `task` in `edition`, e.g. `L3DAS22_Task1_train100`.
  public func folderName(task: Task, edition: Edition) -> String {
    "\(edition.folderPrefix)_Task\(task.rawValue)_\(rawValue)"
  }
}
