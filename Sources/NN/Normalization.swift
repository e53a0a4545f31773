// Differentiable batch, group and layer normalisation (PyTorch semantics).
import Foundation
internal import _NNKernels

/// A raw pointer handed to parallel workers that touch disjoint elements.
struct UnsafeSendablePointer<S>: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<S>
  init(_ pointer: UnsafeMutablePointer<S>) { self.pointer = pointer }
}

/// Runs `body(channel)` for every channel, in parallel when `work` (elements touched) is large.
func forEachChannel(_ channels: Int, work: Int, _ body: @Sendable (Int) -> Void) {
  let workers = min(channels, ProcessInfo.processInfo.activeProcessorCount)
  guard work >= 1 << 16, workers > 1 else {
    for ch in 0..<channels { body(ch) }
    return
  }
  DispatchQueue.concurrentPerform(iterations: workers) { w in
    for ch in stride(from: w, to: channels, by: workers) { body(ch) }
  }
}

/// A value shared with parallel workers whose accesses the caller keeps disjoint.
struct UncheckedSendable<T>: @unchecked Sendable {
  let value: T
}

/// Runs `body` on contiguous blocks of `0..<rows`, one block per core when `work` (elements
/// touched per call) is large enough to pay for the threads; otherwise once, on all rows.
/// `body` must only write state that belongs to its rows.
func forEachRowBlock(_ rows: Int, work: Int, _ body: (Range<Int>) -> Void) {
  let workers = min(rows, ProcessInfo.processInfo.activeProcessorCount)
  guard work >= 1 << 15, workers > 1 else {
    body(0..<rows)
    return
  }
  withoutActuallyEscaping(body) { escapable in
    let shared = UncheckedSendable(value: escapable)
    DispatchQueue.concurrentPerform(iterations: workers) { w in
      shared.value((rows * w / workers)..<(rows * (w + 1) / workers))
    }
  }
}
extension Tensor {
  /// Batch normalisation over `[N, C, *]` per channel, PyTorch `F.batch_norm`.
  ///
  /// Training: normalise with the batch mean and the biased batch variance, then update
  /// `runningMean ← (1−momentum)·runningMean + momentum·mean` and `runningVariance` likewise with
  /// the unbiased variance (×n/(n−1)). Evaluation: normalise with the running statistics.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func batchNorm(
    weight: Tensor?, bias: Tensor?, runningMean: Tensor, runningVariance: Tensor,
    training: Bool, momentum: Scalar = 0.1, epsilon: Scalar = 1e-5
  ) -> Tensor {
    precondition(rank >= 2, "batchNorm needs [N, C, *] input, got \(shape)")
    let (n, c) = (shape[0], shape[1])
    let spatial = shape[2...].reduce(1, *)
    let m = n * spatial
    let x = scalars
    var meanValues = [Scalar](repeating: 0, count: c)
    var invStdValues = [Scalar](repeating: 0, count: c)
    if training {
      precondition(m > 1, "batchNorm in training needs more than one value per channel")
      var sums = [Scalar](repeating: 0, count: 2 * c)  // per channel: mean, Σ(x − mean)²
      x.withUnsafeBufferPointer { px in
        sums.withUnsafeMutableBufferPointer { ps in
          let shared = SharedPointers(
            input: UnsafeMutablePointer(mutating: px.baseAddress!), output: ps.baseAddress!)
          forEachChannel(c, work: x.count) { ch in
            var s: Scalar = 0
            for b in 0..<n {
              let row = shared.input + (b * c + ch) * spatial
              for p in 0..<spatial { s += row[p] }
            }
            let mu = s / Scalar(m)
            var v: Scalar = 0
            for b in 0..<n {
              let row = shared.input + (b * c + ch) * spatial
              for p in 0..<spatial {
                let d = row[p] - mu
                v += d * d
              }
            }
            shared.output[2 * ch] = mu
            shared.output[2 * ch + 1] = v
          }
        }
      }
      for ch in 0..<c {
        let (mu, v) = (sums[2 * ch], sums[2 * ch + 1])
        meanValues[ch] = mu
        invStdValues[ch] = 1 / (v / Scalar(m) + epsilon).squareRoot()
        runningMean.scalars[ch] = (1 - momentum) * runningMean.scalars[ch] + momentum * mu
        runningVariance.scalars[ch] =
          (1 - momentum) * runningVariance.scalars[ch] + momentum * v / Scalar(m - 1)
      }
    } else {
      for ch in 0..<c {
        meanValues[ch] = runningMean.scalars[ch]
        invStdValues[ch] = 1 / (runningVariance.scalars[ch] + epsilon).squareRoot()
      }
    }
    let gamma = weight?.scalars ?? [Scalar](repeating: 1, count: c)
    let beta = bias?.scalars ?? [Scalar](repeating: 0, count: c)
    let (mean, invStd) = (meanValues, invStdValues)  // immutable for the parallel workers
    let y = x.withUnsafeBufferPointer { px in
      [Scalar](unsafeUninitializedCapacity: x.count) { py, initialized in
        let shared = SharedPointers(
          input: UnsafeMutablePointer(mutating: px.baseAddress!), output: py.baseAddress!)
        forEachChannel(c, work: x.count) { ch in
          let scale = invStd[ch] * gamma[ch]
          let shift = beta[ch] - mean[ch] * scale
          for b in 0..<n {
            let offset = (b * c + ch) * spatial
            let (src, dst) = (shared.input + offset, shared.output + offset)
            for p in 0..<spatial { dst[p] = src[p] * scale + shift }
          }
        }
        initialized = x.count
      }
    }
    var inputs = [self]
    if let weight { inputs.append(weight) }
    if let bias { inputs.append(bias) }
    let hasWeight = weight != nil
    let hasBias = bias != nil
    return Tensor.record(shape: shape, scalars: y, inputs: inputs) { g, needs in
      // Per channel: Σg and Σg·x̂, with x̂ = (x − mean)·invStd recomputed (not stored).
      var sums = [Scalar](repeating: 0, count: 2 * c)
      var gx = needs[0] ? [Scalar](repeating: 0, count: x.count) : []
      g.withUnsafeBufferPointer { pg in
        x.withUnsafeBufferPointer { px in
          sums.withUnsafeMutableBufferPointer { ps in
            gx.withUnsafeMutableBufferPointer { pgx in
              let gShared = SharedPointers(
                input: UnsafeMutablePointer(mutating: pg.baseAddress!), output: ps.baseAddress!)
              let xShared = SharedPointers(
                input: UnsafeMutablePointer(mutating: px.baseAddress!),
                output: pgx.baseAddress ?? ps.baseAddress!)
              let needInput = needs[0]
              forEachChannel(c, work: x.count) { ch in
                let (mu, inv) = (mean[ch], invStd[ch])
                var s1: Scalar = 0
                var s2: Scalar = 0
                for b in 0..<n {
                  let offset = (b * c + ch) * spatial
                  let (gr, xr) = (gShared.input + offset, xShared.input + offset)
                  for p in 0..<spatial {
                    s1 += gr[p]
                    s2 += gr[p] * (xr[p] - mu) * inv
                  }
                }
                gShared.output[2 * ch] = s1
                gShared.output[2 * ch + 1] = s2
                guard needInput else { return }
                let k = gamma[ch] * inv
                let a = training ? s1 / Scalar(m) : 0
                let bb = training ? s2 / Scalar(m) : 0
                for b in 0..<n {
                  let offset = (b * c + ch) * spatial
                  let (gr, xr, dst) = (gShared.input + offset, xShared.input + offset, xShared.output + offset)
                  for p in 0..<spatial { dst[p] = k * (gr[p] - a - (xr[p] - mu) * inv * bb) }
                }
              }
            }
          }
        }
      }
      var result: [[Scalar]?] = [needs[0] ? gx : nil]
      if hasWeight { result.append((0..<c).map { sums[2 * $0 + 1] }) }
      if hasBias { result.append((0..<c).map { sums[2 * $0] }) }
      return result
    }
  }

  /// Group normalisation, PyTorch `F.group_norm`: for each sample, the channels split into
  /// `groups` blocks; each block is normalised with its mean and biased variance over all its
  /// channels and positions, then scaled per channel.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func groupNorm(groups: Int, weight: Tensor?, bias: Tensor?, epsilon: Scalar = 1e-5)
    -> Tensor
  {
    precondition(rank >= 2 && shape[1] % groups == 0, "groupNorm: \(shape[1]) channels, \(groups) groups")
    let (n, c) = (shape[0], shape[1])
    let spatial = shape[2...].reduce(1, *)
    if groups == c, let fast = normalizedWithoutGraph(
      rows: n * c, rowLength: spatial, weight: weight, bias: bias, perRow: true, epsilon: epsilon)
    {
      return fast
    }
    return normalize(
      rows: n * groups, rowLength: c / groups * spatial, epsilon: epsilon, weight: weight,
      bias: bias, channelOf: { i in (i / spatial) % c })
  }

  /// Layer normalisation over the last `normalizedRank` axes, PyTorch `F.layer_norm`; `weight`
  /// and `bias` have the shape of those axes.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func layerNorm(normalizedRank: Int, weight: Tensor?, bias: Tensor?, epsilon: Scalar = 1e-5)
    -> Tensor
  {
    let d = shape.suffix(normalizedRank).reduce(1, *)
    if d > 0, let fast = normalizedWithoutGraph(
      rows: count / d, rowLength: d, weight: weight, bias: bias, perRow: false, epsilon: epsilon)
    {
      return fast
    }
    return normalize(
      rows: count / d, rowLength: d, epsilon: epsilon, weight: weight, bias: bias,
      channelOf: { i in i % d })
  }

  /// The normalisation of contiguous rows by the vectorised `Float` kernel when no graph is
  /// recorded (inference), or `nil` (then the generic, differentiable path runs). Mean and
  /// variance are accumulated in double there. Parameters are per column, or per row with
  /// `perRow` (group norm with one channel per group, rows of one channel for one sample).
  private func normalizedWithoutGraph(
    rows: Int, rowLength: Int, weight: Tensor?, bias: Tensor?, perRow: Bool, epsilon: Scalar
  ) -> Tensor? {
    guard Scalar.self == Float.self, !Tensor.recording([self] + [weight, bias].compactMap { $0 }) else {
      return nil
    }
    let channels = perRow ? (weight?.count ?? bias?.count ?? rows) : rowLength
    guard weight.map({ $0.count == channels }) ?? true, bias.map({ $0.count == channels }) ?? true,
      !perRow || rows % channels == 0
    else { return nil }
    var y = [Scalar](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    scalars.withUnsafeBufferPointer { px in
      y.withUnsafeMutableBufferPointer { py in
        (weight?.scalars ?? []).withUnsafeBufferPointer { pw in
          (bias?.scalars ?? []).withUnsafeBufferPointer { pb in
            // Per row: one call per sample, each over its `channels` rows.
            let blocks = perRow ? rows / channels : 1
            let blockRows = perRow ? channels : rows
            for block in 0..<blocks {
              let offset = block * blockRows * rowLength
              l3das_layer_norm_rows_f32(
                blockRows, rowLength, float(px.baseAddress!) + offset, rowLength,
                weight == nil ? nil : float(pw.baseAddress!), bias == nil ? nil : float(pb.baseAddress!),
                perRow ? 1 : 0, Float(epsilon), mutableFloat(py.baseAddress!) + offset, rowLength)
            }
          }
        }
      }
    }
    return Tensor(shape: shape, scalars: y)
  }

  /// Normalises each contiguous row of `rowLength` values to zero mean and unit (biased)
  /// variance, then applies the affine map of the parameter index `channelOf(i)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  private func normalize(
    rows: Int, rowLength: Int, epsilon: Scalar, weight: Tensor?, bias: Tensor?,
    channelOf: @escaping (Int) -> Int
  ) -> Tensor {
    let x = scalars
    let paramCount = weight?.count ?? bias?.count ?? 0
    var xhat = [Scalar](repeating: 0, count: x.count)
    var invStd = [Scalar](repeating: 0, count: rows)
    let gamma = weight?.scalars
    let beta = bias?.scalars
    var y = [Scalar](repeating: 0, count: x.count)
    for r in 0..<rows {
      let base = r * rowLength
      var s: Scalar = 0
      for p in 0..<rowLength { s += x[base + p] }
      let mu = s / Scalar(rowLength)
      var v: Scalar = 0
      for p in 0..<rowLength {
        let d = x[base + p] - mu
        v += d * d
      }
      let inv = 1 / (v / Scalar(rowLength) + epsilon).squareRoot()
      invStd[r] = inv
      for p in 0..<rowLength {
        let i = base + p
        let h = (x[i] - mu) * inv
        xhat[i] = h
        let ch = channelOf(i)
        y[i] = h * (gamma?[ch] ?? 1) + (beta?[ch] ?? 0)
      }
    }
    var inputs = [self]
    if let weight { inputs.append(weight) }
    if let bias { inputs.append(bias) }
    return Tensor.record(shape: shape, scalars: y, inputs: inputs) { g, needs in
      var gGamma = [Scalar](repeating: 0, count: paramCount)
      var gBeta = [Scalar](repeating: 0, count: paramCount)
      var gx = [Scalar](repeating: 0, count: x.count)
      let len = Scalar(rowLength)
      for r in 0..<rows {
        let base = r * rowLength
        var s1: Scalar = 0
        var s2: Scalar = 0
        for p in 0..<rowLength {
          let i = base + p
          let ch = channelOf(i)
          if paramCount > 0 {
            gGamma[ch] += g[i] * xhat[i]
            gBeta[ch] += g[i]
          }
          let dh = g[i] * (gamma?[ch] ?? 1)
          s1 += dh
          s2 += dh * xhat[i]
        }
        if needs[0] {
          let inv = invStd[r]
          for p in 0..<rowLength {
            let i = base + p
            let dh = g[i] * (gamma?[channelOf(i)] ?? 1)
            gx[i] = inv * (dh - s1 / len - xhat[i] * s2 / len)
          }
        }
      }
      var result: [[Scalar]?] = [needs[0] ? gx : nil]
      if gamma != nil { result.append(gGamma) }
      if beta != nil { result.append(gBeta) }
      return result
    }
  }
}
