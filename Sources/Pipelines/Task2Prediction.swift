public import Datasets
public import Foundation
public import L3DASCore
import Metrics
public import Models
import NN
public import Submission

/// `l3das predict --task 2`: runs a SELDnet on every scene of a split and writes a Task 2
/// submission, then validates it.
///
/// Each scene is read, turned into the model's input exactly as `l3das preprocess` does (the
/// official spectrum of mic A, or A and B), run through the network in eval mode without
/// recording gradients, and converted to rows as the official `gen_submission_list_task2`:
/// SED threshold `np.round` (round-half-to-even), DOA × 2, frames and slots ascending. The
/// submission folder appears only when every scene has been written (staging + rename), and
/// is then checked by `SubmissionValidator` against the same split.
///
/// ```swift
/// let model = try SELDnet(.augmentedL3DAS22)
/// try model.loadStateDict(contentsOf: weights)
/// let report = try Task2Prediction.run(
///   model: model, split: try SplitLocation(folder: test), splitFolder: test, output: out)
/// ```
public enum Task2Prediction {
  /// What a prediction run did.
  public struct Report: Sendable, Codable {
    /// The split predicted.
    public var split: String
    /// The submission folder written.
    public var output: String
    /// Scenes predicted.
    public var itemCount: Int
    /// Rows written, over all scenes.
    public var rowCount: Int
    /// Scenes with no detection (an empty CSV).
    public var emptyItemCount: Int
    /// The model's parameter count.
    public var parameterCount: Int
    /// Wall-clock seconds for the whole run.
    public var seconds: Double
    /// The validator's verdict on the written submission.
    public var validation: SubmissionReport
  }

  /// Reads a model configuration: either a `SELDnetConfiguration` JSON (PyTorch constructor
  /// keys, optional `"variant"`) or a fixture-style `{"class": "Seldnet_augmented",
  /// "constructor_args": {…}}` file.
  /// - Throws: `ModelError.invalidConfiguration` naming the file when it is neither.
  public static func configuration(contentsOf url: URL) throws -> SELDnetConfiguration {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw ModelError(
        .invalidConfiguration, "\(url.path): cannot read the model configuration (\(error.localizedDescription))")
    }
    if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let className = object["class"] as? String
    {
      guard className == "Seldnet_augmented" || className == "Seldnet_vanilla" else {
        throw ModelError(
          .unsupportedModel, "\(url.path): \(className) is not a Task 2 model (Seldnet_augmented or Seldnet_vanilla)")
      }
      do {
        return try ConstructorArguments.seldnet(
          className: className, object["constructor_args"] as? [String: Any] ?? [:])
      } catch {
        throw ModelError(.invalidConfiguration, "\(url.path): not a SELDnet configuration: \(error)")
      }
    }
    do {
      return try JSONDecoder().decode(SELDnetConfiguration.self, from: data)
    } catch {
      throw ModelError(.invalidConfiguration, "\(url.path): not a SELDnet configuration: \(error)")
    }
  }

  /// Predicts every scene of `split` with `model` and writes the submission to `output`.
  ///
  /// - Parameters:
  ///   - model: the network, weights loaded; it is switched to eval mode.
  ///   - split: the split to predict (usually the test or dev split).
  ///   - splitFolder: the split's folder, for the validator.
  ///   - output: the submission folder to create.
  ///   - microphones: 1 (mic A) or 2 (A then B); must give the model's input channels.
  ///   - classSpelling: class ids (as the official code writes) or names.
  ///   - sceneSeconds: the scene length (default: the edition's), as given to `preprocess`.
  ///   - features: the input features the model was trained on, as given to `preprocess`.
  ///   - sedThreshold: `nil` for the official conversion (`np.round`, i.e. p > 0.5); otherwise
  ///     slots with p > `sedThreshold` are active.
  ///   - replaceExisting: replace `output` if it exists.
  ///   - progress: told about every scene.
  /// - Throws: `ModelError` when the model does not fit the features (channels, bins, or an
  ///   output frame count other than the split's label frames), `PreprocessError`,
  ///   `SubmissionError`, or the first unreadable scene's `AudioIOError`/`FeatureError`
  ///   (nothing is left behind: the staging folder is removed).
  public static func run(
    model: SELDnet, split: SplitLocation, splitFolder: URL, output: URL, microphones: Int = 1,
    classSpelling: SubmissionWriter.ClassSpelling = .id, sceneSeconds: Double? = nil,
    features: PreprocessConfiguration.Task2Features = .spectrum, sedThreshold: Float? = nil,
    replaceExisting: Bool = false, inputs: [URL] = [],
    progress: any ProgressReporter = SilentProgress()
  ) throws -> Report {
    let jobs = try Preprocessing.predictionJobs(
      split: split, task: .soundEventLocalizationDetection, microphones: microphones)
    let started = Date()
    // The scene length comes from the split's audio (as score and validate take it), so a 60 s
    // scene in a folder without an L3DAS21 name is predicted whole, not cut to 30 s.
    let scenes = try Task2Scenes.detect(truth: splitFolder, edition: nil, frames: nil)
    var preprocessing = PreprocessConfiguration.baseline(
      task: .soundEventLocalizationDetection, edition: scenes.edition, microphones: microphones)
    preprocessing.sceneSeconds = sceneSeconds ?? Double(scenes.frameCount) / 10
    preprocessing.task2Features = features
    let transform = try Preprocessing.ItemTransform(configuration: preprocessing, labelled: false)
    let labels = preprocessing.labelMatrix
    let frameCount = labels.configuration.frameCount
    let expectedChannels = 4 * microphones
    guard model.configuration.inputChannels == expectedChannels else {
      throw ModelError(
        .wrongInputShape,
        "the model takes \(model.configuration.inputChannels) input channels, but --mics \(microphones) gives \(expectedChannels)")
    }
    guard model.configuration.classOverlaps == labels.configuration.slotCount,
      model.configuration.outputClasses == SoundClass.allCases.count
    else {
      throw ModelError(
        .wrongInputShape,
        "the model predicts \(model.configuration.outputClasses) classes × \(model.configuration.classOverlaps) slots; submissions need \(SoundClass.allCases.count) × \(labels.configuration.slotCount)")
    }

    model.eval()
    let writer = try SubmissionWriter(
      destination: output, task: .soundEventLocalizationDetection, classSpelling: classSpelling,
      frameCount: frameCount, replaceExisting: replaceExisting, markerCommand: "predict",
      inputs: [splitFolder] + inputs)
    var rowCount = 0
    var emptyItemCount = 0
    for (index, job) in jobs.enumerated() {
      let features = try transform.arrays(for: job).predictors[0]
      let input = Tensor<Float>(shape: [1] + features.shape, scalars: features.values)
      let (sed, doa) = try withNoGrad { try model.forward(input) }
      guard sed.shape.count == 3, sed.shape[1] == frameCount else {
        throw ModelError(
          .wrongInputShape,
          "\(job.micA.path): the model gives \(sed.shape.count == 3 ? sed.shape[1] : 0) output frames, the split's labels have \(frameCount) (check the model's time pooling)")
      }
      if let bad = (sed.scalars + doa.scalars).first(where: { !$0.isFinite }) {
        throw ModelError(
          .nonFiniteOutput,
          "\(job.micA.path): the model's output holds \(bad); the weights are unusable or the input is broken, so no submission was written")
      }
      let rows = try labels.detections(sed: sed.scalars, doa: doa.scalars, threshold: sedThreshold).map {
        DetectionRow(frame: $0.frame, soundClass: $0.soundClass, position: $0.position)
      }
      try writer.addTask2(id: job.id, rows: rows)
      rowCount += rows.count
      if rows.isEmpty { emptyItemCount += 1 }
      progress.report(completed: index + 1, total: jobs.count, label: job.id)
    }
    _ = try writer.commit()
    var checks = SubmissionValidator.Options(task: .soundEventLocalizationDetection, edition: scenes.edition)
    checks.frameCount = scenes.frameCount
    let validation = try SubmissionValidator.validate(submission: output, test: splitFolder, options: checks)
    return Report(
      split: split.name, output: output.path, itemCount: jobs.count, rowCount: rowCount,
      emptyItemCount: emptyItemCount, parameterCount: model.parameterCount,
      seconds: Date().timeIntervalSince(started), validation: validation)
  }
}
