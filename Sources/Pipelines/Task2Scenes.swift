import AudioIO
public import Datasets
public import Foundation
import Metrics

/// How long the scenes of a Task 2 truth are, decided from the truth itself, so that `score`,
/// `leaderboard` and `predict` never count with another edition's frames silently (a 60-s
/// L3DAS21 split scored with 300 frames loses half of every scene).
///
/// Evidence, strongest first: the length of the first scene's audio (as `validate` uses), then
/// the edition named by the split folder (`L3DAS_…` is L3DAS21, `L3DAS22_…` L3DAS22, `L3DAS23_…`
/// L3DAS23) or by its label header (`rho,theta,z` is L3DAS23). A truth
/// folder of frame-row CSVs has neither; then the options decide (default: L3DAS22's 300).
/// An `--edition` or `--frames` that contradicts the evidence is an error naming both.
public struct Task2Scenes: Sendable, Equatable {
  /// The edition counted with (its official matching and threshold apply).
  public var edition: Edition
  /// Label frames per scene.
  public var frameCount: Int
  /// Where `frameCount` came from, for reports ("the truth's audio: 60.0 s").
  public var source: String

  /// Decides the scenes of `truth`.
  ///
  /// - Parameters:
  ///   - truth: a Task 2 split, or a folder of `<item>.csv` frame rows.
  ///   - edition: `--edition`, if given.
  ///   - frames: `--frames`, if given.
  /// - Throws: `ScoringError.invalidFile` when an option contradicts the truth.
  public static func detect(truth: URL, edition: Edition?, frames: Int?) throws -> Task2Scenes {
    var folderEdition = (try? SplitLocation(folder: truth))?.edition
    var audioFrames: Int?
    var audioSeconds = 0.0
    if let roots = try? SplitLocation.dataRoots(in: truth),
      let first = Task2Items(roots: roots).first(where: { _ in true })
    {
      if let info = try? AudioFile.info(at: first.micA), info.sampleRate > 0 {
        audioSeconds = Double(info.frameCount) / Double(info.sampleRate)
        audioFrames = max(1, Int((audioSeconds / Task2Rows.frameSeconds).rounded()))
      }
      // A label header of rho, theta, z is L3DAS23's (30 s audio alone cannot tell 2022 from 2023).
      if folderEdition == nil, let events = try? first.loadLabels(),
        events.contains(where: { $0.cylindrical != nil })
      {
        folderEdition = .l3das23
      }
    }
    if let edition, let folderEdition, edition != folderEdition {
      throw ScoringError(
        .invalidFile,
        "\(truth.path) is an \(folderEdition.displayName) split (its folder name or label header), but --edition \(edition.rawValue) was given; drop --edition or score the right split")
    }
    if let frames, let audioFrames, frames != audioFrames {
      throw ScoringError(
        .invalidFile,
        "the truth's scenes last \(String(format: "%.1f", audioSeconds)) s, \(audioFrames) label frames, but --frames \(frames) was given; drop --frames")
    }
    if frames == nil, let edition, let audioFrames, edition.task2FrameCount != audioFrames {
      throw ScoringError(
        .invalidFile,
        "the truth's scenes last \(String(format: "%.1f", audioSeconds)) s (\(audioFrames) frames), but --edition \(edition.rawValue) has \(edition.task2FrameCount)-frame scenes; drop --edition (or give --frames \(audioFrames))")
    }
    let chosenEdition =
      edition ?? folderEdition ?? Edition.allCases.first { $0.task2FrameCount == (frames ?? audioFrames) }
      ?? .l3das22
    if let frames {
      return Task2Scenes(edition: chosenEdition, frameCount: frames, source: "--frames")
    }
    if let audioFrames {
      return Task2Scenes(
        edition: chosenEdition, frameCount: audioFrames,
        source: "the truth's audio (\(String(format: "%.1f", audioSeconds)) s)")
    }
    if let folderEdition {
      return Task2Scenes(edition: chosenEdition, frameCount: folderEdition.task2FrameCount, source: "the split's name (\(folderEdition.displayName))")
    }
    return Task2Scenes(
      edition: chosenEdition, frameCount: chosenEdition.task2FrameCount,
      source: edition != nil ? "--edition" : "the default edition (\(chosenEdition.displayName); give --edition or --frames for another)")
  }
}
