import Foundation
import Models
import NN
import SafeTensors

/// `l3das parity PREFIX`: runs a baseline model on a fixture set in the shared format and
/// compares it with PyTorch.
///
/// A fixture set is `PREFIX.config.json` (the PyTorch class name and constructor arguments, the
/// output names), `PREFIX.weights.safetensors` (the `state_dict`), `PREFIX.io.safetensors`
/// (`input`, further model inputs such as FaSNet's `num_mic` or the audio-visual models'
/// `images`, each output and its loss weight `R.<output>`) and optionally
/// `PREFIX.grads.safetensors` (`grad.<parameter>`, `grad.input`, `grad.images`). The model runs
/// in eval mode;
/// the scalar loss is Σ over outputs of sum(output ⊙ R.output), and its gradients are compared.
/// Errors are max |ours − PyTorch| / max |PyTorch| per tensor.
public enum ParityCheck {
  /// The comparison, in the shape `--json` prints.
  public struct Report: Codable, Sendable {
    /// The PyTorch class of the fixture (`Seldnet_augmented`, …).
    public var model: String
    public var parameterCount: Int
    /// The worst output error.
    public var outputs: Double
    /// The worst parameter-gradient error (nil without a gradient file).
    public var gradients: Double?
    /// The worst input-gradient error (nil without a gradient file).
    public var inputGradient: Double?
    /// The error of each input's gradient (`input`, and `images` for the audio-visual models).
    public var perInputGradient: [String: Double] = [:]
    public var perOutput: [String: Double]
    public var perGradient: [String: Double]
    /// |our loss − PyTorch's| / max(1, |PyTorch's|), when the fixture stores the loss.
    public var loss: Double?
    public var outputTolerance: Double
    public var gradientTolerance: Double

    /// Whether every error is within its tolerance.
    public var passed: Bool {
      outputs <= outputTolerance && (loss ?? 0) <= outputTolerance
        && (gradients ?? 0) <= gradientTolerance && (inputGradient ?? 0) <= gradientTolerance
    }

    enum CodingKeys: String, CodingKey {
      case model, outputs, gradients, loss, passed
      case parameterCount = "parameter_count"
      case inputGradient = "input_gradient"
      case perOutput = "per_output"
      case perGradient = "per_gradient"
      case perInputGradient = "per_input_gradient"
      case outputTolerance = "output_tolerance"
      case gradientTolerance = "gradient_tolerance"
    }

    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      model = try c.decode(String.self, forKey: .model)
      parameterCount = try c.decode(Int.self, forKey: .parameterCount)
      outputs = try c.decode(Double.self, forKey: .outputs)
      gradients = try c.decodeIfPresent(Double.self, forKey: .gradients)
      inputGradient = try c.decodeIfPresent(Double.self, forKey: .inputGradient)
      perOutput = try c.decode([String: Double].self, forKey: .perOutput)
      perGradient = try c.decode([String: Double].self, forKey: .perGradient)
      perInputGradient = try c.decodeIfPresent([String: Double].self, forKey: .perInputGradient) ?? [:]
      loss = try c.decodeIfPresent(Double.self, forKey: .loss)
      outputTolerance = try c.decode(Double.self, forKey: .outputTolerance)
      gradientTolerance = try c.decode(Double.self, forKey: .gradientTolerance)
    }

    public func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(model, forKey: .model)
      try c.encode(parameterCount, forKey: .parameterCount)
      try c.encode(outputs, forKey: .outputs)
      try c.encode(gradients, forKey: .gradients)
      try c.encode(inputGradient, forKey: .inputGradient)
      try c.encode(perOutput, forKey: .perOutput)
      try c.encode(perGradient, forKey: .perGradient)
      try c.encode(perInputGradient, forKey: .perInputGradient)
      try c.encode(loss, forKey: .loss)
      try c.encode(outputTolerance, forKey: .outputTolerance)
      try c.encode(gradientTolerance, forKey: .gradientTolerance)
      try c.encode(passed, forKey: .passed)
    }

    /// An empty report (no tensors compared yet).
    public init(model: String, parameterCount: Int, outputTolerance: Double, gradientTolerance: Double) {
      self.model = model
      self.parameterCount = parameterCount
      self.outputs = 0
      self.perOutput = [:]
      self.perGradient = [:]
      self.outputTolerance = outputTolerance
      self.gradientTolerance = gradientTolerance
    }

    /// Human-readable lines, worst first within each group.
    public var text: String {
      // Names are padded to a common width, never cut: the longest decides.
      let width = max(36, (perOutput.keys.map(\.count) + perGradient.keys.map(\.count)).max() ?? 0)
      func line(_ name: String, _ value: Double, _ tolerance: Double) -> String {
        let mark = value <= tolerance ? "ok  " : "FAIL"
        return "  \(mark) \(name + String(repeating: " ", count: max(0, width - name.count))) "
          + String(format: "%.3e", value)
      }
      var lines = ["\(model) (\(parameterCount) parameters), eval mode"]
      lines.append("outputs (tolerance \(outputTolerance)):")
      for (name, value) in perOutput.sorted(by: { $0.value > $1.value }) {
        lines.append(line(name, value, outputTolerance))
      }
      if let loss { lines.append(line("loss", loss, outputTolerance)) }
      if let gradients, let inputGradient {
        lines.append("gradients (tolerance \(gradientTolerance)), worst \(String(format: "%.3e", gradients)):")
        if perInputGradient.isEmpty {
          lines.append(line("input", inputGradient, gradientTolerance))
        }
        for (name, value) in perInputGradient.sorted(by: { $0.key < $1.key }) {
          lines.append(line(name, value, gradientTolerance))
        }
        for (name, value) in perGradient.sorted(by: { $0.value > $1.value }).prefix(10) {
          lines.append(line(name, value, gradientTolerance))
        }
        if perGradient.count > 10 { lines.append("  … \(perGradient.count - 10) more, all within the worst above") }
      } else {
        lines.append("gradients: no \(".grads.safetensors") file, not compared")
      }
      lines.append(passed ? "PASS" : "FAIL")
      return lines.joined(separator: "\n")
    }
  }

  /// Runs the check for the fixture set at `prefix` (a path without the `.config.json` suffix).
  public static func run(
    prefix: String, outputTolerance: Double = 1e-4, gradientTolerance: Double = 1e-3
  ) throws -> Report {
    let configURL = URL(fileURLWithPath: prefix + ".config.json")
    let data: Data
    do { data = try Data(contentsOf: configURL) } catch {
      throw ParityError("\(configURL.path): cannot read the fixture configuration (\(error.localizedDescription))")
    }
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let className = object["class"] as? String
    else {
      throw ParityError("\(configURL.path): not a fixture configuration (needs a JSON object with \"class\")")
    }
    let arguments = object["constructor_args"] as? [String: Any] ?? [:]
    let outputNames = object["outputs"] as? [String] ?? []

    // The input shapes complete the audio-visual models' arguments; an unported class is
    // reported before a missing or unreadable io file.
    let ioPath = prefix + ".io.safetensors"
    let readableIO = try? readFile(ioPath)
    let model = try buildModel(
      className: className,
      arguments: ConstructorArguments.addingInputSizes(
        className: className, arguments, shapes: { readableIO?.info($0)?.shape }),
      config: configURL.path)
    // The weights may also be an official torch.save checkpoint (read without running its pickle).
    let weights = try readFile(
      [".weights.safetensors", ".weights.pth", ".weights.pt"].map { prefix + $0 }
        .first { FileManager.default.fileExists(atPath: $0) } ?? prefix + ".weights.safetensors")
    let io = try readableIO ?? readFile(ioPath)
    let gradsPath = prefix + ".grads.safetensors"
    let grads = FileManager.default.fileExists(atPath: gradsPath) ? try readFile(gradsPath) : nil

    try model.module.loadStateDict(from: weights)
    model.module.eval()
    var report = Report(
      model: className, parameterCount: model.module.parameterCount,
      outputTolerance: outputTolerance, gradientTolerance: gradientTolerance)

    let input = try tensor(io, "input", file: prefix + ".io.safetensors", requiresGrad: grads != nil)
    var extras: [String: Tensor<Float>] = [:]
    for name in model.extraInputs where io.contains(name) {
      extras[name] = try tensor(
        io, name, file: prefix + ".io.safetensors",
        requiresGrad: grads != nil && model.differentiableInputs.contains(name))
    }
    let produced = try model.forward(input, extras)
    var loss: Tensor<Float>?
    for name in outputNames.isEmpty ? produced.keys.sorted() : outputNames {
      guard let output = produced[name] else {
        throw ParityError("\(configURL.path): the fixture lists output \"\(name)\", which \(className) does not produce")
      }
      let expected = try tensor(io, name, file: prefix + ".io.safetensors")
      guard expected.shape == output.shape else {
        throw ParityError("output \(name): ours has shape \(output.shape), PyTorch's \(expected.shape)")
      }
      report.perOutput[name] = maxRelativeError(output.scalars, expected.scalars)
      if io.contains("R." + name) {
        let term = (output * (try tensor(io, "R." + name, file: prefix + ".io.safetensors"))).sum()
        loss = loss.map { $0 + term } ?? term
      }
    }
    report.outputs = report.perOutput.values.max() ?? 0
    if let loss, io.contains("loss") {
      let reference = Double(try io.floats("loss").first ?? 0)
      report.loss = abs(Double(loss.item) - reference) / max(1, abs(reference))
    }
    if let grads {
      guard let loss else {
        throw ParityError("\(prefix).io.safetensors has no R.<output> loss weights, so gradients cannot be compared")
      }
      loss.backward()
      for (name, parameter) in model.module.namedParameters() {
        let expected = try tensor(grads, "grad." + name, file: gradsPath)
        guard let gradient = parameter.grad, gradient.count == expected.count else {
          throw ParityError("grad.\(name): no gradient of PyTorch's size \(expected.shape)")
        }
        report.perGradient[name] = maxRelativeError(gradient, expected.scalars)
      }
      report.gradients = report.perGradient.values.max() ?? 0
      for (name, tensor) in [("input", input)] + extras.sorted(by: { $0.key < $1.key }) {
        guard let gradient = tensor.grad else { continue }
        report.perInputGradient[name] = maxRelativeError(
          gradient, try Self.tensor(grads, "grad." + name, file: gradsPath).scalars)
      }
      report.inputGradient = report.perInputGradient.values.max()
    }
    return report
  }

  /// A model behind a uniform interface: its module and a forward pass naming its outputs.
  /// `extraInputs` names further model inputs read from the io file when it holds them (e.g.
  /// FaSNet's `num_mic`; absent means the model's default), passed to `forward` by name; those
  /// in `differentiableInputs` get their gradients compared with `grad.<name>`.
  struct Runnable {
    var module: any Module<Float>
    var extraInputs: [String] = []
    var differentiableInputs: Set<String> = []
    var forward: (Tensor<Float>, [String: Tensor<Float>]) throws -> [String: Tensor<Float>]
  }

  static func buildModel(className: String, arguments: [String: Any], config: String) throws -> Runnable {
    /// The configuration `decode` reads, or a ParityError naming the file and class.
    func described<C>(_ decode: () throws -> C) throws -> C {
      do { return try decode() } catch {
        throw ParityError("\(config): constructor_args do not describe a \(className): \(error)")
      }
    }
    switch className {
    case "Seldnet_augmented", "Seldnet_vanilla":
      let configuration = try described { try ConstructorArguments.seldnet(className: className, arguments) }
      let model = try SELDnet(configuration)
      return Runnable(module: model) { input, _ in
        let (sed, doa) = try model.forward(input)
        return ["sed": sed, "doa": doa]
      }
    case "FaSNet_origin", "FaSNet_TAC":
      let configuration = try described { try ConstructorArguments.decode(FaSNetConfiguration.self, arguments) }
      // `num_mic` = [0.] selects the fixed-geometry path, the only one ported.
      func checkFixedGeometry(_ extras: [String: Tensor<Float>]) throws {
        if let numMic = extras["num_mic"], numMic.scalars.contains(where: { $0 != 0 }) {
          throw ModelError(
            .unsupportedModel,
            "\(config): num_mic \(numMic.scalars) selects the ad-hoc array path; only num_mic = [0] is ported")
        }
      }
      if className == "FaSNet_TAC" {
        let model = try FaSNetTAC(configuration)
        return Runnable(module: model, extraInputs: ["num_mic"]) { input, extras in
          try checkFixedGeometry(extras)
          return ["output": try model.forward(input)]
        }
      }
      let model = try FaSNet(configuration)
      return Runnable(module: model, extraInputs: ["num_mic"]) { input, extras in
        try checkFixedGeometry(extras)
        return ["output": try model.forward(input)]
      }
    case "audiovisual_Seldnet_augmented":
      let configuration = try described {
        try ConstructorArguments.decode(AudioVisualSELDnetConfiguration.self, arguments)
      }
      let model = try AudioVisualSELDnet(configuration)
      return Runnable(module: model, extraInputs: ["images"], differentiableInputs: ["images"]) { input, extras in
        let (sed, doa) = try model.forward(input, images: try requireImages(extras))
        return ["sed": sed, "doa": doa]
      }
    case "audiovisual_MIMO_UNet_Beamforming":
      let configuration = try described {
        try ConstructorArguments.decode(AudioVisualMIMOUNetConfiguration.self, arguments)
      }
      let model = try AudioVisualMIMOUNet(configuration)
      return Runnable(module: model, extraInputs: ["images"], differentiableInputs: ["images"]) { input, extras in
        ["output": try model.forward(input, images: try requireImages(extras))]
      }
    case "MMUB", "MIMO_UNet_Beamforming":
      let configuration = try described { try ConstructorArguments.decode(MIMOUNetConfiguration.self, arguments) }
      let model = try MIMOUNet(configuration)
      return Runnable(module: model) { input, _ in ["output": try model.forward(input)] }
    default:
      throw ModelError(
        .unsupportedModel,
        "\(config): \(className) is not ported yet; `l3das parity` supports Seldnet_augmented, Seldnet_vanilla, FaSNet_origin, FaSNet_TAC, MIMO_UNet_Beamforming (MMUB), audiovisual_Seldnet_augmented and audiovisual_MIMO_UNet_Beamforming")
    }
    /// The audio-visual models' second input, or a ParityError naming the io file's gap.
    func requireImages(_ extras: [String: Tensor<Float>]) throws -> Tensor<Float> {
      guard let images = extras["images"] else {
        throw ParityError("\(config): \(className) needs a second input, \"images\", in the io file")
      }
      return images
    }
  }

  static func readFile(_ path: String) throws -> SafeTensorsFile {
    guard FileManager.default.fileExists(atPath: path) else {
      throw ParityError("\(path): missing (a fixture set needs PREFIX.config.json, .weights.safetensors and .io.safetensors)")
    }
    return try StateDictFile.read(URL(fileURLWithPath: path))
  }

  static func tensor(_ file: SafeTensorsFile, _ name: String, file path: String, requiresGrad: Bool = false)
    throws -> Tensor<Float>
  {
    guard let info = file.info(name) else { throw ParityError("\(path): no tensor named \(name)") }
    return Tensor(shape: info.shape, scalars: try file.floats(name), requiresGrad: requiresGrad)
  }

  /// max |a − b| / max |b| (0 when both are zero; infinite when ours has a NaN or an infinity
  /// where PyTorch's value is finite, which `max` would otherwise skip).
  static func maxRelativeError(_ actual: [Float], _ expected: [Float]) -> Double {
    var scale = 0.0
    var worst = 0.0
    for (a, e) in zip(actual, expected) {
      if !a.isFinite && e.isFinite { return .infinity }
      scale = max(scale, abs(Double(e)))
      worst = max(worst, abs(Double(a) - Double(e)))
    }
    if actual.count != expected.count { return .infinity }
    return worst == 0 ? 0 : worst / max(scale, 1e-30)
  }
}

/// A fixture set that cannot be read or does not fit the model.
public struct ParityError: Error, CustomStringConvertible, Sendable {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
