/// Weight normalisation, PyTorch `torch.nn.utils.weight_norm` (and its parametrization form):
/// a weight stored as a magnitude `g` and a direction `v`, `w = g · v / ‖v‖`, the norm taken
/// over every axis except `dim`.
///
/// Checkpoints name the two tensors `<name>_g` / `<name>_v` (the old hook) or
/// `parametrizations.<name>.original0` / `original1` (PyTorch ≥ 2.1); both mean g and v. For
/// inference the weight is computed once at load time ("folded").
public enum WeightNorm {
  /// The PyTorch names of g and v for the weight `name` of a module at `prefix` (for example
  /// `"encoder.pos_conv_embed.conv."` and `"weight"`), in both conventions.
  public static func parameterNames(prefix: String, name: String = "weight")
    -> [(g: String, v: String)]
  {
    [
      ("\(prefix)\(name)_g", "\(prefix)\(name)_v"),
      ("\(prefix)parametrizations.\(name).original0", "\(prefix)parametrizations.\(name).original1"),
    ]
  }

  /// `g · v / ‖v‖` with the norm over all axes of `v` except `dim`.
  ///
  /// - Parameters:
  ///   - g: the magnitude, one value per index of `v`'s axis `dim` (shape `[1, …, v.shape[dim],
  ///     …, 1]` in checkpoints; any shape with that many values).
  ///   - v: the direction.
  ///   - dim: the axis kept (PyTorch's `dim`; 0 for Linear/Conv by default, 2 for wav2vec2's
  ///     positional convolution).
  /// - Returns: the weight, shaped like `v`. A slice of `v` that is all zero gives zeros (not NaN).
  public static func fold<S: NNScalar>(g: Tensor<S>, v: Tensor<S>, dim: Int) -> Tensor<S> {
    precondition(dim >= 0 && dim < v.rank, "weight norm: dim \(dim) outside \(v.shape)")
    let axis = v.shape[dim]
    precondition(g.count == axis, "weight norm: g has \(g.count) values, v's axis \(dim) has \(axis)")
    let inner = v.shape[(dim + 1)...].reduce(1, *)
    let outer = v.shape[..<dim].reduce(1, *)
    var norms = [Double](repeating: 0, count: axis)
    let values = v.scalars
    for o in 0..<outer {
      for a in 0..<axis {
        let base = (o * axis + a) * inner
        for i in 0..<inner {
          let x = Double(values[base + i])
          norms[a] += x * x
        }
      }
    }
    let scales = (0..<axis).map { a in norms[a] > 0 ? Double(g.scalars[a]) / norms[a].squareRoot() : 0 }
    var w = values
    for o in 0..<outer {
      for a in 0..<axis {
        let base = (o * axis + a) * inner
        let s = scales[a]
        for i in 0..<inner { w[base + i] = S(Double(values[base + i]) * s) }
      }
    }
    return Tensor(shape: v.shape, scalars: w)
  }
}
