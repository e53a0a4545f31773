// Convolution and group normalisation on channels-last sequences `[N, L, C]` (time-major), the
// layout of transformer inputs, for strided 1-D convolutions computed without unfolding.
import Foundation
internal import TensorModule
internal import _NNKernels

extension Tensor {
  /// 1-D cross-correlation of a channels-last sequence, PyTorch `F.conv1d` on
  /// `x.transpose(1, 2)`, transposed back: `self` `[N, L, Cin]`, `weight` `[Cout, Cin, k]`
  /// (PyTorch's layout), `bias` `[Cout]` → `[N, ⌊(L − k)/stride⌋ + 1, Cout]`; no padding, no
  /// dilation, one group.
  ///
  /// Without a recorded graph nothing is unfolded: the k taps split into ⌈k/stride⌉ runs of at
  /// most `stride` taps, and the rows of a run, `x[stride·t + j·stride …]` for every output t,
  /// are `stride·Cin` apart in the input, so each run is one GEMM on a strided view of the input
  /// (K = taps·Cin, lda = stride·Cin) into the output, which starts as the bias. With a graph it
  /// is the differentiable `conv1d` between two transposes.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func conv1dChannelsLast(weight: Tensor, bias: Tensor?, stride: Int = 1) -> Tensor {
    precondition(rank == 3 && weight.rank == 3, "conv1dChannelsLast needs [N, L, C] input and 3-D weight")
    let (n, length, inChannels) = (shape[0], shape[1], shape[2])
    let (outChannels, k) = (weight.shape[0], weight.shape[2])
    precondition(weight.shape[1] == inChannels, "weight \(weight.shape) expects \(weight.shape[1]) input channels, got \(inChannels)")
    precondition(stride >= 1 && length >= k, "conv1dChannelsLast: \(length) steps for kernel \(k)")
    if Tensor.recording([self, weight] + (bias.map { [$0] } ?? [])) {
      return transposed(1, 2).conv1d(weight: weight, bias: bias, stride: stride).transposed(1, 2)
    }
    let outLength = (length - k) / stride + 1
    // Weights as [Cout, k·Cin] with the taps outermost: W'[o, j·Cin + c] = W[o, c, j].
    let w = weight.scalars
    let taps = [Scalar](unsafeUninitializedCapacity: w.count) { buffer, initialized in
      for o in 0..<outChannels {
        for c in 0..<inChannels {
          for j in 0..<k { buffer[o * k * inChannels + j * inChannels + c] = w[(o * inChannels + c) * k + j] }
        }
      }
      initialized = w.count
    }
    var out = [Scalar](unsafeUninitializedCapacity: n * outLength * outChannels) { buffer, initialized in
      if let bias {
        for r in 0..<(n * outLength) {
          for o in 0..<outChannels { buffer[r * outChannels + o] = bias.scalars[o] }
        }
      }
      initialized = n * outLength * outChannels
    }
    scalars.withUnsafeBufferPointer { px in
      taps.withUnsafeBufferPointer { pw in
        out.withUnsafeMutableBufferPointer { po in
          for sample in 0..<n {
            let x = px.baseAddress! + sample * length * inChannels
            let y = po.baseAddress! + sample * outLength * outChannels
            var first = 0
            while first < k {
              let count = Swift.min(stride, k - first)
              Scalar.gemm(
                transA: false, transB: true, m: outLength, n: outChannels, k: count * inChannels, alpha: 1,
                a: x + first * inChannels, lda: stride * inChannels,
                b: pw.baseAddress! + first * inChannels, ldb: k * inChannels,
                beta: bias == nil && first == 0 ? 0 : 1, c: y, ldc: outChannels)
              first += count
            }
          }
        }
      }
    }
    return Tensor(shape: [n, outLength, outChannels], scalars: out)
  }

  /// Group normalisation with one group per channel on a channels-last sequence `[N, L, C]`:
  /// each channel of each sample normalised over its L steps (PyTorch `F.group_norm(x.transpose(1,
  /// 2), C, …)` transposed back), then scaled and shifted per channel.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func channelGroupNormChannelsLast(weight: Tensor?, bias: Tensor?, epsilon: Scalar = 1e-5) -> Tensor {
    precondition(rank == 3, "channelGroupNormChannelsLast needs [N, L, C], got \(shape)")
    let channels = shape[2]
    if Tensor.recording([self] + [weight, bias].compactMap { $0 }) || Scalar.self != Float.self {
      return transposed(1, 2).groupNorm(groups: channels, weight: weight, bias: bias, epsilon: epsilon).transposed(1, 2)
    }
    let y = Tensor(shape: shape, scalars: [Scalar](unsafeUninitializedCapacity: count) { _, initialized in initialized = count })
    normalizeChannels(into: y, weight: weight, bias: bias, epsilon: epsilon)
    return y
  }

  /// ``channelGroupNormChannelsLast(weight:bias:epsilon:)`` in place, for inference (`Float`,
  /// no gradients anywhere): saves a copy of the sequence.
  public func formChannelGroupNormChannelsLast(weight: Tensor?, bias: Tensor?, epsilon: Scalar = 1e-5) {
    precondition(
      Scalar.self == Float.self && rank == 3 && !Tensor.recording([self] + [weight, bias].compactMap { $0 }),
      "formChannelGroupNormChannelsLast needs a Float [N, L, C] tensor without gradients")
    normalizeChannels(into: self, weight: weight, bias: bias, epsilon: epsilon)
  }

  /// The column normalisation of each sample of `self` written to `y` (which may be `self`).
  private func normalizeChannels(into y: Tensor, weight: Tensor?, bias: Tensor?, epsilon: Scalar) {
    let (n, length, channels) = (shape[0], shape[1], shape[2])
    var scratch = [Double](repeating: 0, count: 3 * channels)
    let source = y === self ? nil : scalars
    y.scalars.withUnsafeMutableBufferPointer { py in
      (source ?? []).withUnsafeBufferPointer { ps in
        let px = source == nil ? UnsafePointer(py.baseAddress!) : ps.baseAddress!
        (weight?.scalars ?? []).withUnsafeBufferPointer { pw in
          (bias?.scalars ?? []).withUnsafeBufferPointer { pb in
            for sample in 0..<n {
              let offset = sample * length * channels
              l3das_column_norm_f32(
                length, channels, float(px) + offset, weight == nil ? nil : float(pw.baseAddress!),
                bias == nil ? nil : float(pb.baseAddress!), Float(epsilon), mutableFloat(py.baseAddress!) + offset,
                &scratch)
            }
          }
        }
      }
    }
  }
}

extension Tensor {
  /// Grouped 1-D cross-correlation of a channels-last sequence with zero padding, PyTorch
  /// `F.conv1d(x.transpose(1, 2), weight, bias, padding: padding, groups: groups)` transposed
  /// back: `self` `[N, L, C]`, `weight` `[O, C/groups, k]`, `bias` `[O]` →
  /// `[N, frames, O]`, the first `frames` of the L + 2·padding − k + 1 outputs (all of them when
  /// nil). Stride 1, no dilation.
  ///
  /// Without a recorded graph the output is cut into tiles of ``groupedConvTileRows`` steps;
  /// for every sample, group and tile the taps of the tile are unfolded into a per-core buffer
  /// (`rows × k·C/groups`, each row k runs of C/groups contiguous inputs) and multiplied by the
  /// group's weights in one GEMM that adds into the output, which starts as the bias (ldc = O:
  /// written channels-last in place, no transposes). Samples × groups × tiles spread over the
  /// cores with single-threaded BLAS; memory beyond the output is one tile buffer per core.
  /// With a graph it is the differentiable `conv1d` between two transposes.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func groupedConv1dChannelsLast(
    weight: Tensor, bias: Tensor?, padding: Int, groups: Int, frames: Int? = nil
  ) -> Tensor {
    precondition(rank == 3 && weight.rank == 3, "groupedConv1dChannelsLast needs [N, L, C] input and 3-D weight")
    let (n, length, channels) = (shape[0], shape[1], shape[2])
    let (outChannels, cg, k) = (weight.shape[0], weight.shape[1], weight.shape[2])
    precondition(
      groups > 0 && channels == cg * groups && outChannels % groups == 0 && padding >= 0,
      "groupedConv1dChannelsLast: weight \(weight.shape) and \(groups) groups do not fit \(channels) channels")
    let fullLength = length + 2 * padding - k + 1
    let outLength = frames ?? fullLength
    precondition(outLength >= 0 && outLength <= fullLength, "groupedConv1dChannelsLast: \(outLength) of \(fullLength) frames")
    if Tensor.recording([self, weight] + (bias.map { [$0] } ?? [])) {
      let y = transposed(1, 2).conv1d(weight: weight, bias: bias, padding: padding, groups: groups)
      return (outLength == fullLength ? y : y.slice(axis: 2, 0..<outLength)).transposed(1, 2)
    }
    let og = outChannels / groups
    let kc = k * cg
    // Weights per group as [og, k·cg] with the taps outermost: W'[o, j·cg + c] = W[o, c, j].
    let w = weight.scalars
    let taps = [Scalar](unsafeUninitializedCapacity: w.count) { buffer, initialized in
      for o in 0..<outChannels {
        for c in 0..<cg {
          for j in 0..<k { buffer[o * kc + j * cg + c] = w[(o * cg + c) * k + j] }
        }
      }
      initialized = w.count
    }
    var out = [Scalar](unsafeUninitializedCapacity: n * outLength * outChannels) { buffer, initialized in
      let b = bias?.scalars ?? [Scalar](repeating: 0, count: outChannels)
      b.withUnsafeBufferPointer { pb in
        for r in 0..<(n * outLength) { (buffer.baseAddress! + r * outChannels).initialize(from: pb.baseAddress!, count: outChannels) }
      }
      initialized = n * outLength * outChannels
    }
    guard outLength > 0, kc > 0 else { return Tensor(shape: [n, outLength, outChannels], scalars: out) }
    let tileRows = Swift.min(groupedConvTileRows, outLength)
    let tiles = (outLength + tileRows - 1) / tileRows
    let items = n * groups * tiles
    let parts = Swift.min(items, ProcessInfo.processInfo.activeProcessorCount)
    scalars.withUnsafeBufferPointer { px in
      taps.withUnsafeBufferPointer { pw in
        out.withUnsafeMutableBufferPointer { po in
          let operands = SharedPointers(input: UnsafeMutablePointer(mutating: px.baseAddress!), output: po.baseAddress!)
          let weights = pw.baseAddress!
          BLAS.forEachPartition(rows: items, parts: parts) { range in
            var unfolded: [Scalar] = scratchArray(count: tileRows * kc)
            unfolded.withUnsafeMutableBufferPointer { pu in
              let a = pu.baseAddress!
              for item in range {
                let (sample, rest) = item.quotientAndRemainder(dividingBy: groups * tiles)
                let (group, tile) = rest.quotientAndRemainder(dividingBy: tiles)
                let t0 = tile * tileRows
                let rows = Swift.min(tileRows, outLength - t0)
                let x = UnsafePointer(operands.input) + sample * length * channels + group * cg
                for r in 0..<rows {
                  let row = a + r * kc
                  // Input step of tap j: t0 + r + j − padding; zeros outside 0..<length.
                  let first = t0 + r - padding
                  let jStart = Swift.max(0, -first)
                  let jEnd = Swift.min(k, length - first)
                  if jStart > 0 { row.update(repeating: 0, count: jStart * cg) }
                  if jEnd > jStart {
                    for j in jStart..<jEnd { (row + j * cg).update(from: x + (first + j) * channels, count: cg) }
                  }
                  let tail = Swift.max(jEnd, jStart)
                  if tail < k { (row + tail * cg).update(repeating: 0, count: (k - tail) * cg) }
                }
                Scalar.gemm(
                  transA: false, transB: true, m: rows, n: og, k: kc, alpha: 1, a: a, lda: kc,
                  b: weights + group * og * kc, ldb: kc, beta: 1,
                  c: operands.output + (sample * outLength + t0) * outChannels + group * og, ldc: outChannels)
              }
            }
          }
        }
      }
    }
    return Tensor(shape: [n, outLength, outChannels], scalars: out)
  }
}

/// Output steps per tile of ``Tensor/groupedConv1dChannelsLast(weight:bias:padding:groups:frames:)``.
let groupedConvTileRows = 256
