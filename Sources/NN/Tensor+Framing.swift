// Framing along the last axis (PyTorch `gather`/`unfold`-style chunking and its adjoint, the
// overlap-add), per-row sliding correlation, and a square root with PyTorch's `norm` gradient
// convention. All differentiable; FaSNet's framing, cosine features and filtering use them.

extension Tensor {
  /// Frames of `length` consecutive elements along the last axis, frame f starting at
  /// `starts[f]`: `[…, T]` → `[…, starts.count, length]`. Every frame must lie inside `[0, T)`.
  ///
  /// The gradient adds each frame's gradient back at its position (the overlap-add
  /// ``overlapAdd(starts:length:)``).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func frames(length: Int, starts: [Int]) -> Tensor {
    precondition(rank >= 1 && length >= 1, "frames needs a tensor with a last axis and length ≥ 1")
    let t = shape[rank - 1]
    precondition(
      starts.allSatisfy { $0 >= 0 && $0 + length <= t },
      "frames of \(length) at \(starts.min() ?? 0)…\(starts.max() ?? 0) do not fit an axis of \(t)")
    let rows = count / Swift.max(t, 1)
    let n = starts.count
    var out = [Scalar](repeating: 0, count: rows * n * length)
    scalars.withUnsafeBufferPointer { px in
      out.withUnsafeMutableBufferPointer { po in
        for r in 0..<rows {
          for (f, s) in starts.enumerated() {
            (po.baseAddress! + (r * n + f) * length).update(
              from: px.baseAddress! + r * t + s, count: length)
          }
        }
      }
    }
    return Tensor.record(
      shape: Array(shape.dropLast()) + [n, length], scalars: out, inputs: [self]
    ) {
      g, _ in [Self.addFrames(g, rows: rows, starts: starts, frameLength: length, into: t)]
    }
  }

  /// Overlap-add of frames `[…, F, n]` into `[…, length]`, frame f added from position
  /// `starts[f]` on, with no window and no normalisation. Every frame must lie inside
  /// `[0, length)`; positions no frame covers are zero.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func overlapAdd(starts: [Int], length: Int) -> Tensor {
    precondition(
      rank >= 2 && shape[rank - 2] == starts.count,
      "overlapAdd: \(shape) does not hold \(starts.count) frames")
    let n = shape[rank - 1]
    precondition(
      starts.allSatisfy { $0 >= 0 && $0 + n <= length },
      "overlapAdd: frames of \(n) at \(starts.min() ?? 0)…\(starts.max() ?? 0) do not fit \(length)"
    )
    let rows = count / Swift.max(starts.count * n, 1)
    let out = Self.addFrames(scalars, rows: rows, starts: starts, frameLength: n, into: length)
    return Tensor.record(shape: Array(shape.dropLast(2)) + [length], scalars: out, inputs: [self]) {
      g, _ in
      var gx = [Scalar](repeating: 0, count: rows * starts.count * n)
      g.withUnsafeBufferPointer { pg in
        gx.withUnsafeMutableBufferPointer { po in
          for r in 0..<rows {
            for (f, s) in starts.enumerated() {
              (po.baseAddress! + (r * starts.count + f) * n).update(
                from: pg.baseAddress! + r * length + s, count: n)
            }
          }
        }
      }
      return [gx]
    }
  }

  /// Adds `rows × starts.count` frames of `frameLength` into `rows` signals of `length`.
  static func addFrames(
    _ values: [Scalar], rows: Int, starts: [Int], frameLength n: Int, into length: Int
  )
    -> [Scalar]
  {
    var out = [Scalar](repeating: 0, count: rows * length)
    values.withUnsafeBufferPointer { pv in
      out.withUnsafeMutableBufferPointer { po in
        for r in 0..<rows {
          for (f, s) in starts.enumerated() {
            let src = pv.baseAddress! + (r * starts.count + f) * n
            let dst = po.baseAddress! + r * length + s
            for j in 0..<n { dst[j] += src[j] }
          }
        }
      }
    }
    return out
  }

  /// Sliding correlation of every row with its own kernel (PyTorch `F.conv1d` with one group
  /// per row): `self` `[…, Lr]`, `kernel` `[…, Lk]` with the same number of rows, Lk ≤ Lr →
  /// `[…, Lr − Lk + 1]`, out[r, k] = Σ_j self[r, k + j] · kernel[r, j]. Differentiable in both.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func rowCorrelation(_ kernel: Tensor) -> Tensor {
    let lr = shape[rank - 1]
    let lk = kernel.shape[kernel.rank - 1]
    let rows = count / Swift.max(lr, 1)
    precondition(
      lk >= 1 && lk <= lr && kernel.count == rows * lk,
      "rowCorrelation: \(shape) and kernel \(kernel.shape) need equal rows and kernel ≤ signal")
    let lags = lr - lk + 1
    let x = scalars
    let w = kernel.scalars
    var out = [Scalar](repeating: 0, count: rows * lags)
    x.withUnsafeBufferPointer { px in
      w.withUnsafeBufferPointer { pw in
        out.withUnsafeMutableBufferPointer { po in
          forEachRowBlock(rows, work: rows * lags * lk) { block in
            for r in block {
              let xr = px.baseAddress! + r * lr
              let wr = pw.baseAddress! + r * lk
              // out[k] = Σ_j x[k+j]·w[j], accumulated j by j over all lags at once (the same
              // order of additions per output as a dot product, but a vectorisable inner loop).
              let orow = po.baseAddress! + r * lags
              for j in 0..<lk {
                let wj = wr[j]
                let xj = xr + j
                for k in 0..<lags { orow[k] += xj[k] * wj }
              }
            }
          }
        }
      }
    }
    return Tensor.record(
      shape: Array(shape.dropLast()) + [lags], scalars: out, inputs: [self, kernel]
    ) {
      g, needs in
      var gx: [Scalar]?
      var gw: [Scalar]?
      g.withUnsafeBufferPointer { pg in
        if needs[0] {
          var d = [Scalar](repeating: 0, count: rows * lr)
          w.withUnsafeBufferPointer { pw in
            d.withUnsafeMutableBufferPointer { pd in
              forEachRowBlock(rows, work: rows * lags * lk) { block in
                for r in block {
                  let wr = pw.baseAddress! + r * lk
                  let dr = pd.baseAddress! + r * lr
                  for k in 0..<lags {
                    let gk = pg[r * lags + k]
                    for j in 0..<lk { dr[k + j] += gk * wr[j] }
                  }
                }
              }
            }
          }
          gx = d
        }
        if needs[1] {
          var d = [Scalar](repeating: 0, count: rows * lk)
          x.withUnsafeBufferPointer { px in
            d.withUnsafeMutableBufferPointer { pd in
              forEachRowBlock(rows, work: rows * lags * lk) { block in
                for r in block {
                  let xr = px.baseAddress! + r * lr
                  let dr = pd.baseAddress! + r * lk
                  for k in 0..<lags {
                    let gk = pg[r * lags + k]
                    for j in 0..<lk { dr[j] += gk * xr[k + j] }
                  }
                }
              }
            }
          }
          gw = d
        }
      }
      return [gx, gw]
    }
  }

  /// The square root with derivative 0 where the result is 0, the convention of PyTorch's
  /// `norm` backward (plain `sqrt` gives 0·∞ = NaN there).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func sqrtZeroGradientAtZero() -> Tensor {
    pointwise({ $0.squareRoot() }, saving: .output) { _, y in y == 0 ? 0 : 1 / (2 * y) }
  }
}
