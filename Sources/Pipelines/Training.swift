public import Foundation
public import L3DASCore
import Datasets
import NN
import TensorModule

/// A training run that cannot start or continue.
public struct TrainingError: Error, CustomStringConvertible, Sendable {
  /// The kind of problem.
  public enum Code: String, Sendable, Codable {
    /// The recipe cannot run (every reason is listed).
    case invalidRecipe
    /// The preprocessed data is missing, incomplete or does not fit the model.
    case invalidData
    /// A checkpoint cannot be read, or belongs to another recipe.
    case checkpoint
    /// The run folder cannot be written.
    case writeFailed
  }

  public var code: Code
  public var message: String

  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  public var description: String { message }
}

/// `l3das train`: a baseline on `l3das preprocess` output with the official loss, Adam, early
/// stopping with patience and an epoch cap.
///
/// - Task 2: SELDnet, BCE(sed) · sed_weight + MSE(doa) · doa_weight.
/// - Task 1: MIMO-UNet, FaSNet_origin or FaSNet_TAC, L1 or MSE between the estimate and the
///   clean speech. Every row of an item (the 2 s pieces of L3DAS21 preprocessing) is a
///   training example; the split into training and validation is by item, so no recording is
///   on both sides.
///
/// The run folder holds `checkpoint/` (weights, optimiser state, loop state; replaced
/// atomically after every epoch), `best.safetensors` with `best.config.json` (the weights of
/// the best validation loss, ready for `l3das predict`), `metrics.csv`, `metrics.json` and
/// `loss.svg`. Items are split in id order: the first `train_fraction` train, the rest
/// validate. Each epoch shuffles the training items and reseeds dropout from (seed, epoch)
/// only, so a run resumed from its last checkpoint continues exactly as if never stopped.
public enum Training {
  /// One epoch's record.
  public struct Epoch: Sendable, Codable, Equatable {
    public var epoch: Int
    public var trainLoss: Double
    public var validationLoss: Double
    public var seconds: Double
    enum CodingKeys: String, CodingKey {
      case epoch, seconds
      case trainLoss = "train_loss"
      case validationLoss = "validation_loss"
    }
  }

  /// The loop state saved with each checkpoint.
  public struct State: Sendable, Codable, Equatable {
    public var recipe: TrainingRecipe
    public var trainIDs: [String]
    public var validationIDs: [String]
    public var history: [Epoch]
    public var bestValidationLoss: Double?
    public var bestEpoch: Int?
    public var epochsWithoutImprovement: Int
    public var finished: Bool
    /// The weights the run started from (`--init`): `<file name> sha256:<digest>`, else `nil`.
    public var initialWeights: String?
    enum CodingKeys: String, CodingKey {
      case recipe, history, finished
      case initialWeights = "initial_weights"
      case trainIDs = "train_ids"
      case validationIDs = "validation_ids"
      case bestValidationLoss = "best_validation_loss"
      case bestEpoch = "best_epoch"
      case epochsWithoutImprovement = "epochs_without_improvement"
    }
  }

  /// What a run did.
  public struct Report: Sendable, Codable {
    public var output: String
    /// The PyTorch class trained (`Seldnet_augmented`, `MIMO_UNet_Beamforming`, …).
    public var model: String
    public var parameterCount: Int
    public var trainItems: Int
    public var validationItems: Int
    /// Training examples (rows) per epoch: the items, or their pieces for chunked Task 1 data.
    public var trainRows: Int
    /// Epochs run by this call (after a resume, only the new ones).
    public var epochsRun: Int
    public var history: [Epoch]
    public var bestEpoch: Int?
    public var bestValidationLoss: Double?
    /// Why the run ended: `patience`, `max_epochs`, or `already finished`.
    public var stopReason: String
    public var bestWeights: String
  }

  public static let checkpointName = "checkpoint"

  /// Trains (or, with `resume`, continues training) in `output`.
  ///
  /// - Parameters:
  ///   - recipe: the recipe; on resume it must equal the checkpoint's, except `max_epochs` and
  ///     `patience`, which may be raised to train longer.
  ///   - data: an `l3das preprocess` output folder of a labelled split (`--task 2` for SELDnet,
  ///     `--task 1` for the Task 1 models).
  ///   - output: the run folder (created; without `resume` it must not hold a checkpoint).
  ///   - resume: continue from `output/checkpoint`.
  ///   - initialWeights: start from these weights instead of the recipe's seeded
  ///     initialisation: a safetensors file, or an official L3DAS `.pth` checkpoint
  ///     (`{model_state_dict, …}`, DataParallel `module.` prefixes), read without running its
  ///     pickle. Its digest is kept in the checkpoint; a resume with another file is refused.
  ///   - progress: told about every batch; the label carries the epoch and running loss.
  public static func run(
    recipe: TrainingRecipe, data folder: URL, output: URL, resume: Bool = false,
    initialWeights: URL? = nil, progress: any ProgressReporter = SilentProgress()
  ) throws -> Report {
    let problems = recipe.problems
    guard problems.isEmpty else {
      throw TrainingError(.invalidRecipe, "the recipe cannot run: " + problems.joined(separator: "; "))
    }
    let data = try TrainingData(folder: folder)
    let objective = try TrainingObjective.make(recipe: recipe, data: data)
    guard data.items.count >= 2 else {
      throw TrainingError(.invalidData, "\(folder.path) holds \(data.items.count) item; training needs at least 2 (train and validation)")
    }

    let manager = FileManager.default
    let checkpoint = output.appendingPathComponent(checkpointName)
    // The run folder: new, empty, or an earlier `train` run's (runs from before the marker
    // existed are recognised by their checkpoint); never a folder holding the data.
    do {
      try OutputFolder.checkReplaceable(
        output, command: "train", inputs: [folder], replace: true,
        acceptUnmarked: manager.fileExists(atPath: checkpoint.path))
    } catch let error as OutputFolderError {
      throw TrainingError(.writeFailed, error.description)
    }
    if resume && !manager.fileExists(atPath: output.path) {
      throw TrainingError(.checkpoint, "\(output.path) does not exist: there is nothing to resume; run without --resume")
    }
    let lock: FolderLock
    do {
      try manager.createDirectory(at: output, withIntermediateDirectories: true)
      lock = try FolderLock(output, command: "train")
      try OutputFolder.mark(output, command: "train")
    } catch let error as OutputFolderError {
      throw TrainingError(.writeFailed, error.description)
    } catch {
      throw TrainingError(.writeFailed, "cannot create the run folder \(output.path): \(FileErrorText.describe(error))")
    }
    defer { withExtendedLifetime(lock) {} }
    StagingPath.removeStale(in: output)
    let model = objective.module
    let optimizer = Adam(parameters: model.parameters(), learningRate: Float(recipe.learningRate))
    let initialIdentity = try initialWeights.map { url -> String in
      do {
        return "\(url.lastPathComponent) sha256:\(try Digest.hex(ofFileAt: url, algorithm: .sha256))"
      } catch {
        throw TrainingError(.invalidData, "--init \(url.path): \(error)")
      }
    }
    var state: State
    if resume {
      try recoverInterruptedSwap(checkpoint)
      guard manager.fileExists(atPath: checkpoint.path) else {
        throw TrainingError(.checkpoint, "\(checkpoint.path) does not exist: there is nothing to resume; run without --resume")
      }
      let saved: State
      do {
        saved = try JSONDecoder().decode(
          State.self, from: Data(contentsOf: checkpoint.appendingPathComponent("state.json")))
      } catch {
        throw TrainingError(.checkpoint, "\(checkpoint.path)/state.json: unreadable (\(error))")
      }
      var comparable = recipe
      comparable.maxEpochs = saved.recipe.maxEpochs
      comparable.patience = saved.recipe.patience
      // Compared as written (the trained model's keys only).
      let encoder = JSONEncoder()
      encoder.outputFormatting = .sortedKeys
      guard (try? encoder.encode(comparable)) == (try? encoder.encode(saved.recipe)) else {
        throw TrainingError(
          .checkpoint, "\(checkpoint.path) was written by another recipe; only max_epochs and patience may change on --resume")
      }
      if let initialIdentity, initialIdentity != saved.initialWeights {
        throw TrainingError(
          .checkpoint,
          "\(checkpoint.path) started from \(saved.initialWeights ?? "the recipe's own initialisation"), not \(initialIdentity); drop --init on --resume")
      }
      try model.loadStateDict(contentsOf: checkpoint.appendingPathComponent("model.safetensors"))
      try optimizer.loadState(contentsOf: checkpoint.appendingPathComponent("optimizer.safetensors"))
      state = saved
      state.recipe = recipe
      state.finished = false
    } else {
      if manager.fileExists(atPath: checkpoint.path) {
        throw TrainingError(
          .checkpoint, "\(output.path) already holds a training run; use --resume to continue it or choose another folder")
      }
      let trainCount = min(
        data.items.count - 1, max(1, Int((Double(data.items.count) * recipe.trainFraction).rounded(.down))))
      state = State(
        recipe: recipe, trainIDs: data.items.prefix(trainCount).map(\.id),
        validationIDs: data.items.dropFirst(trainCount).map(\.id), history: [],
        bestValidationLoss: nil, bestEpoch: nil, epochsWithoutImprovement: 0, finished: false,
        initialWeights: initialIdentity)
      if let initialWeights {
        do {
          try model.loadStateDict(contentsOf: initialWeights)
        } catch {
          throw TrainingError(.invalidData, "--init \(initialWeights.path): \(error)")
        }
      }
    }
    let position = Dictionary(uniqueKeysWithValues: data.items.enumerated().map { ($1.id, $0) })
    let trainIndices = state.trainIDs.compactMap { position[$0] }
    let validationIndices = state.validationIDs.compactMap { position[$0] }
    guard trainIndices.count == state.trainIDs.count, validationIndices.count == state.validationIDs.count
    else {
      throw TrainingError(.checkpoint, "the checkpoint's items are not all in \(folder.path); resume on the same data")
    }
    let trainRows = data.rows(ofItems: trainIndices)
    let validationRows = data.rows(ofItems: validationIndices)

    let batchesPerEpoch = (trainRows.count + recipe.batchSize - 1) / recipe.batchSize
    var epochsRun = 0
    var stopReason = stopCondition(state)
    while stopReason == nil {
      let epoch = state.history.count + 1
      let started = Date()
      // Shuffle and dropout depend on (seed, epoch) only.
      var order = trainRows
      var shuffler = SplitMix64(seed: recipe.seed).fork(stream: UInt64(epoch))
      for i in stride(from: order.count - 1, to: 0, by: -1) {
        order.swapAt(i, Int(shuffler.next() % UInt64(i + 1)))
      }
      model.train()
      var dropoutStream = SplitMix64(seed: recipe.seed ^ 0xD1B5_4A32_D192_ED03).fork(stream: UInt64(epoch))
      model.reseedRandomness(dropoutStream.next())
      var lossSum = 0.0
      for b in 0..<batchesPerEpoch {
        let rows = Array(order[(b * recipe.batchSize)..<min(order.count, (b + 1) * recipe.batchSize)])
        let loss = try step(objective, data: data, rows: rows)
        optimizer.zeroGrad()
        loss.backward()
        if let clip = recipe.gradientClip { clipGradientNorm(optimizer.parameters, maxNorm: Float(clip)) }
        optimizer.step()
        lossSum += Double(loss.item)
        progress.report(
          completed: (epoch - 1) * batchesPerEpoch + b + 1, total: recipe.maxEpochs * batchesPerEpoch,
          label: String(format: "epoch %d loss %.5f", epoch, lossSum / Double(b + 1)))
      }
      let trainLoss = lossSum / Double(batchesPerEpoch)
      model.eval()
      var validationSum = 0.0
      let validationBatches = stride(from: 0, to: validationRows.count, by: recipe.batchSize).map {
        Array(validationRows[$0..<min(validationRows.count, $0 + recipe.batchSize)])
      }
      for rows in validationBatches {
        validationSum += try withNoGrad { Double(try step(objective, data: data, rows: rows).item) }
      }
      let validationLoss = validationSum / Double(validationBatches.count)
      guard trainLoss.isFinite, validationLoss.isFinite else {
        throw TrainingError(
          .invalidData,
          "epoch \(epoch): the loss became \(trainLoss.isFinite ? validationLoss : trainLoss); lower the learning rate or set gradient_clip (the last checkpoint is kept)")
      }
      state.history.append(
        Epoch(epoch: epoch, trainLoss: trainLoss, validationLoss: validationLoss,
          seconds: Date().timeIntervalSince(started)))
      if validationLoss < (state.bestValidationLoss ?? .infinity) {
        state.bestValidationLoss = validationLoss
        state.bestEpoch = epoch
        state.epochsWithoutImprovement = 0
        try writeBest(objective, output: output)
      } else {
        state.epochsWithoutImprovement += 1
      }
      stopReason = stopCondition(state)
      state.finished = stopReason != nil
      try saveCheckpoint(model: model, optimizer: optimizer, state: state, at: checkpoint)
      try writeMetrics(state.history, bestEpoch: state.bestEpoch, output: output)
      epochsRun += 1
    }
    return Report(
      output: output.path, model: objective.className, parameterCount: model.parameterCount,
      trainItems: trainIndices.count, validationItems: validationIndices.count,
      trainRows: trainRows.count, epochsRun: epochsRun, history: state.history,
      bestEpoch: state.bestEpoch, bestValidationLoss: state.bestValidationLoss,
      stopReason: epochsRun == 0 ? "already finished (\(stopReason ?? ""))" : stopReason ?? "",
      bestWeights: output.appendingPathComponent("best.safetensors").path)
  }

  static func stopCondition(_ state: State) -> String? {
    if state.history.count >= state.recipe.maxEpochs { return "max_epochs" }
    if state.epochsWithoutImprovement >= state.recipe.patience { return "patience" }
    return nil
  }

  /// The loss of one batch of rows.
  static func step(_ objective: TrainingObjective, data: TrainingData, rows: [TrainingData.Row]) throws
    -> Tensor<Float>
  {
    let (x, y) = data.batch(rows)
    return try objective.loss(x, y, rows.count)
  }

  /// Writes `checkpoint.partial`, then swaps it in: the old checkpoint is renamed aside, the
  /// new one into place, the old one removed. A kill at any point leaves one complete
  /// checkpoint (`recoverInterruptedSwap` finishes a swap cut between the two renames).
  static func saveCheckpoint(model: any Module<Float>, optimizer: Adam<Float>, state: State, at checkpoint: URL) throws {
    let manager = FileManager.default
    let partial = checkpoint.deletingLastPathComponent().appendingPathComponent(".checkpoint.partial")
    let old = checkpoint.deletingLastPathComponent().appendingPathComponent(".checkpoint.old")
    do {
      try? manager.removeItem(at: partial)
      try manager.createDirectory(at: partial, withIntermediateDirectories: true)
      try model.saveStateDict(to: partial.appendingPathComponent("model.safetensors"))
      try optimizer.saveState(to: partial.appendingPathComponent("optimizer.safetensors"))
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      try AtomicFile.write(try encoder.encode(state), to: partial.appendingPathComponent("state.json"))
      try? manager.removeItem(at: old)
      if manager.fileExists(atPath: checkpoint.path) { try manager.moveItem(at: checkpoint, to: old) }
      try manager.moveItem(at: partial, to: checkpoint)
      try? manager.removeItem(at: old)
    } catch {
      // Whatever was half-written goes; the last complete checkpoint stays.
      try? manager.removeItem(at: partial)
      throw TrainingError(
        .writeFailed,
        "cannot write the checkpoint in \(checkpoint.deletingLastPathComponent().path): \(FileErrorText.describe(error)); the previous checkpoint is kept (free some space, then rerun with --resume)")
    }
  }

  /// After a kill between the two renames of `saveCheckpoint`, puts the old checkpoint back.
  static func recoverInterruptedSwap(_ checkpoint: URL) throws {
    let manager = FileManager.default
    let old = checkpoint.deletingLastPathComponent().appendingPathComponent(".checkpoint.old")
    if !manager.fileExists(atPath: checkpoint.path) && manager.fileExists(atPath: old.path) {
      try manager.moveItem(at: old, to: checkpoint)
    }
  }

  static func writeBest(_ objective: TrainingObjective, output: URL) throws {
    do {
      try objective.module.saveStateDict(to: output.appendingPathComponent("best.safetensors"))
      try AtomicFile.write(objective.configurationJSON, to: output.appendingPathComponent("best.config.json"))
    } catch {
      throw TrainingError(.writeFailed, "cannot write the best weights in \(output.path): \(FileErrorText.describe(error))")
    }
  }

  /// `metrics.csv`, `metrics.json` and `loss.svg`, rewritten atomically after every epoch.
  static func writeMetrics(_ history: [Epoch], bestEpoch: Int?, output: URL) throws {
    var csv = "epoch,train_loss,validation_loss,seconds\n"
    for e in history {
      csv += "\(e.epoch),\(e.trainLoss),\(e.validationLoss),\(String(format: "%.3f", e.seconds))\n"
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    do {
      try AtomicFile.write(csv, to: output.appendingPathComponent("metrics.csv"))
      try AtomicFile.write(try encoder.encode(history), to: output.appendingPathComponent("metrics.json"))
      try AtomicFile.write(
        LossCurve.svg(
          series: [
            ("train", history.map { ($0.epoch, $0.trainLoss) }),
            ("validation", history.map { ($0.epoch, $0.validationLoss) }),
          ], marker: bestEpoch),
        to: output.appendingPathComponent("loss.svg"))
    } catch {
      throw TrainingError(.writeFailed, "cannot write the metrics in \(output.path): \(FileErrorText.describe(error))")
    }
  }
}
