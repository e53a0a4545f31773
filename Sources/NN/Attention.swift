// Multi-head scaled dot-product attention, streamed over key blocks for inference.
import Foundation
internal import TensorModule
internal import _NNKernels

extension Tensor {
  /// Multi-head scaled dot-product attention without a mask, PyTorch
  /// `F.scaled_dot_product_attention` on heads packed in the last axis (the layout of
  /// `nn.MultiheadAttention` and of the Hugging Face encoders before their `view(N, T, H, D)`):
  ///
  ///     out[n, t, h·D + j] = Σ_s softmax_s(scale · q[n, t, h] · k[n, s, h]) · v[n, s, h·D + j]
  ///
  /// - Parameters:
  ///   - query: `[N, Tq, H·D]`.
  ///   - key, value: `[N, Tk, H·D]`.
  ///   - heads: H; the last axis splits into H blocks of D.
  ///   - scale: the factor of the scores, 1/√D when omitted.
  /// - Returns: `[N, Tq, H·D]`, the heads concatenated.
  ///
  /// When no operand records a graph (inference, or inside ``withNoGrad(_:)``) the scores are
  /// never materialised: each head runs over blocks of 128 queries × 512 keys with an online
  /// softmax (running maximum and sum, earlier partial outputs rescaled; the "flash attention"
  /// scheme), two GEMMs per block, heads spread over the cores. Memory is O(Tq·H·D) plus one
  /// block per core instead of O(H·Tq·Tk). When a graph is recorded it is the differentiable
  /// composition matmul → softmax → matmul.
  /// - Complexity: O(N·H·Tq·Tk·D).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func multiHeadAttention(
    query: Tensor, key: Tensor, value: Tensor, heads: Int, scale: Scalar? = nil
  ) -> Tensor {
    precondition(query.rank == 3 && key.rank == 3 && value.rank == 3, "attention needs [N, T, H·D] operands")
    let (n, tq, width) = (query.shape[0], query.shape[1], query.shape[2])
    let tk = key.shape[1]
    precondition(
      key.shape == [n, tk, width] && value.shape == [n, tk, width],
      "attention: query \(query.shape), key \(key.shape) and value \(value.shape) do not fit")
    precondition(heads > 0 && width % heads == 0, "attention: \(width) features do not split into \(heads) heads")
    let d = width / heads
    let factor = scale ?? 1 / Scalar(d).squareRoot()
    if recording([query, key, value]) {
      func split(_ x: Tensor, _ t: Int) -> Tensor { x.reshaped([n, t, heads, d]).permuted([0, 2, 1, 3]) }
      let scores = split(query, tq).batchedMatmul(split(key, tk), transposeOther: true) * factor
      let mixed = scores.softmax().batchedMatmul(split(value, tk))
      return mixed.permuted([0, 2, 1, 3]).reshaped([n, tq, width])
    }
    var out = [Scalar](repeating: 0, count: n * tq * width)
    guard tq > 0, d > 0 else { return Tensor(shape: [n, tq, width], scalars: out) }
    query.scalars.withUnsafeBufferPointer { q in
      key.scalars.withUnsafeBufferPointer { k in
        value.scalars.withUnsafeBufferPointer { v in
          out.withUnsafeMutableBufferPointer { o in
            streamingAttention(
              q: q.baseAddress!, k: k.baseAddress!, v: v.baseAddress!, out: o.baseAddress!,
              batch: n, queries: tq, keys: tk, heads: heads, headWidth: d, scale: factor)
          }
        }
      }
    }
    return Tensor(shape: [n, tq, width], scalars: out)
  }
}

/// Block sizes of the streamed attention: a 128 × 512 score block (256 KiB in Float) stays in
/// the L2 cache with its queries, keys and values.
private let queryBlock = 128
private let keyBlock = 512

/// The streamed attention of ``Tensor/multiHeadAttention(query:key:value:heads:scale:)`` on
/// raw row-major buffers (`[N, T, H·D]`); heads run in parallel.
@_specialize(where S == Float)
@_specialize(where S == Double)
func streamingAttention<S: NNScalar>(
  q: UnsafePointer<S>, k: UnsafePointer<S>, v: UnsafePointer<S>, out: UnsafeMutablePointer<S>,
  batch: Int, queries tq: Int, keys tk: Int, heads: Int, headWidth d: Int, scale: S
) {
  let width = heads * d
  let pointers = AttentionOperands(q: q, k: k, v: v, out: out)
  let parts = min(batch * heads, ProcessInfo.processInfo.activeProcessorCount)
  BLAS.forEachPartition(rows: batch * heads, parts: parts) { pairs in
    let bq = min(queryBlock, tq)
    let bk = min(keyBlock, tk)
    var scores = [S](repeating: 0, count: bq * bk)
    var accumulator = [S](repeating: 0, count: bq * d)
    var maxima = [S](repeating: 0, count: bq)
    var sums = [S](repeating: 0, count: bq)
    scores.withUnsafeMutableBufferPointer { sp in
      accumulator.withUnsafeMutableBufferPointer { ap in
        let s = sp.baseAddress!
        let acc = ap.baseAddress!
        for pair in pairs {
          let (n, h) = (pair / heads, pair % heads)
          let qh = pointers.q + n * tq * width + h * d
          let kh = pointers.k + n * tk * width + h * d
          let vh = pointers.v + n * tk * width + h * d
          let oh = pointers.out + n * tq * width + h * d
          var r0 = 0
          while r0 < tq {
            let rows = min(bq, tq - r0)
            for i in 0..<rows {
              maxima[i] = -S.infinity
              sums[i] = 0
            }
            var c0 = 0
            while c0 < tk {
              let cols = min(bk, tk - c0)
              S.gemm(
                transA: false, transB: true, m: rows, n: cols, k: d, alpha: scale,
                a: qh + r0 * width, lda: width, b: kh + c0 * width, ldb: width, beta: 0, c: s,
                ldc: cols)
              onlineSoftmaxBlock(
                rows: rows, cols: cols, scores: s, maxima: &maxima, sums: &sums, accumulator: acc,
                width: d, first: c0 == 0)
              S.gemm(
                transA: false, transB: false, m: rows, n: d, k: cols, alpha: 1, a: s, lda: cols,
                b: vh + c0 * width, ldb: width, beta: c0 == 0 ? 0 : 1, c: acc, ldc: d)
              c0 += cols
            }
            for i in 0..<rows {
              let inv = 1 / sums[i]
              let dst = oh + (r0 + i) * width
              let a = acc + i * d
              for j in 0..<d { dst[j] = a[j] * inv }
            }
            r0 += rows
          }
        }
      }
    }
  }
}

/// One key block of the online softmax: running maxima and sums updated, scores replaced by
/// their exponentials relative to the new maxima, earlier partial outputs rescaled. `Float` runs
/// the vectorised C kernel.
@_specialize(where S == Float)
@_specialize(where S == Double)
func onlineSoftmaxBlock<S: NNScalar>(
  rows: Int, cols: Int, scores s: UnsafeMutablePointer<S>, maxima: inout [S], sums: inout [S],
  accumulator acc: UnsafeMutablePointer<S>, width d: Int, first: Bool
) {
  if S.self == Float.self {
    maxima.withUnsafeMutableBufferPointer { m in
      sums.withUnsafeMutableBufferPointer { t in
        l3das_online_softmax_block_f32(
          rows, cols, mutableFloat(s), mutableFloat(m.baseAddress!), mutableFloat(t.baseAddress!),
          mutableFloat(acc), d, first ? 1 : 0)
      }
    }
    return
  }
  for i in 0..<rows {
    let row = s + i * cols
    var m = first ? -S.infinity : maxima[i]
    for j in 0..<cols { m = Swift.max(m, row[j]) }
    var total: S = 0
    for j in 0..<cols {
      row[j] = S.exp(row[j] - m)
      total += row[j]
    }
    if first {
      sums[i] = total
    } else {
      let correction = S.exp(maxima[i] - m)
      sums[i] = sums[i] * correction + total
      for j in 0..<d { acc[i * d + j] *= correction }
    }
    maxima[i] = m
  }
}

/// The operand pointers handed to the parallel heads (each writes only its own columns).
private struct AttentionOperands<S>: @unchecked Sendable {
  let q: UnsafePointer<S>
  let k: UnsafePointer<S>
  let v: UnsafePointer<S>
  let out: UnsafeMutablePointer<S>
}
