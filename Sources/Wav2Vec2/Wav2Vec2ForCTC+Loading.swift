import NN
public import SafeTensors

extension Wav2Vec2ForCTC {
  /// The `state_dict` name of the positional convolution's weight, stored in checkpoints as a
  /// weight-normalised pair (g, v).
  static var positionalWeightName: String { "wav2vec2.encoder.pos_conv_embed.conv.weight" }

  /// Checkpoint entries that the CTC model does not use (the pre-training mask embedding).
  public static var ignoredEntries: Set<String> { ["wav2vec2.masked_spec_embed"] }

  /// Loads transformers' `state_dict` of a `Wav2Vec2ForCTC` / `Wav2Vec2ForMaskedLM`, strictly,
  /// and makes every parameter a constant (no gradients, so inference records no graph).
  ///
  /// The positional convolution's weight norm (dim 2) is folded: g and v are read under either
  /// name pair, `…conv.weight_g`/`weight_v` (the hub checkpoints) or
  /// `…conv.parametrizations.weight.original0`/`original1` (current PyTorch), and the weight
  /// becomes g·v/‖v‖ (``WeightNorm``). `wav2vec2.masked_spec_embed` is ignored.
  /// - Throws: `StateDictError` listing every missing, unexpected and mis-shaped tensor; nothing
  ///   is changed then.
  public func load(from file: SafeTensorsFile) throws {
    let entries = stateDict()
    var missing: [String] = []
    var mismatched: [String] = []
    var consumed = Self.ignoredEntries
    var values: [[Scalar]] = []
    func read(_ name: String) throws -> [Scalar] {
      do {
        // Float models read Float directly: no Double copy of 94 M parameters.
        if Scalar.self == Float.self, let values = try file.floats(name) as? [Scalar] { return values }
        return try file.doubles(name).map { Scalar($0) }
      } catch {
        throw StateDictError(
          code: .io, missing: [], unexpected: [], mismatchedShapes: [], path: file.path, message: "\(error)")
      }
    }
    for (name, tensor) in entries {
      if name == Self.positionalWeightName {
        let prefix = String(name.dropLast("weight".count))
        guard let pair = WeightNorm.parameterNames(prefix: prefix).first(where: { file.contains($0.g) && file.contains($0.v) }),
          let gInfo = file.info(pair.g), let vInfo = file.info(pair.v)
        else {
          missing.append("\(prefix)weight_g / weight_v (or parametrizations.weight.original0 / original1)")
          values.append([])
          continue
        }
        consumed.formUnion([pair.g, pair.v])
        guard vInfo.shape == tensor.shape, gInfo.elementCount == tensor.shape[2] else {
          mismatched.append("\(pair.v) (module \(tensor.shape), file \(vInfo.shape), g \(gInfo.shape))")
          values.append([])
          continue
        }
        let g = Tensor<Scalar>(shape: [gInfo.elementCount], scalars: try read(pair.g))
        let v = Tensor<Scalar>(shape: vInfo.shape, scalars: try read(pair.v))
        values.append(WeightNorm.fold(g: g, v: v, dim: 2).scalars)
        continue
      }
      consumed.insert(name)
      guard let info = file.info(name) else {
        missing.append(name)
        values.append([])
        continue
      }
      guard info.shape == tensor.shape else {
        mismatched.append("\(name) (module \(tensor.shape), file \(info.shape))")
        values.append([])
        continue
      }
      values.append(try read(name))
    }
    let unexpected = file.names.filter { !consumed.contains($0) }
    guard missing.isEmpty, unexpected.isEmpty, mismatched.isEmpty else {
      throw StateDictError(
        code: .mismatch, missing: missing, unexpected: unexpected, mismatchedShapes: mismatched,
        path: file.path, message: "")
    }
    for ((_, tensor), v) in zip(entries, values) {
      tensor.scalars = v
      tensor.setRequiresGrad(false)
    }
    eval()
  }
}
