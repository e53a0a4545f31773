import Foundation
import Models
import NN

/// The network a recipe trains and its loss on one batch of preprocessed rows; everything the
/// training loop needs to know about the model.
struct TrainingObjective {
  /// The PyTorch class name (`Seldnet_augmented`, `MIMO_UNet_Beamforming`, `FaSNet_origin`,
  /// `FaSNet_TAC`).
  let className: String
  let module: any Module<Float>
  /// The loss of a batch: predictors `[b, featureShape…]` and targets `[b, targetShape…]`.
  let loss: (_ x: [Float], _ y: [Float], _ batch: Int) throws -> Tensor<Float>
  /// `best.config.json`: `{"class": …, "constructor_args": {…}}` as the parity fixtures, read by
  /// `l3das predict` and `l3das parity`.
  let configurationJSON: Data

  /// The objective of `recipe` on `data`, after checking that the data fits the model.
  /// - Throws: `TrainingError` (`invalidData`) naming the mismatch.
  static func make(recipe: TrainingRecipe, data: TrainingData) throws -> TrainingObjective {
    switch recipe.model {
    case "seldnet": return try seldnet(recipe: recipe, data: data)
    default: return try enhancement(recipe: recipe, data: data)
    }
  }

  static func describe<C: Encodable>(className: String, _ configuration: C) throws -> Data {
    let arguments = try JSONSerialization.jsonObject(with: JSONEncoder().encode(configuration))
    return try JSONSerialization.data(
      withJSONObject: ["class": className, "constructor_args": arguments],
      options: [.prettyPrinted, .sortedKeys])
  }

  /// SELDnet with the official loss: sed_weight · BCE(sed) + doa_weight · MSE(doa).
  static func seldnet(recipe: TrainingRecipe, data: TrainingData) throws -> TrainingObjective {
    let configuration = recipe.seldnet
    let k = configuration.sedOutputs
    guard data.task == .soundEventLocalizationDetection else {
      throw TrainingError(.invalidData, "the data holds Task 1 waveforms; SELDnet trains on Task 2 features (l3das preprocess --task 2)")
    }
    guard data.featureShape.count == 3, data.featureShape[0] == configuration.inputChannels,
      data.featureShape[1] == configuration.freqDim
    else {
      throw TrainingError(
        .invalidData,
        "the features are \(data.featureShape) per item, the model takes [\(configuration.inputChannels), \(configuration.freqDim), T] (check --mics and the recipe's input_channels)")
    }
    guard data.targetShape.count == 2, data.targetShape[1] == 4 * k else {
      throw TrainingError(
        .invalidData, "the labels are \(data.targetShape) per item; the model predicts \(k) SED + \(3 * k) DOA values per frame")
    }
    let frames = data.targetShape[0]
    guard configuration.pooledTime(data.featureShape[2]) == frames else {
      throw TrainingError(
        .invalidData,
        "\(data.featureShape[2]) feature frames pool to \(configuration.pooledTime(data.featureShape[2])) output frames, but the labels have \(frames)")
    }
    let model = try SELDnet(configuration, seed: recipe.seed)
    let featureShape = data.featureShape
    let (sedWeight, doaWeight) = (Float(recipe.sedWeight), Float(recipe.doaWeight))
    let className = configuration.variant == .vanilla ? "Seldnet_vanilla" : "Seldnet_augmented"
    return TrainingObjective(
      className: className,
      module: model,
      loss: { x, labels, b in
        // Each label row is k SED values then 3k DOA values.
        var sedTarget: [Float] = []
        var doaTarget: [Float] = []
        sedTarget.reserveCapacity(b * frames * k)
        doaTarget.reserveCapacity(b * frames * 3 * k)
        for start in stride(from: 0, to: labels.count, by: 4 * k) {
          sedTarget += labels[start..<(start + k)]
          doaTarget += labels[(start + k)..<(start + 4 * k)]
        }
        let (sed, doa) = try model.forward(Tensor(shape: [b] + featureShape, scalars: x))
        let sedLoss = bceLoss(sed, Tensor(shape: [b, frames, k], scalars: sedTarget))
        let doaLoss = mseLoss(doa, Tensor(shape: [b, frames, 3 * k], scalars: doaTarget))
        return sedLoss * sedWeight + doaLoss * doaWeight
      },
      configurationJSON: try describe(className: className, configuration))
  }

  /// MIMO-UNet or FaSNet on `[C, S]` mixtures against `[1, S]` clean speech, with L1 or MSE.
  /// The estimate may be shorter than the input (MIMO-UNet returns hop·⌊S/hop⌋ samples): the
  /// target is cut to the estimate's length.
  static func enhancement(recipe: TrainingRecipe, data: TrainingData) throws -> TrainingObjective {
    guard data.task == .speechEnhancement else {
      throw TrainingError(.invalidData, "the data holds Task 2 features; \(recipe.model) trains on Task 1 waveforms (l3das preprocess --task 1)")
    }
    guard data.featureShape.count == 2, data.targetShape.count == 2, data.targetShape[0] == 1,
      data.targetShape[1] == data.featureShape[1]
    else {
      throw TrainingError(
        .invalidData, "the mixtures are \(data.featureShape) and the targets \(data.targetShape) per row; expected [C, S] and [1, S]")
    }
    let (channels, samples) = (data.featureShape[0], data.featureShape[1])
    // The same constructors as `l3das predict`.
    let model: Task1Prediction.Model
    let configurationJSON: Data
    switch recipe.model {
    case "mimo_unet":
      model = try .mimoUNet(recipe.mimoUNet, seed: recipe.seed)
      configurationJSON = try describe(className: model.name, recipe.mimoUNet)
    default:
      model = try .fasnet(recipe.fasnet, tac: recipe.model == "fasnet_tac", seed: recipe.seed)
      configurationJSON = try describe(className: model.name, recipe.fasnet)
    }
    if let expected = model.inputChannels, expected != channels {
      throw TrainingError(
        .invalidData, "the mixtures have \(channels) channels, the recipe's input_channel is \(expected) (check --mics)")
    }
    do {
      try model.validate([1, channels, samples])
    } catch let error as ModelError {
      throw TrainingError(.invalidData, "\(samples)-sample rows of \(channels) channels do not fit the recipe's \(recipe.model): \(error.message)")
    }
    let forward = model.enhance
    let loss = recipe.loss
    // "stft_l1": L1 between STFT magnitudes (Hann 512, hop 128), blind to the phase; the DFT
    // bases are built only for that loss.
    let magnitudes = loss == "stft_l1" ? DifferentiableSTFT<Float>(fftLength: 512, hopLength: 128, binCount: 257) : nil
    func magnitude(_ signal: Tensor<Float>) -> Tensor<Float> {
      let spectrum = magnitudes!.spectrum(signal)
      let re = spectrum.slice(axis: 1, 0..<257)
      let im = spectrum.slice(axis: 1, 257..<514)
      return (re.squared() + im.squared() + 1e-10).sqrt()
    }
    return TrainingObjective(
      className: model.name, module: model.module,
      loss: { x, y, b in
        let estimate = try forward(Tensor(shape: [b, channels, samples], scalars: x))
        let length = estimate.shape[2]
        var target = y
        if length < samples {
          target = []
          target.reserveCapacity(b * length)
          for i in 0..<b { target += y[(i * samples)..<(i * samples + length)] }
        }
        let t = Tensor<Float>(shape: [b, 1, length], scalars: target)
        let first = estimate.shape[1] == 1 ? estimate : estimate.slice(axis: 1, 0..<1)
        switch loss {
        case "l1": return l1Loss(first, t)
        case "mse": return mseLoss(first, t)
        default:
          return l1Loss(magnitude(first.reshaped([b, length])), magnitude(t.reshaped([b, length])))
        }
      },
      configurationJSON: configurationJSON)
  }
}
