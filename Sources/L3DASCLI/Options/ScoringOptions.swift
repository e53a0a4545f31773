import ArgumentParser
import Datasets
import Foundation
import Metrics
import Pipelines

/// The Task 2 scoring options shared by `score` and `leaderboard`.
struct Task2ScoringOptions: ParsableArguments {
  @Option(help: "Task 2: a prediction matches a truth of its class when closer than this, in metres (default: the edition's: 2.0, or 1.75 for 2023).")
  var threshold: Double?

  @Option(help: "Task 2: official (the L3DAS22 count), l3das21 (the L3DAS21 count) or one-to-one (maximum matching); default: the edition's.")
  var matching: LocationSensitiveDetection.Matching?

  @Option(help: "Task 2: label frames per file (default: from the truth's audio, else its edition; a contradiction is an error).")
  var frames: Int?

  @Option(help: "Task 2: edition of the truth: 2022 (30 s scenes), 2021 (60 s) or 2023 (30 s, rows frame,class,rho,theta,z) (default: from the truth's folder name, label header and audio).")
  var edition: Edition?

  @Option(help: "Task 2: the extra DCASE-style report follows the DCASE 2021 or the DCASE 2022/2023 SELD metric code.")
  var dcase: DCASEStyleSELD.Rules = .dcase2021

  @Option(help: "Task 2: with --dcase 2022, macro (class-wise, DCASE's default) or micro averaging.")
  var dcaseAverage: DCASEStyleSELD.Averaging?

  func validate() throws {
    try Limits.check(threshold, "--threshold", in: 1e-6...Limits.maxThreshold, unit: "metres")
    try Limits.check(frames, "--frames", in: 1...Limits.maxFrames)
    if dcase == .dcase2021 && dcaseAverage == .macro {
      throw ValidationError("--dcase-average macro needs --dcase 2022: DCASE 2021 has only the micro average")
    }
  }

  /// The options for `truth`: the scenes and the edition's defaults decided from the truth
  /// (`Task2Scenes`), then what was given.
  func options(truth: URL) throws -> (Task2Scoring.Options, Task2Scenes) {
    let scenes = try Task2Scenes.detect(truth: truth, edition: edition, frames: frames)
    var options = Task2Scoring.Options(
      threshold: threshold ?? scenes.edition.task2Threshold,
      matching: matching ?? scenes.edition.officialMatching, frameCount: scenes.frameCount,
      dcase: DCASEStyleSELD.Variant(rules: dcase, averaging: dcaseAverage))
    options.coordinates = scenes.edition.coordinates
    options.coordinateLimit = scenes.edition.task2CoordinateLimit
    return (options, scenes)
  }
}

/// The Task 1 aggregation options shared by `score` and `leaderboard`.
struct Task1AggregateOptions: ParsableArguments {
  @Option(help: "Task 1: empty clean transcript: skip (the challenge, jiwer 2.x) or count-insertions (jiwer >= 4).")
  var emptyReference: EmptyReferencePolicy = .skip

  @Flag(help: "Task 1: report the value the official scripts print (their running mean counts skipped items; docs/metrics.md) instead of the correct mean.")
  var officialRunningMean = false
}
