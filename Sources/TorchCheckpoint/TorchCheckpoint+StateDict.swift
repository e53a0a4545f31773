public import SafeTensors

extension TorchCheckpoint {
  /// The keys of the saved object when it is a dict (`model_state_dict`, `optimizer_state_dict`,
  /// … for a training checkpoint), else empty.
  public var topLevelKeys: [String] {
    guard case .dict(let dict) = root else { return [] }
    return dict.entries.map { Self.describe($0.key) }
  }

  /// The dict keys under which a training checkpoint keeps the model's weights, tried in order.
  public static let modelStateDictKeys = ["model_state_dict", "state_dict", "model"]

  /// The model's `state_dict` as an in-memory safetensors file, so that everything that loads
  /// safetensors loads it unchanged.
  ///
  /// The saved object is either the `state_dict` itself (an `OrderedDict` of tensors, as in a
  /// hub `pytorch_model.bin`) or a training checkpoint that holds it under one of
  /// ``modelStateDictKeys`` (the official L3DAS `{model_state_dict, optimizer_state_dict,
  /// state}`). A `module.` prefix on every name (a model saved from `nn.DataParallel`) is
  /// removed. Views are copied out contiguously; element types are kept.
  /// - Throws: ``TorchCheckpointError`` `.noStateDict` naming the keys found when there is no
  ///   dict of tensors there.
  public func stateDict() throws -> SafeTensorsFile {
    var candidate = root
    if case .dict(let dict) = root {
      for key in Self.modelStateDictKeys {
        if let value = dict.value(forKey: key), case .dict = value {
          candidate = value
          break
        }
      }
    }
    guard case .dict(let dict) = candidate, !dict.entries.isEmpty else {
      throw error(
        .noStateDict,
        "no state_dict of tensors: the saved object is a \(root.kind)\(topLevelKeys.isEmpty ? "" : " with keys \(topLevelKeys.prefix(8).joined(separator: ", "))")")
    }
    var tensors: [(String, TorchTensor)] = []
    for (key, value) in dict.entries {
      guard case .string(let name) = key, case .tensor(let tensor) = value else {
        throw error(
          .noStateDict,
          "the state_dict entry \(Self.describe(key)) is a \(value.kind), not a tensor (keys: \(topLevelKeys.prefix(8).joined(separator: ", ")))")
      }
      tensors.append((name, tensor))
    }
    let prefix = "module."
    if tensors.allSatisfy({ $0.0.hasPrefix(prefix) }) {
      tensors = tensors.map { (String($0.0.dropFirst(prefix.count)), $0.1) }
    }
    var encoded: [String: SafeTensorsWriter.Tensor] = [:]
    for (name, tensor) in tensors {
      guard encoded[name] == nil else { throw error(.noStateDict, "the state_dict names \(name) twice") }
      guard let bytes = storages[tensor.storage.key] else {
        throw error(.truncated, "tensor \(name): storage \(tensor.storage.key) has no data")
      }
      let contiguous = bytes.withUnsafeBytes { tensor.contiguousBytes(from: $0) }
      encoded[name] = SafeTensorsWriter.Tensor(
        dtype: tensor.dtype, shape: tensor.shape, littleEndianBytes: contiguous)
    }
    do {
      let data = try SafeTensorsWriter.encode(encoded, metadata: ["format": "pt"], path: path)
      return try SafeTensorsFile(bytes: data, path: path)
    } catch let failure as SafeTensorsError {
      throw error(.invalidTensor, failure.message)
    }
  }

  private func error(_ code: TorchCheckpointErrorCode, _ message: String) -> TorchCheckpointError {
    TorchCheckpointError(code, message, path: path)
  }

  private static func describe(_ key: PickleValue) -> String {
    switch key {
    case .string(let s): s
    case .int(let i): String(i)
    default: "<\(key.kind)>"
    }
  }
}
