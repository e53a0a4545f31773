import Foundation
import TensorModule

// Convolution kernels by "row bands". A convolution of one sample is a sum of GEMMs:
//   out[o, (oy, ox)] = Σ_ky Σ_(c, kx) W[o, c, ky, kx] · x[c, oy·sH + ky·dH − top, ox·sW + kx·dW − left].
// im2col unfolds all kH·kW taps into a column matrix (kH·kW copies of the input). Here only the
// kW taps of a row are unfolded: the band of padded input rows p = j·sH + ρ holds, in row
// (c, kx) and column (j, ox), x[c, p − top, ox·sW + kx·dW − left]. Kernel row ky has phase
// ρ = ky·dH mod sH and shift q = ⌊ky·dH / sH⌋, and its columns for output row oy are band
// row j = oy + q, which is the band matrix offset by q·outW columns, with the same leading
// dimension. So each kernel row is one GEMM with K = C·kW on a view of the band, and only kW
// (times the number of phases) copies of the input are written instead of kH·kW. The input
// gradient runs the same GEMMs transposed into a band of gradients, which is then added back
// into the input plane (kW additions per element instead of kH·kW). When a group's kW taps
// are too few for an efficient GEMM (cg·kW < 64, e.g. 4 input channels), the band unfolds all
// kH·kW taps instead (im2col: one GEMM per group with K = cg·kH·kW).
//
// The output rows are cut into tiles whose band stays near 4 MiB (it is written and read back
// from cache). Samples × tiles are split into contiguous runs, one per core, each run with its
// own band and single-threaded BLAS (`BLAS.forEachPartition`): no barrier per GEMM, and the
// unfolding runs in parallel with the products. Weight gradients are summed per run, and the
// input rows a run shares with the next run of the same sample are added after the join.

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

  var outArea: Int { outH * outW }
  var inArea: Int { inH * inW }

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
/// written before they are read (GEMM outputs with β = 0, band matrices). Skips the zero fill.
func scratchArray<S: NNScalar>(count: Int) -> [S] {
  [S](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
}

/// Two raw buffers handed to parallel workers that touch disjoint parts of them.
struct SharedPointers<S>: @unchecked Sendable {
  let input: UnsafeMutablePointer<S>
  let output: UnsafeMutablePointer<S>
}

/// How one convolution of a batch is cut into band GEMMs, tiles and parallel runs; see the
/// comment at the top of this file. `forward`, `inputGradient` and `weightGradient` are the
/// convolution and its two adjoints (a transposed convolution is `inputGradient`).
struct ConvPlan {
  let g: ConvGeometry
  let outChannels: Int
  let groups: Int
  let batch: Int
  /// Input and output channels per group.
  let cg: Int
  let og: Int
  /// Whether the band unfolds all kH·kW taps (im2col): chosen when a row's kW taps of a group
  /// would make a GEMM too thin (K = cg·kW < 64). There is then one GEMM per group, the
  /// weights keep their own order, and there is one phase with no shift.
  let unfoldsKernelRows: Bool
  /// Kernel rows unfolded into each channel's band rows (kH or 1), and GEMMs per group (1 or kH).
  let unfoldedRows: Int
  let slices: Int
  /// Rows of a group's band (`cg·kW`, or `cg·kH·kW` unfolded: the K of every GEMM) and of the
  /// whole band.
  let groupBandRows: Int
  let bandRows: Int
  /// The taps behind each row of a phase's band, in band order: channel, unfolded kernel row
  /// (0 unless `unfoldsKernelRows`) and kernel column.
  let bandRowTaps: [(channel: Int, row: Int, column: Int)]
  /// Per slice (kernel row): its phase (an index into `phaseResidue`) and its shift in band rows.
  let phaseOfKernelRow: [Int]
  let shiftOfKernelRow: [Int]
  /// Per phase: ρ (the padded input row of band row j is j·sH + ρ), the band rows beyond the
  /// tile's output rows (the largest shift), and whether exactly one kernel row with no shift
  /// uses it (its gradient GEMM then writes the whole band with β = 0).
  let phaseResidue: [Int]
  let phaseExtraRows: [Int]
  let phaseWrittenOnce: [Bool]
  /// A 1×1 kernel, stride 1, no padding: the input itself is the band.
  let pointwise: Bool
  let tileCount: Int
  let workers: Int

  /// The band's size for tiles of at most this many output rows; see `tileCount`.
  static let bandTargetElements = 1 << 20

  init(geometry g: ConvGeometry, outChannels: Int, groups: Int, batch: Int) {
    precondition(g.channels % groups == 0 && outChannels % groups == 0)
    self.g = g
    self.outChannels = outChannels
    self.groups = groups
    self.batch = batch
    cg = g.channels / groups
    og = outChannels / groups
    unfoldsKernelRows = g.kH > 1 && cg * g.kW < 64
    unfoldedRows = unfoldsKernelRows ? g.kH : 1
    slices = unfoldsKernelRows ? 1 : g.kH
    groupBandRows = cg * unfoldedRows * g.kW
    bandRows = g.channels * unfoldedRows * g.kW
    var taps: [(channel: Int, row: Int, column: Int)] = []
    for c in 0..<g.channels {
      for u in 0..<unfoldedRows {
        for kx in 0..<g.kW { taps.append((c, u, kx)) }
      }
    }
    bandRowTaps = taps
    var residues: [Int] = []
    var extra: [Int] = []
    var users: [Int] = []
    var phaseOf: [Int] = []
    var shiftOf: [Int] = []
    for ky in 0..<slices {
      let offset = unfoldsKernelRows ? 0 : ky * g.dilationH
      let (rho, q) = (offset % g.strideH, offset / g.strideH)
      let p: Int
      if let found = residues.firstIndex(of: rho) {
        p = found
      } else {
        p = residues.count
        residues.append(rho)
        extra.append(0)
        users.append(0)
      }
      extra[p] = max(extra[p], q)
      users[p] += 1
      phaseOf.append(p)
      shiftOf.append(q)
    }
    phaseResidue = residues
    phaseExtraRows = extra
    phaseWrittenOnce = zip(users, extra).map { $0 == 1 && $1 == 0 }
    phaseOfKernelRow = phaseOf
    shiftOfKernelRow = shiftOf
    pointwise = g.kH == 1 && g.kW == 1 && g.strideH == 1 && g.strideW == 1 && g.padTop == 0
      && g.padLeft == 0 && g.outH == g.inH && g.outW == g.inW

    let cores = ProcessInfo.processInfo.activeProcessorCount
    let flops = 2 * Double(batch) * Double(outChannels * cg * g.kH * g.kW) * Double(g.outArea)
    let parallel = cores > 1 && flops >= Double(1 << 23)
    // Output rows per tile: the band near the target size, at least 1024 GEMM columns, and at
    // least as many rows as the largest shift (so the band is not mostly overlap).
    let rowWidth = max(1, bandRows * g.outW)
    let extraSum = extra.reduce(0, +)
    let byTarget = (Self.bandTargetElements / rowWidth - extraSum) / residues.count
    let byColumns = (1024 + g.outW - 1) / max(1, g.outW)
    let rows = min(g.outH, max(1, byTarget, byColumns, extra.max() ?? 0))
    var tiles = pointwise ? 1 : (g.outH + rows - 1) / rows
    if parallel {
      // Enough tiles that samples × tiles split evenly over the cores.
      let step = cores / gcd(batch, cores)
      tiles = min(g.outH, (tiles + step - 1) / step * step)
    }
    tileCount = tiles
    workers = parallel ? min(cores, batch * tiles) : 1
  }

  /// The output rows of tile `t` (balanced: sizes differ by at most one).
  func tileRows(_ t: Int) -> Range<Int> {
    (g.outH * t / tileCount)..<(g.outH * (t + 1) / tileCount)
  }

  var maxTileRows: Int { (g.outH + tileCount - 1) / tileCount }

  /// Band rows of phase `p` for a tile of `rows` output rows.
  func bandLength(phase p: Int, tileRows rows: Int) -> Int { rows + phaseExtraRows[p] }

  /// Offset of phase `p`'s matrix in a band of a tile of `rows` output rows.
  func phaseOffset(_ p: Int, tileRows rows: Int) -> Int {
    var offset = 0
    for q in 0..<p { offset += bandRows * bandLength(phase: q, tileRows: rows) * g.outW }
    return offset
  }

  var bandCapacity: Int { pointwise ? 0 : phaseOffset(phaseResidue.count, tileRows: maxTileRows) }

  /// Whether the weights' own order `[O, cg, kH, kW]` is already the band order.
  var weightsInBandOrder: Bool { pointwise || unfoldsKernelRows }

  /// The samples × tiles items of run `w`.
  func items(ofWorker w: Int) -> Range<Int> {
    let total = batch * tileCount
    return (total * w / workers)..<(total * (w + 1) / workers)
  }

  /// Calls `body(worker, items)` for every run, in parallel when the plan has several.
  func forEachRun(_ body: (Int, Range<Int>) -> Void) {
    guard workers > 1 else { return body(0, 0..<(batch * tileCount)) }
    BLAS.forEachPartition(rows: workers, parts: workers) { runs in
      for w in runs { body(w, items(ofWorker: w)) }
    }
  }

  // MARK: Weights in band order

  /// Calls `body(own, band)` with the offsets of every kernel row of kW weights in the
  /// weights' own order `W[o, c, ky, kx]` and in band order `[group][ky][o][c][kx]` (one
  /// `og × cg·kW` matrix per group and kernel row).
  private func forEachWeightRow(_ body: (_ own: Int, _ band: Int) -> Void) {
    for gr in 0..<groups {
      for ky in 0..<g.kH {
        for o in 0..<og {
          for c in 0..<cg {
            body((((gr * og + o) * cg + c) * g.kH + ky) * g.kW, (((gr * g.kH + ky) * og + o) * cg + c) * g.kW)
          }
        }
      }
    }
  }

  /// Calls `body` with the weights in band order: `w` itself where that is its own order, else
  /// a reordered copy.
  func withBandWeights<S: NNScalar, R>(_ w: UnsafePointer<S>, _ body: (UnsafePointer<S>) -> R) -> R {
    if weightsInBandOrder { return body(w) }
    var out: [S] = scratchArray(count: outChannels * cg * g.kH * g.kW)
    out.withUnsafeMutableBufferPointer { po in
      forEachWeightRow { own, band in (po.baseAddress! + band).update(from: w + own, count: g.kW) }
    }
    return out.withUnsafeBufferPointer { body($0.baseAddress!) }
  }

  /// Adds weights in band order back into `w` (`[O, cg, kH, kW]`).
  func addBandWeights<S: NNScalar>(_ wr: UnsafePointer<S>, into w: UnsafeMutablePointer<S>) {
    if weightsInBandOrder {
      for i in 0..<(outChannels * cg * g.kH * g.kW) { w[i] += wr[i] }
      return
    }
    forEachWeightRow { own, band in
      for kx in 0..<g.kW { w[own + kx] += wr[band + kx] }
    }
  }

  // MARK: Bands

  /// Writes the band of output rows `rows` of one sample `x` (`[C, inH, inW]`) into `band`,
  /// with zeros where the taps reach into the padding.
  func fillBand<S: NNScalar>(
    _ x: UnsafePointer<S>, rows: Range<Int>, _ band: UnsafeMutablePointer<S>
  ) {
    for p in phaseResidue.indices {
      let length = bandLength(phase: p, tileRows: rows.count)
      let ld = length * g.outW
      let base = band + phaseOffset(p, tileRows: rows.count)
      for (c, u, kx) in bandRowTaps {
        let plane = x + c * g.inArea
        let row = base + ((c * unfoldedRows + u) * g.kW + kx) * ld
        let dx = kx * g.dilationW - g.padLeft
        let (start, end) = g.validColumns(offset: dx)
        let rowOffset = phaseResidue[p] + u * g.dilationH - g.padTop
        for j in 0..<length {
          let out = row + j * g.outW
          let iy = (rows.lowerBound + j) * g.strideH + rowOffset
          guard iy >= 0, iy < g.inH else {
            out.update(repeating: 0, count: g.outW)
            continue
          }
          let line = plane + iy * g.inW
          if start > 0 { out.update(repeating: 0, count: start) }
          if g.strideW == 1 {
            (out + start).update(from: line + start + dx, count: end - start)
          } else {
            var ix = start * g.strideW + dx
            for ox in start..<end {
              out[ox] = line[ix]
              ix += g.strideW
            }
          }
          if end < g.outW { (out + end).update(repeating: 0, count: g.outW - end) }
        }
      }
    }
  }

  /// Adds a band of gradients (output rows `rows`) back into one sample's input gradient `dx`
  /// (`[C, inH, inW]`). Input rows from `spill.row` on go to `spill.buffer`
  /// (`[C, spill.rows, inW]`) instead, for rows that another run also writes.
  func addBand<S: NNScalar>(
    _ band: UnsafePointer<S>, rows: Range<Int>, into dx: UnsafeMutablePointer<S>,
    spill: (row: Int, rows: Int, buffer: UnsafeMutablePointer<S>)?
  ) {
    let spillRow = spill?.row ?? Int.max
    for p in phaseResidue.indices {
      let length = bandLength(phase: p, tileRows: rows.count)
      let ld = length * g.outW
      let base = band + phaseOffset(p, tileRows: rows.count)
      for (c, u, kx) in bandRowTaps {
        let row = base + ((c * unfoldedRows + u) * g.kW + kx) * ld
        let dxOffset = kx * g.dilationW - g.padLeft
        let (start, end) = g.validColumns(offset: dxOffset)
        let rowOffset = phaseResidue[p] + u * g.dilationH - g.padTop
        for j in 0..<length {
          let iy = (rows.lowerBound + j) * g.strideH + rowOffset
          guard iy >= 0, iy < g.inH else { continue }
          let line: UnsafeMutablePointer<S>
          if iy >= spillRow, let spill {
            line = spill.buffer + (c * spill.rows + iy - spill.row) * g.inW
          } else {
            line = dx + c * g.inArea + iy * g.inW
          }
          let src = row + j * g.outW
          if g.strideW == 1 {
            for ox in start..<end { line[ox + dxOffset] += src[ox] }
          } else {
            var ix = start * g.strideW + dxOffset
            for ox in start..<end {
              line[ix] += src[ox]
              ix += g.strideW
            }
          }
        }
      }
    }
  }

  /// The band matrix of kernel row `ky`, group `gr`, for the tile of output rows `rows`: its
  /// first element and leading dimension. `band` is the tile's band, or for a pointwise plan
  /// the sample itself (`[C, inH, inW]`), which is then its own band.
  @inline(__always)
  private func bandView<S>(
    _ band: UnsafeMutablePointer<S>, rows: Range<Int>, kernelRow ky: Int, group gr: Int
  ) -> (UnsafeMutablePointer<S>, Int) {
    if pointwise { return (band + gr * cg * g.inArea + rows.lowerBound * g.inW, g.inArea) }
    let p = phaseOfKernelRow[ky]
    let ld = bandLength(phase: p, tileRows: rows.count) * g.outW
    let offset = phaseOffset(p, tileRows: rows.count) + gr * groupBandRows * ld + shiftOfKernelRow[ky] * g.outW
    return (band + offset, ld)
  }

  /// The band of sample `x`'s tile `rows`: written into `scratch`, or the sample itself.
  @inline(__always)
  private func band<S: NNScalar>(
    of x: UnsafePointer<S>, rows: Range<Int>, scratch: UnsafeMutablePointer<S>?
  ) -> UnsafeMutablePointer<S> {
    if pointwise { return UnsafeMutablePointer(mutating: x) }
    fillBand(x, rows: rows, scratch!)
    return scratch!
  }

  /// The weight matrix of kernel row `ky`, group `gr` (`og × cg·kW`) in band-ordered weights.
  @inline(__always)
  private func weightMatrix<S>(_ wr: UnsafePointer<S>, kernelRow ky: Int, group gr: Int) -> UnsafePointer<S> {
    wr + (gr * slices + ky) * og * groupBandRows
  }

  /// Runs `body(sample, tile rows, scratch band)` for every item of every run, each run with
  /// its own band.
  private func forEachItem<S: NNScalar>(
    _ scalar: S.Type, _ body: (_ worker: Int, _ sample: Int, _ rows: Range<Int>, UnsafeMutablePointer<S>?) -> Void
  ) {
    forEachRun { w, items in
      var scratch: [S] = scratchArray(count: bandCapacity)
      scratch.withUnsafeMutableBufferPointer { pb in
        for item in items { body(w, item / tileCount, tileRows(item % tileCount), pb.baseAddress) }
      }
    }
  }

  // MARK: The three products

  /// `out` (`[N, O, outH, outW]`, fully written) = conv(`x`, `w`) + `bias`.
  func forward<S: NNScalar>(
    x: UnsafePointer<S>, weight w: UnsafePointer<S>, bias: UnsafePointer<S>?,
    into out: UnsafeMutablePointer<S>
  ) {
    if usesThinProduct(S.self) {
      return thinForward(x: float(x), weight: float(w), bias: bias.map(float), into: mutableFloat(out))
    }
    withBandWeights(w) { weights in
      forEachItem(S.self) { _, n, rows, scratch in
        let dst = out + n * outChannels * g.outArea + rows.lowerBound * g.outW
        let columns = rows.count * g.outW
        if let bias {
          for o in 0..<outChannels { (dst + o * g.outArea).update(repeating: bias[o], count: columns) }
        }
        let band = band(of: x + n * g.channels * g.inArea, rows: rows, scratch: scratch)
        for gr in 0..<groups {
          for ky in 0..<slices {
            // out[og, tile] (+)= Wr[og, cg·kW] · band[cg·kW, tile]
            let (b, ldb) = bandView(band, rows: rows, kernelRow: ky, group: gr)
            S.gemm(
              transA: false, transB: false, m: og, n: columns, k: groupBandRows, alpha: 1,
              a: weightMatrix(weights, kernelRow: ky, group: gr), lda: groupBandRows,
              b: b, ldb: ldb, beta: bias == nil && ky == 0 ? 0 : 1,
              c: dst + gr * og * g.outArea, ldc: g.outArea)
          }
        }
      }
    }
  }

  /// The largest K (`groupBandRows`) for which `forward` uses the thin-reduction kernel.
  /// Measured against bias rows + OpenBLAS on one core (M = 64, 9600 columns per tile): 1.3–1.6×
  /// faster at K = 28 and 36, even at K = 64, slower beyond (and with several kernel rows).
  static let thinProductMaxK = 48

  /// Whether `forward` forms each group's product with `ThinGEMM` instead of bias rows +
  /// `cblas_sgemm`: Float, one product per group (one slice) with K ≤ `thinProductMaxK`
  /// (SELDnet's first convolution: 4 channels × 3×3, K = 36).
  func usesThinProduct<S>(_: S.Type) -> Bool {
    S.self == Float.self && slices == 1 && groupBandRows <= Self.thinProductMaxK && ThinGEMM.isEnabled
  }

  /// `forward` by the thin-reduction kernel (see `usesThinProduct`): each group's output tile is
  /// formed from the bias in registers and written once, without the bias fill and the read of
  /// the output that `cblas_sgemm` with β = 1 needs.
  private func thinForward(
    x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    into out: UnsafeMutablePointer<Float>
  ) {
    withBandWeights(w) { weights in
      // Each group's og × K weights in panels of 8 rows.
      let panelSize = ThinGEMM.packedCount(m: og, k: groupBandRows)
      var packed: [Float] = scratchArray(count: groups * panelSize)  // fully written
      packed.withUnsafeMutableBufferPointer { pp in
        for gr in 0..<groups {
          ThinGEMM.pack(
            m: og, k: groupBandRows, weightMatrix(weights, kernelRow: 0, group: gr), lda: groupBandRows,
            into: pp.baseAddress! + gr * panelSize)
        }
        let panels = UnsafePointer(pp.baseAddress!)
        forEachItem(Float.self) { _, n, rows, scratch in
          let dst = out + n * outChannels * g.outArea + rows.lowerBound * g.outW
          let band = band(of: x + n * g.channels * g.inArea, rows: rows, scratch: scratch)
          for gr in 0..<groups {
            let (b, ldb) = bandView(band, rows: rows, kernelRow: 0, group: gr)
            ThinGEMM.multiply(
              m: og, n: rows.count * g.outW, k: groupBandRows, packed: panels + gr * panelSize, b,
              ldb: ldb, bias: bias.map { $0 + gr * og }, into: dst + gr * og * g.outArea, ldc: g.outArea)
          }
        }
      }
    }
  }

  /// Adds ∂L/∂W (`[O, cg, kH, kW]`) for input `x` and output gradient `gy` into `dw`.
  func weightGradient<S: NNScalar>(
    x: UnsafePointer<S>, outputGradient gy: UnsafePointer<S>, into dw: UnsafeMutablePointer<S>
  ) {
    let size = outChannels * cg * g.kH * g.kW
    // One sum per run, in band order.
    var partial = [S](repeating: 0, count: workers * size)
    partial.withUnsafeMutableBufferPointer { pp in
      let sums = pp.baseAddress!
      forEachItem(S.self) { w, n, rows, scratch in
        let gyTile = gy + n * outChannels * g.outArea + rows.lowerBound * g.outW
        let band = band(of: x + n * g.channels * g.inArea, rows: rows, scratch: scratch)
        for gr in 0..<groups {
          for ky in 0..<slices {
            // dWr[og, cg·kW] += gy[og, tile] · bandᵀ[tile, cg·kW]
            let (b, ldb) = bandView(band, rows: rows, kernelRow: ky, group: gr)
            S.gemm(
              transA: false, transB: true, m: og, n: groupBandRows, k: rows.count * g.outW, alpha: 1,
              a: gyTile + gr * og * g.outArea, lda: g.outArea, b: b, ldb: ldb, beta: 1,
              c: UnsafeMutablePointer(mutating: weightMatrix(sums + w * size, kernelRow: ky, group: gr)),
              ldc: groupBandRows)
          }
        }
      }
      for w in 0..<workers { addBandWeights(sums + w * size, into: dw) }
    }
  }

  /// The input rows that run `w` shares with run `w + 1` in the same sample: the sample, the
  /// first shared input row and the number of rows from it that run `w` may touch; nil if none.
  func sharedRows(ofWorker w: Int) -> (sample: Int, row: Int, rows: Int)? {
    guard w + 1 < workers, !pointwise else { return nil }
    let items = items(ofWorker: w)
    guard let last = items.last, items.upperBound % tileCount != 0 else { return nil }
    let nextRows = tileRows(items.upperBound % tileCount)
    let first = nextRows.lowerBound * g.strideH - g.padTop
    let lastRow = min(g.inH - 1, (nextRows.lowerBound - 1) * g.strideH + (g.kH - 1) * g.dilationH - g.padTop)
    guard lastRow >= max(0, first) else { return nil }
    let start = max(0, first)
    return (last / tileCount, start, lastRow - start + 1)
  }

  /// Adds ∂L/∂x (`[N, C, inH, inW]`) for output gradient `gy` into `dx`.
  func inputGradient<S: NNScalar>(
    outputGradient gy: UnsafePointer<S>, weight w: UnsafePointer<S>,
    into dx: UnsafeMutablePointer<S>
  ) {
    let shared = (0..<workers).map { sharedRows(ofWorker: $0) }
    // Each run's side buffer for its shared rows: offsets into one array.
    var spillOffsets = [0]
    for s in shared { spillOffsets.append(spillOffsets.last! + (s?.rows ?? 0) * g.channels * g.inW) }
    var spills = [S](repeating: 0, count: spillOffsets.last!)
    withBandWeights(w) { weights in
      spills.withUnsafeMutableBufferPointer { ps in
        forEachItem(S.self) { w, n, rows, scratch in
          let gyTile = gy + n * outChannels * g.outArea + rows.lowerBound * g.outW
          let sample = dx + n * g.channels * g.inArea
          // A pointwise plan adds straight into dx (its tiles share no input rows); otherwise
          // the gradients' band is formed in the scratch band and added back below.
          let band = pointwise ? sample : scratch!
          if !pointwise {
            for p in phaseResidue.indices where !phaseWrittenOnce[p] {
              let count = bandRows * bandLength(phase: p, tileRows: rows.count) * g.outW
              (band + phaseOffset(p, tileRows: rows.count)).update(repeating: 0, count: count)
            }
          }
          for gr in 0..<groups {
            for ky in 0..<slices {
              // dband[cg·kW, tile] (+)= Wrᵀ[cg·kW, og] · gy[og, tile]
              let (c, ldc) = bandView(band, rows: rows, kernelRow: ky, group: gr)
              let overwrite = !pointwise && phaseWrittenOnce[phaseOfKernelRow[ky]]
              S.gemm(
                transA: true, transB: false, m: groupBandRows, n: rows.count * g.outW, k: og,
                alpha: 1, a: weightMatrix(weights, kernelRow: ky, group: gr), lda: groupBandRows,
                b: gyTile + gr * og * g.outArea, ldb: g.outArea, beta: overwrite ? 0 : 1,
                c: c, ldc: ldc)
            }
          }
          guard !pointwise else { return }
          let spill = shared[w].flatMap { s in
            s.sample == n ? (s.row, s.rows, ps.baseAddress! + spillOffsets[w]) : nil
          }
          addBand(band, rows: rows, into: sample, spill: spill)
        }
        // The shared rows, after every run is done.
        for (w, s) in shared.enumerated() {
          guard let s else { continue }
          let src = ps.baseAddress! + spillOffsets[w]
          let sample = dx + s.sample * g.channels * g.inArea
          for c in 0..<g.channels {
            let dst = sample + c * g.inArea + s.row * g.inW
            let from = src + c * s.rows * g.inW
            for i in 0..<(s.rows * g.inW) { dst[i] += from[i] }
          }
        }
      }
    }
  }
}

private func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? max(a, 1) : gcd(b, a % b) }

/// Forward convolution of a batch: `x` `[N, C, inH, inW]`, `w` `[O, C/groups, kH, kW]`,
/// optional `bias` `[O]`, output `[N, O, outH, outW]` (``ConvPlan/forward(x:weight:bias:into:)``).
@_specialize(where S == Float)
@_specialize(where S == Double)
func convForward<S: NNScalar>(
  x: [S], batch: Int, w: [S], bias: [S]?, outChannels: Int, groups: Int, geometry g: ConvGeometry
) -> [S] {
  let plan = ConvPlan(geometry: g, outChannels: outChannels, groups: groups, batch: batch)
  var out: [S] = scratchArray(count: batch * outChannels * g.outArea)  // every element is written
  x.withUnsafeBufferPointer { px in
    w.withUnsafeBufferPointer { pw in
      out.withUnsafeMutableBufferPointer { po in
        let (xp, wp, op) = (px.baseAddress!, pw.baseAddress!, po.baseAddress!)
        if let bias {
          bias.withUnsafeBufferPointer { plan.forward(x: xp, weight: wp, bias: $0.baseAddress!, into: op) }
        } else {
          plan.forward(x: xp, weight: wp, bias: nil, into: op)
        }
      }
    }
  }
  return out
}

/// Gradients of ``convForward``: input (if `needInput`), weight (if `needWeight`) and bias.
@_specialize(where S == Float)
@_specialize(where S == Double)
func convBackward<S: NNScalar>(
  gradient gy: [S], x: [S], batch: Int, w: [S], outChannels: Int, groups: Int,
  geometry g: ConvGeometry, needInput: Bool, needWeight: Bool, needBias: Bool
) -> (input: [S]?, weight: [S]?, bias: [S]?) {
  let gb = needBias ? reduceSum(gy, shape: [batch, outChannels, g.outArea], to: [1, outChannels, 1]) : nil
  guard needInput || needWeight else { return (nil, nil, gb) }
  let plan = ConvPlan(geometry: g, outChannels: outChannels, groups: groups, batch: batch)
  var gx = [S](repeating: 0, count: needInput ? x.count : 0)
  var gw = [S](repeating: 0, count: needWeight ? w.count : 0)
  gy.withUnsafeBufferPointer { pg in
    x.withUnsafeBufferPointer { px in
      w.withUnsafeBufferPointer { pw in
        if needWeight {
          gw.withUnsafeMutableBufferPointer { pgw in
            plan.weightGradient(x: px.baseAddress!, outputGradient: pg.baseAddress!, into: pgw.baseAddress!)
          }
        }
        if needInput {
          gx.withUnsafeMutableBufferPointer { pgx in
            plan.inputGradient(outputGradient: pg.baseAddress!, weight: pw.baseAddress!, into: pgx.baseAddress!)
          }
        }
      }
    }
  }
  return (needInput ? gx : nil, needWeight ? gw : nil, gb)
}
