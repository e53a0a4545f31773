import ArgumentParser
import Foundation
import Pipelines

/// `l3das parity`: check a model port (or a converted checkpoint) against PyTorch's numbers.
struct Parity: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Compare a baseline model with PyTorch on a fixture set.",
    discussion: """
      PREFIX names a fixture set in the shared format: PREFIX.config.json (the PyTorch class \
      and its constructor arguments), PREFIX.weights.safetensors (the state_dict), \
      PREFIX.io.safetensors (input, further model inputs such as FaSNet's num_mic or the \
      audio-visual models' images, outputs, loss weights R.<output>) and, optionally, \
      PREFIX.grads.safetensors (grad.<parameter>, grad.input, grad.images). The model is built from the \
      configuration, loads the weights, runs forward in eval mode and backward of \
      L = sum over outputs of sum(output * R.output), and every output and gradient is \
      compared: error = max|ours - PyTorch| / max|PyTorch|.

      Supported classes: Seldnet_augmented, Seldnet_vanilla, FaSNet_origin, FaSNet_TAC \
      (fixed geometry, num_mic = [0]), MIMO_UNet_Beamforming (MMUB), and the L3DAS23 \
      audio-visual audiovisual_Seldnet_augmented and audiovisual_MIMO_UNet_Beamforming. The exit \
      status is 0 \
      when every error is within its tolerance, 1 otherwise.
      """)

  @Argument(help: "The fixture set's path without the .config.json suffix.")
  var prefix: String

  @Option(help: "The largest accepted output (and loss) error.")
  var outputTolerance: Double = 1e-4

  @Option(help: "The largest accepted parameter- or input-gradient error.")
  var gradientTolerance: Double = 1e-3

  @Flag(help: "Print one JSON object (outputs, gradients and input_gradient maxima, per-tensor errors).")
  var json = false

  func validate() throws {
    try Limits.check(outputTolerance, "--output-tolerance", in: 1e-300...1e300)
    try Limits.check(gradientTolerance, "--gradient-tolerance", in: 1e-300...1e300)
  }

  func run() throws {
    let report = try ParityCheck.run(
      prefix: prefix, outputTolerance: outputTolerance, gradientTolerance: gradientTolerance)
    if json {
      try Output.printJSON(report)
    } else {
      print(report.text)
    }
    if !report.passed { throw ExitCode(1) }
  }
}
