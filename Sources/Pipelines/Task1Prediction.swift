public import Datasets
public import Foundation
public import L3DASCore
public import Models
public import NN
public import Submission

/// `l3das predict --task 1`: enhances every item of a Task 1 split with a baseline and writes a
/// validated submission of `<id>.npy` estimates.
///
/// Inference is the official sliding window (`evaluate_baseline_task1.py`): windows of
/// `window` samples every `hop`, the last one zero-padded, each run alone (batch 1, eval mode),
/// joined with a linear crossfade over the overlap (old tail × (F−n)/F, new head × n/F), and
/// cropped to the item's exact length. L3DAS21 then divides by the signed maximum × 0.9
/// (`normalization: .officialSignedMaximum`); L3DAS22 does not.
public enum Task1Prediction {
  /// A Task 1 network behind one interface: `[1, C, window]` → `[window]` (first output
  /// channel).
  public struct Model {
    /// `MIMO_UNet_Beamforming`, `FaSNet_origin` or `FaSNet_TAC`.
    public var name: String
    public var module: any Module<Float>
    public var inputChannels: Int?
    public var enhance: (Tensor<Float>) throws -> Tensor<Float>
    /// Throws `ModelError` for an input shape `[B, C, S]` the network cannot take.
    public var validate: ([Int]) throws -> Void
    /// The official window and hop of this model's edition.
    public var window: Int
    public var hop: Int

    /// MIMO-UNet with the L3DAS22 window 76672 and hop 38336.
    public static func mimoUNet(_ configuration: MIMOUNetConfiguration, seed: UInt64 = 0) throws -> Model {
      let model = try MIMOUNet(configuration, seed: seed)
      return Model(
        name: "MIMO_UNet_Beamforming", module: model, inputChannels: configuration.inputChannel,
        enhance: { try model.forward($0) }, validate: { try model.validate(input: $0) },
        window: 76_672, hop: 38_336)
    }

    /// FaSNet (origin or TAC) with the L3DAS21 window 32000 and hop 16000.
    public static func fasnet(_ configuration: FaSNetConfiguration, tac: Bool, seed: UInt64 = 0) throws -> Model {
      if tac {
        let model = try FaSNetTAC(configuration, seed: seed)
        return Model(
          name: "FaSNet_TAC", module: model, inputChannels: nil, enhance: { try model.forward($0) },
          validate: { try model.validate(input: $0) }, window: 32_000, hop: 16_000)
      }
      let model = try FaSNet(configuration, seed: seed)
      return Model(
        name: "FaSNet_origin", module: model, inputChannels: nil, enhance: { try model.forward($0) },
        validate: { try model.validate(input: $0) }, window: 32_000, hop: 16_000)
    }

    /// The model a configuration file describes: `{"class": …, "constructor_args": {…}}` with
    /// class `MIMO_UNet_Beamforming` (or `MMUB`), `FaSNet_origin` or `FaSNet_TAC`.
    public static func contentsOf(_ url: URL) throws -> Model {
      guard let data = try? Data(contentsOf: url),
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
        let className = object["class"] as? String
      else {
        throw ModelError(
          .invalidConfiguration,
          "\(url.path): not a Task 1 model configuration (needs {\"class\": …, \"constructor_args\": {…}})")
      }
      let arguments = object["constructor_args"] as? [String: Any] ?? [:]
      do {
        switch className {
        case "MIMO_UNet_Beamforming", "MMUB":
          return try mimoUNet(ConstructorArguments.decode(MIMOUNetConfiguration.self, arguments))
        case "FaSNet_origin", "FaSNet_TAC":
          return try fasnet(
            ConstructorArguments.decode(FaSNetConfiguration.self, arguments), tac: className == "FaSNet_TAC")
        default:
          throw ModelError(
            .unsupportedModel,
            "\(url.path): \(className) is not a Task 1 model (MIMO_UNet_Beamforming, FaSNet_origin, FaSNet_TAC)")
        }
      } catch let error as ModelError {
        throw error
      } catch {
        throw ModelError(.invalidConfiguration, "\(url.path): constructor_args do not describe a \(className): \(error)")
      }
    }
  }

  /// What happens to an estimate after the crossfade.
  public enum Normalization: String, Sendable, Codable {
    /// Nothing (L3DAS22).
    case none
    /// `out / max(out) · 0.9` with the signed maximum, as L3DAS21's evaluation (a defect: a
    /// negative maximum flips the sign; kept for comparability).
    case officialSignedMaximum = "official-signed-maximum"
  }

  /// What a run did.
  public struct Report: Sendable, Codable {
    public var split: String
    public var output: String
    public var model: String
    public var itemCount: Int
    public var windowCount: Int
    public var parameterCount: Int
    public var seconds: Double
    public var validation: SubmissionReport
  }

  /// The sliding-window estimate of one mixture `[channels][samples]` (planar), cropped to its
  /// length.
  public static func enhance(
    _ mixture: [Float], channels: Int, window: Int, hop: Int,
    model: (Tensor<Float>) throws -> Tensor<Float>
  ) throws -> (estimate: [Float], windows: Int) {
    let samples = mixture.count / channels
    precondition(window >= 1 && hop >= 1 && hop <= window, "need 1 ≤ hop ≤ window")
    let fade = window - hop
    var output: [Float] = []
    output.reserveCapacity(samples + window)
    var start = 0
    var windows = 0
    while true {
      var piece = [Float](repeating: 0, count: channels * window)
      let available = max(0, min(window, samples - start))
      for c in 0..<channels where available > 0 {
        for n in 0..<available { piece[c * window + n] = mixture[c * samples + start + n] }
      }
      let result = try model(Tensor(shape: [1, channels, window], scalars: piece))
      guard result.count >= window else {
        throw ModelError(
          .wrongInputShape, "the model returned \(result.shape) for a window of \(window) samples; choose a window the model maps to itself")
      }
      let estimate = Array(result.scalars.prefix(window))
      windows += 1
      if start == 0 {
        output = estimate
      } else {
        // Linear crossfade over the overlap: old tail × (F−n)/F, new head × n/F.
        let base = output.count - fade
        for n in 0..<fade {
          let w = Float(n) / Float(fade)
          output[base + n] = output[base + n] * (1 - w) + estimate[n] * w
        }
        output += estimate[fade...]
      }
      if start + window >= samples { break }
      start += hop
    }
    return (Array(output.prefix(samples)), windows)
  }

  /// Enhances every item of `split` and writes the submission to `output`, then validates it.
  public static func run(
    model: Model, split: SplitLocation, splitFolder: URL, output: URL, microphones: Int = 1,
    window: Int? = nil, hop: Int? = nil, normalization: Normalization? = nil,
    replaceExisting: Bool = false, inputs: [URL] = [],
    progress: any ProgressReporter = SilentProgress()
  ) throws -> Report {
    let jobs = try Preprocessing.predictionJobs(
      split: split, task: .speechEnhancement, microphones: microphones)
    if let channels = model.inputChannels, channels != 4 * microphones {
      throw ModelError(
        .wrongInputShape, "the model takes \(channels) input channels, but --mics \(microphones) gives \(4 * microphones)")
    }
    let (window, hop) = (window ?? model.window, hop ?? model.hop)
    guard window >= 1, hop >= 1, hop <= window else {
      throw PreprocessError(.invalidOptions, "the window (\(window)) and hop (\(hop)) need 1 ≤ hop ≤ window")
    }
    let normalization = normalization ?? (split.edition == .l3das21 ? .officialSignedMaximum : .none)
    let started = Date()
    let preprocessing = PreprocessConfiguration.baseline(
      task: .speechEnhancement, edition: split.edition, microphones: microphones)
    let transform = try Preprocessing.ItemTransform(configuration: preprocessing, labelled: false)
    model.module.eval()
    let writer = try SubmissionWriter(
      destination: output, task: .speechEnhancement, replaceExisting: replaceExisting,
      markerCommand: "predict", inputs: [splitFolder] + inputs)
    var windows = 0
    for (index, job) in jobs.enumerated() {
      let audio = try transform.loadMixture(job)
      var (estimate, count): ([Float], Int)
      do {
        (estimate, count) = try withNoGrad {
          try enhance(audio.samples, channels: audio.channelCount, window: window, hop: hop, model: model.enhance)
        }
      } catch let error as ModelError {
        throw ModelError(error.code, "\(job.micA.path): \(error.message)")
      }
      if normalization == .officialSignedMaximum, let peak = estimate.max(), peak != 0 {
        estimate = estimate.map { $0 / peak * 0.9 }
      }
      if let bad = estimate.first(where: { !$0.isFinite }) {
        throw ModelError(
          .nonFiniteOutput,
          "\(job.micA.path): the model's output holds \(bad); the weights are unusable or the input is broken, so no submission was written")
      }
      try writer.addTask1(id: job.id, estimate: estimate)
      windows += count
      progress.report(completed: index + 1, total: jobs.count, label: job.id)
    }
    _ = try writer.commit()
    let validation = try SubmissionValidator.validate(
      submission: output, test: splitFolder, options: .init(task: .speechEnhancement, edition: split.edition))
    return Report(
      split: split.name, output: output.path, model: model.name, itemCount: jobs.count,
      windowCount: windows, parameterCount: model.module.parameterCount,
      seconds: Date().timeIntervalSince(started), validation: validation)
  }
}
