public import Models

/// A training recipe: `baselines/<name>/config.json`. Keys are snake_case, as in the
/// official scripts' argument names.
///
/// ```json
/// {"model": "seldnet", "seldnet": {"time_dim": 2400}, "batch_size": 3, "learning_rate": 1e-5,
///  "patience": 100, "max_epochs": 200, "train_fraction": 0.7, "sed_weight": 1, "doa_weight": 5,
///  "seed": 1}
/// ```
public struct TrainingRecipe: Codable, Sendable, Equatable {
  /// The network: `seldnet` (Task 2). Task 1 models follow with their ports.
  public var model: String
  /// The SELDnet configuration (PyTorch constructor keys).
  public var seldnet: SELDnetConfiguration
  /// Items per batch (official Task 2: 3).
  public var batchSize: Int
  /// Adam's learning rate (official Task 2: 1e-5).
  public var learningRate: Double
  /// Epochs without a better validation loss before stopping (official: 100).
  public var patience: Int
  /// The epoch cap (the official scripts have none).
  public var maxEpochs: Int
  /// The share of items, in id order, used for training; the rest validate (official: 0.7 for
  /// L3DAS22, 0.8 for L3DAS21, in `listdir` order).
  public var trainFraction: Double
  /// Weight of the SED binary cross-entropy (official: 1).
  public var sedWeight: Double
  /// Weight of the DOA mean squared error (official: 5).
  public var doaWeight: Double
  /// Seeds initialisation, shuffling and dropout.
  public var seed: UInt64
  /// Clip the gradients' joint norm to this value (`nil`: no clipping, as the official code).
  public var gradientClip: Double?

  /// Creates a recipe.
  public init(
    model: String = "seldnet", seldnet: SELDnetConfiguration, batchSize: Int, learningRate: Double,
    patience: Int, maxEpochs: Int, trainFraction: Double, sedWeight: Double = 1,
    doaWeight: Double = 5, seed: UInt64 = 1, gradientClip: Double? = nil
  ) {
    self.model = model
    self.seldnet = seldnet
    self.batchSize = batchSize
    self.learningRate = learningRate
    self.patience = patience
    self.maxEpochs = maxEpochs
    self.trainFraction = trainFraction
    self.sedWeight = sedWeight
    self.doaWeight = doaWeight
    self.seed = seed
    self.gradientClip = gradientClip
  }

  /// The official L3DAS22 Task 2 recipe (Seldnet_augmented, batch 3, Adam 1e-5, BCE + 5·MSE,
  /// patience 100, 70 % of the train split for training), capped at 1000 epochs.
  public static let seldnetL3DAS22 = TrainingRecipe(
    seldnet: .augmentedL3DAS22, batchSize: 3, learningRate: 1e-5, patience: 100, maxEpochs: 1000,
    trainFraction: 0.7)

  /// The tiny recipe for the synthetic dataset: a few-thousand-parameter SELDnet, a larger
  /// learning rate, a few epochs.
  public static let seldnetTiny = TrainingRecipe(
    seldnet: .tiny, batchSize: 2, learningRate: 3e-3, patience: 5, maxEpochs: 8,
    trainFraction: 0.7)

  /// Every reason this recipe cannot run (empty when it can).
  public var problems: [String] {
    var problems: [String] = []
    if model != "seldnet" { problems.append("model \"\(model)\": only \"seldnet\" can be trained so far") }
    if batchSize < 1 { problems.append("batch_size must be at least 1, got \(batchSize)") }
    if !(learningRate > 0 && learningRate.isFinite) {
      problems.append("learning_rate must be a positive number, got \(learningRate)")
    }
    if patience < 1 { problems.append("patience must be at least 1, got \(patience)") }
    if maxEpochs < 1 { problems.append("max_epochs must be at least 1, got \(maxEpochs)") }
    if !(trainFraction > 0 && trainFraction < 1) {
      problems.append("train_fraction must be between 0 and 1 (exclusive), got \(trainFraction)")
    }
    if !(sedWeight >= 0 && doaWeight >= 0 && sedWeight + doaWeight > 0) {
      problems.append("sed_weight and doa_weight must be non-negative and not both 0")
    }
    if let gradientClip, !(gradientClip > 0) {
      problems.append("gradient_clip must be positive, got \(gradientClip)")
    }
    problems += seldnet.problems
    return problems
  }

  enum CodingKeys: String, CodingKey {
    case model, seldnet, patience, seed
    case batchSize = "batch_size"
    case learningRate = "learning_rate"
    case maxEpochs = "max_epochs"
    case trainFraction = "train_fraction"
    case sedWeight = "sed_weight"
    case doaWeight = "doa_weight"
    case gradientClip = "gradient_clip"
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    model = try c.decodeIfPresent(String.self, forKey: .model) ?? "seldnet"
    seldnet = try c.decode(SELDnetConfiguration.self, forKey: .seldnet)
    batchSize = try c.decode(Int.self, forKey: .batchSize)
    learningRate = try c.decode(Double.self, forKey: .learningRate)
    patience = try c.decode(Int.self, forKey: .patience)
    maxEpochs = try c.decode(Int.self, forKey: .maxEpochs)
    trainFraction = try c.decode(Double.self, forKey: .trainFraction)
    sedWeight = try c.decodeIfPresent(Double.self, forKey: .sedWeight) ?? 1
    doaWeight = try c.decodeIfPresent(Double.self, forKey: .doaWeight) ?? 5
    seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 1
    gradientClip = try c.decodeIfPresent(Double.self, forKey: .gradientClip)
  }
}
