// Fused neural-network operations: affine map, pooling, dropout, PReLU and losses.
internal import TensorModule

/// `values[i]·scale` where `keep[i]`, else 0, in one pass.
@_specialize(where S == Float)
@_specialize(where S == Double)
func scaledWhere<S: NNScalar>(_ values: [S], _ keep: [Bool], _ scale: S) -> [S] {
  values.withUnsafeBufferPointer { pv in
    keep.withUnsafeBufferPointer { pk in
      [S](unsafeUninitializedCapacity: pv.count) { out, initialized in
        for i in 0..<pv.count { out[i] = pk[i] ? pv[i] * scale : 0 }
        initialized = pv.count
      }
    }
  }
}

/// `count` draws of "keep" (probability 1 − p), from the top 53 bits of each SplitMix64 output.
func bernoulliKeepMask(count: Int, dropProbability p: Double, generator rng: inout SplitMix64)
  -> [Bool]
{
  var keep = [Bool](repeating: false, count: count)
  for i in 0..<count { keep[i] = Double(rng.next() >> 11) * 0x1p-53 >= p }
  return keep
}

extension Tensor {
  /// `self · weightᵀ + bias` over the last axis, PyTorch `F.linear`: `self` `[*, in]`,
  /// `weight` `[out, in]`, `bias` `[out]` → `[*, out]`. One GEMM for all leading positions.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func linear(weight: Tensor, bias: Tensor?) -> Tensor {
    let inFeatures = shape.last ?? 1
    precondition(
      weight.rank == 2 && weight.shape[1] == inFeatures,
      "linear: input \(shape) does not match weight \(weight.shape)")
    let outFeatures = weight.shape[0]
    let rows = count / max(inFeatures, 1)
    let x = scalars
    let w = weight.scalars
    let y = gemmArrays(
      x, transA: false, lda: inFeatures, w, transB: true, ldb: inFeatures, m: rows,
      n: outFeatures, k: inFeatures, addingRow: bias?.scalars)
    let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
    return Tensor.record(
      shape: Array(shape.dropLast()) + [outFeatures], scalars: y, inputs: inputs
    ) { g, needs in
      let gx =
        needs[0]
        ? gemmArrays(
          g, transA: false, lda: outFeatures, w, transB: false, ldb: inFeatures, m: rows,
          n: inFeatures, k: outFeatures) : nil
      let gw =
        needs[1]
        ? gemmArrays(
          g, transA: true, lda: outFeatures, x, transB: false, ldb: inFeatures, m: outFeatures,
          n: inFeatures, k: rows) : nil
      guard needs.count > 2 else { return [gx, gw] }
      return [gx, gw, needs[2] ? reduceSum(g, shape: [rows, outFeatures], to: [1, outFeatures]) : nil]
    }
  }

  /// Max pooling over `[N, C, H, W]`, PyTorch `F.max_pool2d` without padding, floor mode:
  /// trailing rows and columns that do not fill a window are dropped. The gradient goes to the
  /// first maximum of each window in scan order.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func maxPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil) -> Tensor {
    precondition(rank == 4, "maxPool2d needs [N,C,H,W] input, got \(shape)")
    let (sh, sw) = stride ?? kernel
    let (kh, kw) = kernel
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
    let outH = (h - kh) / sh + 1
    let outW = (w - kw) / sw + 1
    precondition(outH > 0 && outW > 0, "maxPool2d: window \(kernel) larger than input \(shape)")
    var y = [Scalar](repeating: 0, count: n * c * outH * outW)
    var argmax = [Int](repeating: 0, count: y.count)
    scalars.withUnsafeBufferPointer { px in
      y.withUnsafeMutableBufferPointer { py in
        argmax.withUnsafeMutableBufferPointer { pa in
          let values = SharedPointers(
            input: UnsafeMutablePointer(mutating: px.baseAddress!), output: py.baseAddress!)
          let winners = UnsafeSendablePointer(pa.baseAddress!)
          forEachChannel(n * c, work: count) { plane in
            let src = plane * h * w
            for oy in 0..<outH {
              for ox in 0..<outW {
                var best = -Scalar.infinity
                var at = src + oy * sh * w + ox * sw
                scan: for ky in 0..<kh {
                  let row = src + (oy * sh + ky) * w + ox * sw
                  for kx in 0..<kw {
                    let v = values.input[row + kx]
                    if v > best || v.isNaN {
                      best = v
                      at = row + kx
                      if v.isNaN { break scan }  // NaN propagates, as in PyTorch
                    }
                  }
                }
                let o = (plane * outH + oy) * outW + ox
                values.output[o] = best
                winners.pointer[o] = at
              }
            }
          }
        }
      }
    }
    let total = count
    return Tensor.record(shape: [n, c, outH, outW], scalars: y, inputs: [self]) { g, _ in
      var gx = [Scalar](repeating: 0, count: total)
      for (o, i) in argmax.enumerated() { gx[i] += g[o] }
      return [gx]
    }
  }

  /// Elementwise dropout, PyTorch `F.dropout`: in training, each element is zeroed with
  /// probability `p` and survivors are scaled by 1/(1−p); otherwise the identity.
  public func dropout(
    probability p: Double, training: Bool, using rng: inout some RandomNumberGenerator
  ) -> Tensor {
    precondition(p >= 0 && p <= 1, "dropout probability must be in [0, 1]")
    guard training, p > 0 else { return self }
    var keep = [Bool](repeating: false, count: count)
    // U[0, 1) from the top 53 bits of each draw.
    for i in 0..<keep.count { keep[i] = Double(rng.next() >> 11) * 0x1p-53 >= p }
    return masked(keep: keep, scale: p < 1 ? 1 / (1 - p) : 0)
  }

  /// ``dropout(probability:training:using:)`` with the package's own generator (a concrete type,
  /// so the mask loop needs no generic dispatch); the same masks for the same generator state.
  func dropout(probability p: Double, training: Bool, generator rng: inout SplitMix64) -> Tensor {
    precondition(p >= 0 && p <= 1, "dropout probability must be in [0, 1]")
    guard training, p > 0 else { return self }
    let keep = bernoulliKeepMask(count: count, dropProbability: p, generator: &rng)
    return masked(keep: keep, scale: p < 1 ? 1 / (1 - p) : 0)
  }

  /// `self ⊙ mask · scale` where `mask` is 0/1 (the dropout product).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  func masked(keep: [Bool], scale: Double) -> Tensor {
    let s = Scalar(scale)
    let y = scaledWhere(scalars, keep, s)
    return Tensor.record(shape: shape, scalars: y, inputs: [self]) { g, _ in
      [scaledWhere(g, keep, s)]
    }
  }

  /// PReLU, PyTorch `F.prelu`: x for x > 0, else a·x, with one slope shared by all channels
  /// (`weight` `[1]`) or one per channel of axis 1 (`weight` `[C]`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func prelu(weight: Tensor) -> Tensor {
    let perChannel = weight.count > 1
    precondition(!perChannel || (rank >= 2 && shape[1] == weight.count), "prelu: weight \(weight.shape) for input \(shape)")
    let inner = rank >= 2 ? shape[2...].reduce(1, *) : 1
    let channels = rank >= 2 ? shape[1] : 1
    let a = weight.scalars
    let x = scalars
    var y = x
    for i in 0..<y.count where y[i] <= 0 { y[i] *= a[perChannel ? (i / inner) % channels : 0] }
    let weightCount = weight.count
    return Tensor.record(shape: shape, scalars: y, inputs: [self, weight]) { g, needs in
      var gx = g
      var ga = [Scalar](repeating: 0, count: weightCount)
      for i in 0..<x.count where x[i] <= 0 {
        let ch = perChannel ? (i / inner) % channels : 0
        gx[i] = g[i] * a[ch]
        ga[ch] += g[i] * x[i]
      }
      return [needs[0] ? gx : nil, needs[1] ? ga : nil]
    }
  }
}

/// Mean absolute error, PyTorch `L1Loss()` (mean over every element).
@_specialize(where S == Float)
@_specialize(where S == Double)
public func l1Loss<S>(_ prediction: Tensor<S>, _ target: Tensor<S>) -> Tensor<S> {
  (prediction - target).abs().mean()
}

/// Mean squared error, PyTorch `MSELoss()`.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func mseLoss<S>(_ prediction: Tensor<S>, _ target: Tensor<S>) -> Tensor<S> {
  (prediction - target).squared().mean()
}

/// Binary cross-entropy on probabilities, PyTorch `BCELoss()`:
/// mean −[t·log p + (1−t)·log(1−p)] with each log clamped to ≥ −100. Differentiable in the
/// prediction only; the gradient is (p − t)/max(p(1−p), 1e-12)/count, as PyTorch's.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func bceLoss<S>(_ prediction: Tensor<S>, _ target: Tensor<S>) -> Tensor<S> {
  precondition(prediction.shape == target.shape, "bceLoss: shapes \(prediction.shape) and \(target.shape) differ")
  let p = prediction.scalars
  let t = target.scalars
  var total: S = 0
  for i in 0..<p.count {
    let logP = max(S.log(p[i]), -100)
    let log1mP = max(S.log(1 - p[i]), -100)
    total -= t[i] * logP + (1 - t[i]) * log1mP
  }
  let n = S(max(p.count, 1))
  return Tensor.record(shape: [], scalars: [total / n], inputs: [prediction]) { g, _ in
    var gp = [S](repeating: 0, count: p.count)
    for i in 0..<p.count {
      gp[i] = g[0] * (p[i] - t[i]) / max((1 - p[i]) * p[i], 1e-12) / n
    }
    return [gp]
  }
}
