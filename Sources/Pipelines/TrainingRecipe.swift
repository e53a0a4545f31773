public import Models

/// A training recipe: `baselines/<name>/config.json`. Keys are snake_case, as in the
/// official scripts' argument names.
///
/// ```json
/// {"model": "seldnet", "seldnet": {"time_dim": 2400}, "batch_size": 3, "learning_rate": 1e-5,
///  "patience": 100, "max_epochs": 200, "train_fraction": 0.7, "sed_weight": 1, "doa_weight": 5,
///  "seed": 1}
/// {"model": "mimo_unet", "mimo_unet": {"input_channel": 4}, "loss": "l1", "batch_size": 6,
///  "learning_rate": 1e-3, "patience": 50, "max_epochs": 1000, "train_fraction": 0.7}
/// ```
///
/// The model's configuration sits under the model's key (`seldnet`, `mimo_unet` or `fasnet`)
/// with PyTorch's constructor keys; a missing configuration, or missing keys, take the
/// official defaults.
public struct TrainingRecipe: Codable, Sendable, Equatable {
  /// The networks `l3das train` can train.
  public static let models = ["seldnet", "mimo_unet", "fasnet", "fasnet_tac"]

  /// The network: `seldnet` (Task 2), `mimo_unet`, `fasnet` (FaSNet_origin) or `fasnet_tac`
  /// (Task 1).
  public var model: String
  /// The SELDnet configuration (PyTorch constructor keys) when `model` is `seldnet`.
  public var seldnet: SELDnetConfiguration
  /// The MIMO-UNet configuration when `model` is `mimo_unet`.
  public var mimoUNet: MIMOUNetConfiguration
  /// The FaSNet configuration when `model` is `fasnet` or `fasnet_tac`.
  public var fasnet: FaSNetConfiguration
  /// Task 1's loss between the estimate and the clean target: `l1` (L3DAS22's MIMO-UNet),
  /// `mse` (L3DAS21's FaSNet, `--loss L2`) or `stft_l1` (not official: L1 between STFT
  /// magnitudes, Hann 512, hop 128, which ignores the few-millisecond propagation delay between
  /// the mics and the dry target). Ignored for SELDnet.
  public var loss: String
  /// Items per batch (official Task 2: 3; MIMO-UNet: 6; FaSNet: 20).
  public var batchSize: Int
  /// Adam's learning rate (official Task 2: 1e-5; MIMO-UNet: 1e-3; FaSNet: 1e-5).
  public var learningRate: Double
  /// Epochs without a better validation loss before stopping (official: 100 for Task 2, 50
  /// for Task 1).
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

  /// Creates a recipe; configurations not given take the official defaults.
  public init(
    model: String = "seldnet", seldnet: SELDnetConfiguration = .augmentedL3DAS22,
    mimoUNet: MIMOUNetConfiguration = .l3das22, fasnet: FaSNetConfiguration = .l3das21,
    loss: String? = nil, batchSize: Int, learningRate: Double, patience: Int, maxEpochs: Int,
    trainFraction: Double, sedWeight: Double = 1, doaWeight: Double = 5, seed: UInt64 = 1,
    gradientClip: Double? = nil
  ) {
    self.model = model
    self.seldnet = seldnet
    self.mimoUNet = mimoUNet
    self.fasnet = fasnet
    self.loss = loss ?? Self.defaultLoss(model: model)
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

  /// The official scripts' loss: L1 for MIMO-UNet (L3DAS22), MSE for FaSNet (L3DAS21) and
  /// BCE + MSE (`seld`) for SELDnet.
  public static func defaultLoss(model: String) -> String {
    switch model {
    case "mimo_unet": "l1"
    case "fasnet", "fasnet_tac": "mse"
    default: "seld"
    }
  }

  /// The task the model solves (1 or 2).
  public var task: Int { model == "seldnet" ? 2 : 1 }

  /// The official L3DAS22 Task 2 recipe (Seldnet_augmented, batch 3, Adam 1e-5, BCE + 5·MSE,
  /// patience 100, 70 % of the train split for training), capped at 1000 epochs.
  public static let seldnetL3DAS22 = TrainingRecipe(
    seldnet: .augmentedL3DAS22, batchSize: 3, learningRate: 1e-5, patience: 100, maxEpochs: 1000,
    trainFraction: 0.7)

  /// The official L3DAS21 Task 2 recipe: the same network on 60 s scenes (`time_dim` 4800),
  /// 80 % of the train split for training.
  public static let seldnetL3DAS21 = TrainingRecipe(
    seldnet: .augmentedL3DAS21, batchSize: 3, learningRate: 1e-5, patience: 100, maxEpochs: 1000,
    trainFraction: 0.8)

  /// The tiny recipe for the synthetic dataset: a 21,144-parameter SELDnet on 64-band log-mel
  /// features, a larger learning rate, 30 epochs.
  public static let seldnetTiny = TrainingRecipe(
    seldnet: .tinyLogMel, batchSize: 4, learningRate: 3e-3, patience: 30, maxEpochs: 30,
    trainFraction: 0.7)

  /// The official L3DAS22 Task 1 recipe (MIMO-UNet, batch 6, Adam 1e-3, L1, patience 50, 70 %
  /// for training) on 4.792 s inputs, capped at 1000 epochs.
  public static let mimoUNetL3DAS22 = TrainingRecipe(
    model: "mimo_unet", mimoUNet: .l3das22, batchSize: 6, learningRate: 1e-3, patience: 50,
    maxEpochs: 1000, trainFraction: 0.7)

  /// The official L3DAS21 Task 1 recipe (FaSNet_origin, batch 20, Adam 1e-5, MSE, patience 50,
  /// 80 % for training) on 2 s pieces, capped at 1000 epochs.
  public static let fasnetL3DAS21 = TrainingRecipe(
    model: "fasnet", fasnet: .l3das21, batchSize: 20, learningRate: 1e-5, patience: 50,
    maxEpochs: 1000, trainFraction: 0.8)

  /// The tiny Task 1 recipe for the synthetic dataset: a 141,732-parameter MIMO-UNet (fft 256,
  /// hop 128, 6–24 channels), STFT-magnitude L1 (not the official waveform L1, which a small
  /// network cannot fit in minutes against a target the mics hear milliseconds later), Adam
  /// 3e-3, batch 8, 12 epochs, on pieces of 16,256 samples
  /// (`preprocess --segment chunks --segment-samples 16256`, 128 frames).
  public static let mimoUNetTiny = TrainingRecipe(
    model: "mimo_unet",
    mimoUNet: .init(fftSize: 256, hopSize: 128, unetChannel: [6, 6, 6, 8, 8, 12, 12, 12, 16, 24]),
    loss: "stft_l1", batchSize: 8, learningRate: 3e-3, patience: 12, maxEpochs: 12,
    trainFraction: 0.75)

  /// Every reason this recipe cannot run (empty when it can).
  public var problems: [String] {
    var problems: [String] = []
    if !Self.models.contains(model) {
      problems.append("model \"\(model)\" is not one of \(Self.models.joined(separator: ", "))")
    }
    if task == 1 && !["l1", "mse", "stft_l1"].contains(loss) {
      problems.append("loss \"\(loss)\": Task 1 models train with \"l1\", \"mse\" or \"stft_l1\"")
    }
    if batchSize < 1 { problems.append("batch_size must be at least 1, got \(batchSize)") }
    if !(learningRate > 0 && learningRate.isFinite) {
      problems.append("learning_rate must be a positive number, got \(learningRate)")
    }
    if patience < 1 { problems.append("patience must be at least 1, got \(patience)") }
    if maxEpochs < 1 { problems.append("max_epochs must be at least 1, got \(maxEpochs)") }
    if !(trainFraction > 0 && trainFraction < 1) {
      problems.append("train_fraction must be between 0 and 1 (exclusive), got \(trainFraction)")
    }
    if task == 2 && !(sedWeight >= 0 && doaWeight >= 0 && sedWeight + doaWeight > 0) {
      problems.append("sed_weight and doa_weight must be non-negative and not both 0")
    }
    if let gradientClip, !(gradientClip > 0) {
      problems.append("gradient_clip must be positive, got \(gradientClip)")
    }
    switch model {
    case "seldnet": problems += seldnet.problems
    case "mimo_unet": problems += mimoUNet.problems
    case "fasnet", "fasnet_tac": problems += fasnet.problems
    default: break
    }
    return problems
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case model, seldnet, fasnet, loss, patience, seed
    case mimoUNet = "mimo_unet"
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
    seldnet = try c.decodeIfPresent(SELDnetConfiguration.self, forKey: .seldnet) ?? .augmentedL3DAS22
    mimoUNet = try c.decodeIfPresent(MIMOUNetConfiguration.self, forKey: .mimoUNet) ?? .l3das22
    fasnet = try c.decodeIfPresent(FaSNetConfiguration.self, forKey: .fasnet) ?? .l3das21
    loss = try c.decodeIfPresent(String.self, forKey: .loss) ?? Self.defaultLoss(model: model)
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

  /// Writes the model's own configuration only (and the Task 2 or Task 1 loss keys), so a
  /// recipe file reads like the official script's arguments.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(model, forKey: .model)
    switch model {
    case "seldnet": try c.encode(seldnet, forKey: .seldnet)
    case "mimo_unet": try c.encode(mimoUNet, forKey: .mimoUNet)
    default: try c.encode(fasnet, forKey: .fasnet)
    }
    if task == 1 {
      try c.encode(loss, forKey: .loss)
    } else {
      try c.encode(sedWeight, forKey: .sedWeight)
      try c.encode(doaWeight, forKey: .doaWeight)
    }
    try c.encode(batchSize, forKey: .batchSize)
    try c.encode(learningRate, forKey: .learningRate)
    try c.encode(patience, forKey: .patience)
    try c.encode(maxEpochs, forKey: .maxEpochs)
    try c.encode(trainFraction, forKey: .trainFraction)
    try c.encode(seed, forKey: .seed)
    try c.encodeIfPresent(gradientClip, forKey: .gradientClip)
  }
}
