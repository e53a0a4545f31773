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
    let logMel: LogMelSpectrogram?
    let intensity: IntensityVectors?
    let labels: Task2LabelMatrix

    init(configuration: PreprocessConfiguration, labelled: Bool) throws {
      self.configuration = configuration
      self.labelled = labelled
      spectrum = try SELDnetSpectrum(includesPhase: configuration.includesPhase)
      let rate = configuration.task.sampleRate
      let features = configuration.task2Features
      logMel = features == .spectrum ? nil : try LogMelSpectrogram(sampleRate: rate)
      intensity = features == .logmelIntensity ? try IntensityVectors(sampleRate: rate) : nil
      labels = configuration.labelMatrix
    }

    /// The item's mixture: mic A (4 channels) or mic A then mic B (8).
    ///
    /// Each microphone file must have the 4 channels of first-order Ambisonics: the shape the
    /// task declares, so an odd file is refused on its own (never the items that agree with
    /// the task because an odd one came first).
    func loadMixture(_ job: Preprocessing.Job) throws -> AudioBuffer {
      let audio =
        configuration.microphones == 2
        ? try AmbisonicRecording.load(
          micA: job.micA, micB: job.micB, frames: nil, expectedChannelCount: 4
        ).audio
        : try AudioFile.read(job.micA)
      guard audio.channelCount == 4 * configuration.microphones else {
        throw FeatureError(
          .unsupportedAudio,
          "has \(audio.channelCount) channels; every L3DAS microphone file has 4 (first-order Ambisonics), so the item is skipped",
          path: job.micA.path)
      }
      let rate = configuration.task.sampleRate
      guard audio.sampleRate == rate else {
        throw FeatureError(
          .unsupportedAudio,
          "expected \(rate) Hz audio for Task \(configuration.task.rawValue), found \(audio.sampleRate) Hz",
          path: job.micA.path)
      }
      return audio
    }

    /// The clean speech of a Task 1 item: mono, at the task's rate.
    func loadClean(_ url: URL) throws -> AudioBuffer {
      let audio = try AudioFile.read(url)
      guard audio.channelCount == 1, audio.sampleRate == configuration.task.sampleRate else {
        throw FeatureError(
          .unsupportedAudio,
          "clean speech must be mono \(configuration.task.sampleRate) Hz; found \(audio.channelCount) channels at \(audio.sampleRate) Hz, so the item is skipped",
          path: url.path)
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
        let clean = labelled ? try tensor(loadClean(job.target)) : nil
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
        let features = try task2Features(of: fitted, path: job.micA.path)
        let target =
          labelled
          ? try labels.matrix(for: try Task2Labels.read(job.target), path: job.target.path) : nil
        return .init(predictors: [features], targets: target.map { [$0] })
      }
    }

    /// The configured Task 2 features of a scene already fitted to its length. The log-mel
    /// STFT is centre-padded (one frame more than 8 per label frame); it is cut to
    /// 8·labelFrames frames like the official spectrum's last-frame cut.
    func task2Features(of audio: AudioBuffer, path: String) throws -> FeatureTensor {
      guard let logMel else { return spectrum.features(of: audio) }
      var parts = [logMel.features(of: audio)]
      if let intensity {
        do { parts.append(try intensity.features(of: audio)) } catch var error as FeatureError {
          error.path = path
          throw error
        }
      }
      let frames = min(8 * labels.configuration.frameCount, parts[0].shape[2])
      let mels = parts[0].shape[1]
      let channels = parts.reduce(0) { $0 + $1.shape[0] }
      var values: [Float] = []
      values.reserveCapacity(channels * mels * frames)
      for part in parts {
        let full = part.shape[2]
        for row in 0..<(part.shape[0] * mels) {
          values.append(contentsOf: part.values[(row * full)..<(row * full + frames)])
        }
      }
      return FeatureTensor(shape: [channels, mels, frames], values: values)
    }
  }
}
