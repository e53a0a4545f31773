import ArgumentParser
import Foundation
import L3DASCore
import Pipelines

/// `l3das train`: train a baseline from a recipe on preprocessed features.
struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train a baseline from a recipe on l3das preprocess output.",
    discussion: """
      Task 2: SELDnet with the official loss (BCE(sed) + 5 · MSE(doa)) on the features and \
      labels of `l3das preprocess --task 2`. Task 1: MIMO-UNet (L1) or FaSNet (MSE) on the \
      mixtures and clean speech of `l3das preprocess --task 1`. Adam and early stopping with \
      patience and an epoch cap. Recipes are in baselines/ (seldnet-l3das22, mmub-l3das22, \
      fasnet-l3das21: the official hyperparameters; seldnet-tiny, mmub-tiny: minutes on the \
      synthetic dataset). The first train_fraction of the items in id order train, the rest \
      validate.

      After every epoch the run folder gets a checkpoint (weights, optimiser and loop state, \
      replaced atomically), metrics.csv, metrics.json and loss.svg; best.safetensors and \
      best.config.json hold the best validation loss's weights, ready for `l3das predict`. \
      After a kill, --resume continues from the last checkpoint exactly as if never stopped; \
      --max-epochs or --patience may be raised on resume to train longer.
      """)

  @Option(help: "The recipe JSON, e.g. baselines/seldnet-tiny/config.json.")
  var config: String

  @Option(help: "The l3das preprocess output folder (manifest.json and shards) of a labelled split.")
  var data: String

  @Option(name: [.short, .long], help: "The run folder (checkpoints, metrics, best weights).")
  var output: String

  @Flag(help: "Continue the run in the output folder from its last checkpoint.")
  var resume = false

  @Option(help: "Override the recipe's epoch cap.")
  var maxEpochs: Int?

  @Option(help: "Override the recipe's patience (epochs without improvement).")
  var patience: Int?

  @Option(help: "Start from these weights (fine-tuning): a .safetensors file or an official L3DAS .pth checkpoint, read without running its pickle.")
  var `init`: String?

  @OptionGroup var outputOptions: OutputFormatOptions

  func validate() throws {
    try Limits.check(maxEpochs, "--max-epochs", in: 1...Limits.maxCount)
    try Limits.check(patience, "--patience", in: 1...Limits.maxCount)
  }

  func run() throws {
    HeapTuning.retainLargeAllocations()
    let url = URL(fileURLWithPath: config)
    var recipe = try TrainingRecipe.read(url)
    if let maxEpochs { recipe.maxEpochs = maxEpochs }
    if let patience { recipe.patience = patience }
    let bar = ProgressBar(
      title: "train", enabled: !outputOptions.quiet && !outputOptions.json,
      everyItem: outputOptions.verbose)
    let report = try Training.run(
      recipe: recipe, data: URL(fileURLWithPath: data, isDirectory: true),
      output: URL(fileURLWithPath: output, isDirectory: true), resume: resume,
      initialWeights: `init`.map { URL(fileURLWithPath: $0) }, progress: bar)
    if outputOptions.json {
      try Output.printJSON(report)
      return
    }
    print(
      "Trained a \(report.parameterCount)-parameter \(report.model) on \(report.trainItems) items\(report.trainRows == report.trainItems ? "" : " (\(report.trainRows) pieces)") (\(report.validationItems) validate): \(report.epochsRun) epoch\(report.epochsRun == 1 ? "" : "s") this run, stopped by \(report.stopReason)"
    )
    for epoch in report.history.suffix(5) {
      print(
        String(
          format: "  epoch %d: train %.5f, validation %.5f (%.1f s)", epoch.epoch, epoch.trainLoss,
          epoch.validationLoss, epoch.seconds))
    }
    if let best = report.bestEpoch, let loss = report.bestValidationLoss {
      print(String(format: "Best: epoch %d, validation loss %.5f → %@", best, loss, report.bestWeights))
    }
    print("Metrics: \(report.output)/metrics.csv, loss curve: \(report.output)/loss.svg")
  }
}
