/// A challenge edition.
///
/// Editions differ in folder names, Task 2 scene length and (from L3DAS23) label coordinates.
public enum Edition: String, CaseIterable, Sendable, Codable {
  /// L3DAS21 (IEEE MLSP 2021): Zenodo archives `L3DAS_Task<N>_<set>`, 60 s Task 2 scenes.
  case l3das21 = "2021"
  /// L3DAS22 (ICASSP 2022): Kaggle folders `L3DAS22_Task<N>_<set>`, 30 s Task 2 scenes.
  case l3das22 = "2022"

  /// The prefix of split folder names: `L3DAS` (2021) or `L3DAS22`.
  public var folderPrefix: String {
    switch self {
    case .l3das21: "L3DAS"
    case .l3das22: "L3DAS22"
    }
  }

  /// Length of a Task 2 scene in seconds (60 for L3DAS21, 30 for L3DAS22).
  public var task2SceneSeconds: Double {
    switch self {
    case .l3das21: 60
    case .l3das22: 30
    }
  }

  /// Number of 100 ms label frames in a Task 2 scene (600 or 300).
  public var task2FrameCount: Int { Int((task2SceneSeconds * 10).rounded()) }

  /// The Task 2 matching distance of the edition's leaderboard, in metres (2.0 for
  /// L3DAS21/22; the official functions compare strictly below it).
  public var task2Threshold: Double {
    switch self {
    case .l3das21, .l3das22: 2.0
    }
  }

  /// A display name, e.g. `L3DAS22`.
  public var displayName: String { "L3DAS\(rawValue.suffix(2))" }
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
