import AudioIO
import Datasets
import Features
import Foundation

extension Preprocessing {
  /// Loads one item and computes its arrays; shared read-only by all workers.
  struct ItemTransform: Sendable {
    let configuration: PreprocessConfiguration
    let labelled: Bool
    let spectrum: SELDnetSpectrum
    let labels: Task2LabelMatrix

    init(configuration: PreprocessConfiguration, labelled: Bool) throws {
      self.configuration = configuration
      self.labelled = labelled
      spectrum = try SELDnetSpectrum(includesPhase: configuration.includesPhase)
      labels = configuration.labelMatrix
    }

    /// The item's mixture: mic A (4 channels) or mic A then mic B (8).
    func loadMixture(_ job: Preprocessing.Job) throws -> AudioBuffer {
      let audio =
        configuration.microphones == 2
        ? try AmbisonicRecording.load(
          micA: job.micA, micB: job.micB, frames: nil, expectedChannelCount: nil
        ).audio
        : try AudioFile.read(job.micA)
      let rate = configuration.task.sampleRate
      guard audio.sampleRate == rate else {
        throw FeatureError(
          .unsupportedAudio,
          "expected \(rate) Hz audio for Task \(configuration.task.rawValue), found \(audio.sampleRate) Hz",
          path: job.micA.path)
      }
      return audio
    }

    /// `[channels, samples]`.
    func tensor(_ audio: AudioBuffer) -> FeatureTensor {
      FeatureTensor(shape: [audio.channelCount, audio.frameCount], values: audio.samples)
    }

    /// Loads `job` and computes its rows.
    /// - Throws: `AudioIOError`, `DatasetError` or `FeatureError` naming the file.
    func arrays(for job: Preprocessing.Job) throws -> Preprocessing.ItemArrays {
      let audio = try loadMixture(job)
      let mixture = tensor(audio)
      switch configuration.task {
      case .speechEnhancement:
        let clean = labelled ? try tensor(AudioFile.read(job.target)) : nil
        let n = configuration.task1Segmenting.length
        switch configuration.task1Segmenting.mode {
        case .fixedLength:
          return .init(
            predictors: [Segmenting.fixedLength(mixture, length: n)],
            targets: clean.map { [Segmenting.fixedLength($0, length: n)] })
        case .chunks:
          // As segment_waveforms: the target is cut at the mixture's cut points.
          let starts = Array(stride(from: 0, to: audio.frameCount, by: n))
          return .init(
            predictors: starts.map { Segmenting.piece(of: mixture, start: $0, length: n) },
            targets: clean.map { c in starts.map { Segmenting.piece(of: c, start: $0, length: n) } }
          )
        }
      case .soundEventLocalizationDetection:
        let expected = Int((configuration.sceneSeconds * Double(audio.sampleRate)).rounded())
        guard abs(audio.frameCount - expected) <= audio.sampleRate / 10 else {
          throw FeatureError(
            .unsupportedAudio,
            "expected a \(configuration.sceneSeconds) s scene (\(expected) samples), found \(audio.frameCount) samples; set the scene length to match",
            path: job.micA.path)
        }
        let fitted =
          audio.frameCount == expected
          ? audio
          : AudioBuffer(
            planarSamples: Segmenting.fixedLength(mixture, length: expected).values,
            channelCount: audio.channelCount, sampleRate: audio.sampleRate)
        let features = spectrum.features(of: fitted)
        let target =
          labelled
          ? try labels.matrix(for: try Task2Labels.read(job.target), path: job.target.path) : nil
        return .init(predictors: [features], targets: target.map { [$0] })
      }
    }
  }
}
