import Foundation

// im2col / col2im convolution kernels. A convolution of one sample is one GEMM per group:
// out[o, p] = Σ_r W[o, r] · cols[r, p], with r = (c·kH + ky)·kW + kx and p = oy·outW + ox.

/// The index arithmetic of a 2-D convolution from an input plane to an output plane.
struct ConvGeometry: Equatable {
  var channels: Int  // input channels (all groups)
  var inH: Int
  var inW: Int
  var kH: Int
  var kW: Int
  var strideH: Int
  var strideW: Int
  var padTop: Int
  var padLeft: Int
  var dilationH: Int
  var dilationW: Int
  var outH: Int
  var outW: Int

  var kernelArea: Int { kH * kW }
  var outArea: Int { outH * outW }
  var inArea: Int { inH * inW }
  /// Rows of the column matrix for all channels.
  var colRows: Int { channels * kH * kW }

  /// The output columns `ox` whose input column `ox·strideW + offset` lies inside `0..<inW`.
  func validColumns(offset dx: Int) -> (start: Int, end: Int) {
    let start = dx >= 0 ? 0 : min(outW, (-dx + strideW - 1) / strideW)
    let end = max(start, min(outW, inW - dx <= 0 ? 0 : (inW - dx - 1) / strideW + 1))
    return (start, end)
  }

  /// floor((in + pads − dilation·(k−1) − 1)/stride) + 1, PyTorch's output size.
  static func outputSize(input: Int, padBefore: Int, padAfter: Int, kernel: Int, stride: Int, dilation: Int)
    -> Int
  {
    (input + padBefore + padAfter - dilation * (kernel - 1) - 1) / stride + 1
  }
}

/// An array of `count` elements whose contents are unspecified, for buffers that are fully
/// written before they are read (GEMM outputs with β = 0, im2col columns). Skips the zero fill.
func scratchArray<S: NNScalar>(count: Int) -> [S] {
  [S](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
}

/// Two raw buffers handed to parallel workers that touch disjoint parts of them.
struct SharedPointers<S>: @unchecked Sendable {
  let input: UnsafeMutablePointer<S>
  let output: UnsafeMutablePointer<S>
}

/// Runs `body` over blocks of input channels, in parallel when the unfolded matrix is large
/// (each channel owns its own rows of the column matrix and its own input plane).
func forEachChannelBlock(
  _ g: ConvGeometry, outputRows: Int, _ body: @Sendable (Range<Int>) -> Void
) {
  let work = g.colRows * outputRows * g.outW
  let workers = min(g.channels, ProcessInfo.processInfo.activeProcessorCount)
  guard work >= 1 << 18, workers > 1 else {
    body(0..<g.channels)
    return
  }
  DispatchQueue.concurrentPerform(iterations: workers) { w in
    let start = g.channels * w / workers
    let end = g.channels * (w + 1) / workers
    body(start..<end)
  }
}

/// Unfolds one `[channels, inH, inW]` sample into `cols` (`[channels·kH·kW, outH·outW]`),
/// writing zeros where the window reaches into the padding.
@_specialize(where S == Float)
@_specialize(where S == Double)
func im2col<S: NNScalar>(
  _ x: UnsafePointer<S>, _ g: ConvGeometry, _ cols: UnsafeMutablePointer<S>,
  outputRows: Range<Int>? = nil
) {
  let shared = SharedPointers(input: UnsafeMutablePointer(mutating: x), output: cols)
  let rows = outputRows ?? 0..<g.outH
  forEachChannelBlock(g, outputRows: rows.count) { channels in
    im2col(shared.input, g, shared.output, channels: channels, outputRows: rows)
  }
}

@_specialize(where S == Float)
@_specialize(where S == Double)
func im2col<S: NNScalar>(
  _ x: UnsafePointer<S>, _ g: ConvGeometry, _ cols: UnsafeMutablePointer<S>, channels: Range<Int>,
  outputRows: Range<Int>
) {
  // `cols` holds only the output rows `outputRows`: its row stride is their area.
  let area = outputRows.count * g.outW
  for c in channels {
    let plane = x + c * g.inArea
    for ky in 0..<g.kH {
      for kx in 0..<g.kW {
        let row = cols + ((c * g.kH + ky) * g.kW + kx) * area
        let dy = ky * g.dilationH - g.padTop
        let dx = kx * g.dilationW - g.padLeft
        let (oxStart, oxEnd) = g.validColumns(offset: dx)
        for oy in outputRows {
          let out = row + (oy - outputRows.lowerBound) * g.outW
          let iy = oy * g.strideH + dy
          if iy < 0 || iy >= g.inH {
            out.update(repeating: 0, count: g.outW)
            continue
          }
          let line = plane + iy * g.inW
          if oxStart > 0 { out.update(repeating: 0, count: oxStart) }
          if g.strideW == 1 {
            (out + oxStart).update(from: line + oxStart + dx, count: oxEnd - oxStart)
          } else {
            var ix = oxStart * g.strideW + dx
            for ox in oxStart..<oxEnd {
              out[ox] = line[ix]
              ix += g.strideW
            }
          }
          if oxEnd < g.outW { (out + oxEnd).update(repeating: 0, count: g.outW - oxEnd) }
        }
      }
    }
  }
}

/// The adjoint of ``im2col``: adds every column entry back into its input position of `x`.
@_specialize(where S == Float)
@_specialize(where S == Double)
func col2im<S: NNScalar>(
  _ cols: UnsafePointer<S>, _ g: ConvGeometry, _ x: UnsafeMutablePointer<S>,
  outputRows: Range<Int>? = nil
) {
  let shared = SharedPointers(input: UnsafeMutablePointer(mutating: cols), output: x)
  let rows = outputRows ?? 0..<g.outH
  forEachChannelBlock(g, outputRows: rows.count) { channels in
    col2im(shared.input, g, shared.output, channels: channels, outputRows: rows)
  }
}

@_specialize(where S == Float)
@_specialize(where S == Double)
func col2im<S: NNScalar>(
  _ cols: UnsafePointer<S>, _ g: ConvGeometry, _ x: UnsafeMutablePointer<S>, channels: Range<Int>,
  outputRows: Range<Int>
) {
  let area = outputRows.count * g.outW
  for c in channels {
    let plane = x + c * g.inArea
    for ky in 0..<g.kH {
      for kx in 0..<g.kW {
        let row = cols + ((c * g.kH + ky) * g.kW + kx) * area
        let dy = ky * g.dilationH - g.padTop
        let dx = kx * g.dilationW - g.padLeft
        let (oxStart, oxEnd) = g.validColumns(offset: dx)
        for oy in outputRows {
          let iy = oy * g.strideH + dy
          if iy < 0 || iy >= g.inH { continue }
          let line = plane + iy * g.inW
          let src = row + (oy - outputRows.lowerBound) * g.outW
          var ix = oxStart * g.strideW + dx
          for ox in oxStart..<oxEnd {
            line[ix] += src[ox]
            ix += g.strideW
          }
        }
      }
    }
  }
}

/// The output rows of one tile: the column matrix of a tile (`colRows × rows·outW`) stays
/// near 4 MiB, so im2col writes it and the GEMM reads it back from cache rather than memory, and
/// no whole-sample column matrix (hundreds of MB at the baseline sizes) is allocated and faulted
/// in on every call. A tile keeps at least 1024 columns so the GEMM stays efficient.
func outputRowTiles(_ g: ConvGeometry) -> [Range<Int>] {
  let targetColumns = max(1024, (1 << 20) / max(g.colRows, 1))
  let rowsPerTile = max(1, min(g.outH, targetColumns / max(g.outW, 1)))
  return stride(from: 0, to: g.outH, by: rowsPerTile).map { $0..<min(g.outH, $0 + rowsPerTile) }
}

/// Forward convolution of a batch: `x` `[N, C, inH, inW]`, `w` `[O, C/groups, kH, kW]`,
/// optional `bias` `[O]`, output `[N, O, outH, outW]`. Each sample is done in tiles of output
/// rows (``outputRowTiles(_:)``): im2col of the tile, one GEMM per group, bias added while the
/// tile is in cache.
@_specialize(where S == Float)
@_specialize(where S == Double)
func convForward<S: NNScalar>(
  x: [S], batch: Int, w: [S], bias: [S]?, outChannels: Int, groups: Int, geometry g: ConvGeometry
) -> [S] {
  let cg = g.channels / groups
  let og = outChannels / groups
  let k = cg * g.kernelArea
  let area = g.outArea
  let pointwise = g.kernelArea == 1 && g.strideH == 1 && g.strideW == 1 && g.padTop == 0
    && g.padLeft == 0 && g.outH == g.inH && g.outW == g.inW
  let tiles = pointwise ? [0..<g.outH] : outputRowTiles(g)
  let tileCapacity = pointwise ? 0 : g.colRows * tiles[0].count * g.outW
  var out: [S] = scratchArray(count: batch * outChannels * area)  // every element is written
  var cols: [S] = scratchArray(count: tileCapacity)
  x.withUnsafeBufferPointer { px in
    w.withUnsafeBufferPointer { pw in
      out.withUnsafeMutableBufferPointer { po in
        cols.withUnsafeMutableBufferPointer { pc in
          for n in 0..<batch {
            let dst = po.baseAddress! + n * outChannels * area
            let sample = px.baseAddress! + n * g.channels * g.inArea
            for rows in tiles {
              let offset = rows.lowerBound * g.outW
              let tileArea = rows.count * g.outW
              let src: UnsafePointer<S>
              let ldb: Int
              if pointwise {
                (src, ldb) = (sample, area)
              } else {
                im2col(sample, g, pc.baseAddress!, outputRows: rows)
                (src, ldb) = (UnsafePointer(pc.baseAddress!), tileArea)
              }
              for gr in 0..<groups {
                S.gemm(
                  transA: false, transB: false, m: og, n: tileArea, k: k, alpha: 1,
                  a: pw.baseAddress! + gr * og * k, lda: k, b: src + gr * k * ldb, ldb: ldb, beta: 0, c: dst + gr * og * area + offset, ldc: area)
              }
              if let bias {
                for o in 0..<outChannels {
                  let b = bias[o]
                  let row = dst + o * area + offset
                  for p in 0..<tileArea { row[p] += b }
                }
              }
            }
          }
        }
      }
    }
  }
  return out
}

/// Gradients of ``convForward``: input (if `needInput`), weight (if `needWeight`) and bias,
/// in the same tiles of output rows as the forward pass.
@_specialize(where S == Float)
@_specialize(where S == Double)
func convBackward<S: NNScalar>(
  gradient gy: [S], x: [S], batch: Int, w: [S], outChannels: Int, groups: Int,
  geometry g: ConvGeometry, needInput: Bool, needWeight: Bool, needBias: Bool
) -> (input: [S]?, weight: [S]?, bias: [S]?) {
  let cg = g.channels / groups
  let og = outChannels / groups
  let k = cg * g.kernelArea
  let area = g.outArea
  var gx = [S](repeating: 0, count: needInput ? x.count : 0)
  var gw = [S](repeating: 0, count: needWeight ? w.count : 0)
  var gb: [S]? = nil
  if needBias {
    var b = [S](repeating: 0, count: outChannels)
    gy.withUnsafeBufferPointer { pg in
      for n in 0..<batch {
        for o in 0..<outChannels {
          b[o] += contiguousSum(pg.baseAddress! + (n * outChannels + o) * area, count: area)
        }
      }
    }
    gb = b
  }
  guard needInput || needWeight else { return (nil, nil, gb) }
  let tiles = outputRowTiles(g)
  var cols: [S] = scratchArray(count: g.colRows * tiles[0].count * g.outW)
  gy.withUnsafeBufferPointer { pg in
    x.withUnsafeBufferPointer { px in
      w.withUnsafeBufferPointer { pw in
        cols.withUnsafeMutableBufferPointer { pc in
          let pcb = pc.baseAddress!
          for n in 0..<batch {
            let gyn = pg.baseAddress! + n * outChannels * area
            for rows in tiles {
              let offset = rows.lowerBound * g.outW
              let tileArea = rows.count * g.outW
              if needWeight {
                im2col(px.baseAddress! + n * g.channels * g.inArea, g, pcb, outputRows: rows)
                gw.withUnsafeMutableBufferPointer { pgw in
                  for gr in 0..<groups {
                    // dW[og, k] += gy[og, tile] · colsᵀ[tile, k]
                    S.gemm(
                      transA: false, transB: true, m: og, n: k, k: tileArea, alpha: 1,
                      a: gyn + gr * og * area + offset, lda: area, b: pcb + gr * k * tileArea,
                      ldb: tileArea, beta: 1, c: pgw.baseAddress! + gr * og * k, ldc: k)
                  }
                }
              }
              if needInput {
                for gr in 0..<groups {
                  // dcols[k, tile] = Wᵀ[k, og] · gy[og, tile]
                  S.gemm(
                    transA: true, transB: false, m: k, n: tileArea, k: og, alpha: 1,
                    a: pw.baseAddress! + gr * og * k, lda: k, b: gyn + gr * og * area + offset,
                    ldb: area, beta: 0, c: pcb + gr * k * tileArea, ldc: tileArea)
                }
                gx.withUnsafeMutableBufferPointer { pgx in
                  col2im(pcb, g, pgx.baseAddress! + n * g.channels * g.inArea, outputRows: rows)
                }
              }
            }
          }
        }
      }
    }
  }
  return (needInput ? gx : nil, needWeight ? gw : nil, gb)
}
