public import Foundation
public import SafeTensors

/// A `state_dict` that does not fit a module: every missing, unexpected and mis-shaped tensor
/// is listed in one error.
public struct StateDictError: Error, CustomStringConvertible, Sendable, Equatable {
  public enum Code: String, Sendable {
    /// At least one tensor is missing, unexpected or of the wrong shape.
    case mismatch
    /// The file could not be read or written.
    case io
    /// A tensor holds NaN or an infinity (a diverged or corrupted checkpoint).
    case nonFinite
  }

  public var code: Code
  /// Module entries that the file lacks.
  public var missing: [String]
  /// File entries that the module does not have.
  public var unexpected: [String]
  /// Entries present in both with different shapes: name, module shape, file shape.
  public var mismatchedShapes: [String]
  /// The file involved, if any.
  public var path: String?
  /// The underlying reason for `.io`.
  public var message: String

  /// Creates an error.
  public init(
    code: Code, missing: [String] = [], unexpected: [String] = [], mismatchedShapes: [String] = [],
    path: String? = nil, message: String = ""
  ) {
    self.code = code
    self.missing = missing
    self.unexpected = unexpected
    self.mismatchedShapes = mismatchedShapes
    self.path = path
    self.message = message
  }

  public var description: String {
    if code != .mismatch {
      // A file problem, not a fit problem: say what it is without "does not fit".
      return path.map { "\($0): \(message)" } ?? message
    }
    var parts: [String] = []
    if !missing.isEmpty { parts.append("missing \(missing.count): \(missing.joined(separator: ", "))") }
    if !unexpected.isEmpty {
      parts.append("unexpected \(unexpected.count): \(unexpected.joined(separator: ", "))")
    }
    if !mismatchedShapes.isEmpty {
      parts.append("wrong shape \(mismatchedShapes.count): \(mismatchedShapes.joined(separator: ", "))")
    }
    if !message.isEmpty { parts.append(message) }
    let body = "state_dict does not fit the module: " + parts.joined(separator: "; ")
    return path.map { "\($0): \(body)" } ?? body
  }
}

extension Module {
  /// Loads every parameter and buffer from a safetensors file keyed by PyTorch `state_dict`
  /// names, strictly: the file must hold exactly the module's entries with the same shapes
  /// (PyTorch's `load_state_dict(strict=True)`). Nothing is changed when it throws.
  ///
  /// - Parameter prefix: prepended to every module name when looking it up (e.g. `"cnn.0."` to
  ///   load one block out of a whole-model file); with a prefix, file entries outside it are
  ///   ignored rather than reported as unexpected.
  /// - Throws: ``StateDictError`` listing all missing, unexpected and mis-shaped tensors.
  public func loadStateDict(from file: SafeTensorsFile, prefix: String = "") throws {
    let entries = stateDict()
    var missing: [String] = []
    var mismatched: [String] = []
    for (name, tensor) in entries {
      guard let info = file.info(prefix + name) else {
        missing.append(prefix + name)
        continue
      }
      if info.shape != tensor.shape {
        mismatched.append("\(prefix + name) (module \(tensor.shape), file \(info.shape))")
      }
    }
    let known = Set(entries.map { prefix + $0.name })
    let unexpected = file.names.filter { $0.hasPrefix(prefix) && !known.contains($0) }
    guard missing.isEmpty, unexpected.isEmpty, mismatched.isEmpty else {
      throw StateDictError(
        code: .mismatch, missing: missing, unexpected: unexpected, mismatchedShapes: mismatched,
        path: file.path, message: "")
    }
    var values: [[Scalar]] = []
    for (name, _) in entries {
      do {
        values.append(try file.doubles(prefix + name).map { Scalar($0) })
      } catch {
        throw StateDictError(
          code: .io, missing: [], unexpected: [], mismatchedShapes: [], path: file.path,
          message: "cannot read tensor \(prefix + name): \(error)")
      }
      if let bad = values[values.count - 1].firstIndex(where: { !$0.isFinite }) {
        throw StateDictError(
          code: .nonFinite, missing: [], unexpected: [], mismatchedShapes: [], path: file.path,
          message: "tensor \(prefix + name) holds \(values[values.count - 1][bad]) at element \(bad); the weights are corrupted or the training diverged, so they are not used")
      }
    }
    for ((_, tensor), v) in zip(entries, values) { tensor.scalars = v }
  }

  /// Reads `url` (safetensors, or a `torch.save` checkpoint such as an official L3DAS `.pth`:
  /// see ``StateDictFile``) and loads it with ``loadStateDict(from:prefix:)``.
  public func loadStateDict(contentsOf url: URL, prefix: String = "") throws {
    let file: SafeTensorsFile
    do {
      file = try StateDictFile.read(url)
    } catch {
      throw StateDictError(
        code: .io, missing: [], unexpected: [], mismatchedShapes: [], path: url.path,
        message: "cannot read the weights: \((error as? SafeTensorsError)?.message ?? "\(error)")")
    }
    try loadStateDict(from: file, prefix: prefix)
  }

  /// Atomically writes the `state_dict` as safetensors: F32 tensors (F64 for `Double`
  /// modules) and `num_batches_tracked` as I64, the layout PyTorch's
  /// `safetensors.torch.save_file(model.state_dict())` produces.
  public func saveStateDict(to url: URL, metadata: [String: String] = ["format": "pt"]) throws {
    var tensors: [String: SafeTensorsWriter.Tensor] = [:]
    for (name, tensor) in stateDict() {
      if name.hasSuffix("num_batches_tracked") {
        tensors[name] = .init(tensor.scalars.map { Int64($0) }, shape: tensor.shape)
      } else if Scalar.self == Double.self {
        tensors[name] = .init(tensor.scalars.map { Double($0) }, shape: tensor.shape)
      } else {
        tensors[name] = .init(tensor.scalars.map { Float($0) }, shape: tensor.shape)
      }
    }
    do {
      try SafeTensorsWriter.write(tensors, metadata: metadata, to: url)
    } catch {
      throw StateDictError(
        code: .io, missing: [], unexpected: [], mismatchedShapes: [], path: url.path,
        message: "cannot write the weights: \((error as? SafeTensorsError)?.message ?? "\(error)")")
    }
  }
}
