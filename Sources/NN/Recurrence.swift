// Fused recurrences for one RNN layer and direction. The input projections of all time steps
// (W_ih·x + b_ih) come in precomputed as one GEMM; this op runs the recurrent part and its
// backpropagation through time.

import Foundation
internal import TensorModule
internal import _NNKernels

/// Which recurrent cell a fused recurrence runs.
enum RecurrentCell {
  /// Gates i, f, g, o (PyTorch `nn.LSTM`).
  case lstm
  /// Gates r, z, n with b_hn inside the reset product (PyTorch `nn.GRU`).
  case gru

  var gateCount: Int { self == .lstm ? 4 : 3 }
}

extension Tensor {
  /// Runs `cell` over `projected` (`[B, T, G·H]`, the input projections) with recurrent weight
  /// `weightHH` (`[G·H, H]`) and bias `biasHH` (`[G·H]`), from zero state. Returns the hidden
  /// state of every step, `[B, T, H]`; with `reverse` the sequence is read from last to first and
  /// step t is still stored at index t.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  static func recurrence(
    _ cell: RecurrentCell, projected: Tensor, weightHH: Tensor, biasHH: Tensor?, reverse: Bool
  ) -> Tensor {
    let (b, t) = (projected.shape[0], projected.shape[1])
    let h = weightHH.shape[1]
    let gh = cell.gateCount * h
    precondition(projected.shape[2] == gh && weightHH.shape[0] == gh, "recurrence: shape mismatch")
    let x = projected.scalars
    let w = weightHH.scalars
    let bias = biasHH?.scalars ?? [Scalar](repeating: 0, count: gh)
    // Saved activations per (b, t): LSTM i, f, g, o, c (5H); GRU r, z, n, U_n·h + b_hn (4H).
    let savedWidth = cell == .lstm ? 5 * h : 4 * h
    let inputs = biasHH.map { [projected, weightHH, $0] } ?? [projected, weightHH]
    // Without a backward pass only the current step's activations are needed: one slot per row,
    // overwritten step by step (the LSTM cell state is updated in place).
    let keepsSteps = recording(inputs)
    var saved = [Scalar](repeating: 0, count: b * (keepsSteps ? t : 1) * savedWidth)
    func slot(_ r: Int, _ step: Int) -> Int { (keepsSteps ? r * t + step : r) * savedWidth }
    var out = [Scalar](repeating: 0, count: b * t * h)
    var hh = [Scalar](repeating: 0, count: b * gh)
    let zeros = [Scalar](repeating: 0, count: h)
    let steps = reverse ? Array((0..<t).reversed()) : Array(0..<t)
    let parts = recurrenceParts(batch: b, steps: t, gateWidth: gh, hidden: h)
    x.withUnsafeBufferPointer { px in
      w.withUnsafeBufferPointer { pw in
        out.withUnsafeMutableBufferPointer { po in
          saved.withUnsafeMutableBufferPointer { ps in
            hh.withUnsafeMutableBufferPointer { phh in
             zeros.withUnsafeBufferPointer { pz in
              bias.withUnsafeBufferPointer { pb in
              // Batch rows are independent sequences: each block of rows runs the whole
              // recurrence on its own thread, with no synchronisation between steps.
              BLAS.forEachPartition(rows: b, parts: parts) { rows in
                let r0 = rows.lowerBound
                for (i, step) in steps.enumerated() {
                  // hh[rows, GH] = hPrev[rows, H] · W_hhᵀ + b_hh
                  for r in rows { (phh.baseAddress! + r * gh).update(from: pb.baseAddress!, count: gh) }
                  let previous = i > 0 ? steps[i - 1] : -1
                  if previous >= 0 {
                    Scalar.gemm(
                      transA: false, transB: true, m: rows.count, n: gh, k: h, alpha: 1,
                      a: po.baseAddress! + r0 * t * h + previous * h, lda: t * h,
                      b: pw.baseAddress!, ldb: h,
                      beta: 1, c: phh.baseAddress! + r0 * gh, ldc: gh)
                  }
                  for r in rows {
                    // The zero state at the first step.
                    let cPrev =
                      previous >= 0
                      ? UnsafePointer(ps.baseAddress! + slot(r, previous) + 4 * h)
                      : pz.baseAddress!
                    let hPrev =
                      previous >= 0
                      ? UnsafePointer(po.baseAddress! + (r * t + previous) * h) : pz.baseAddress!
                    Self.cellForward(
                      cell, h: h, x: px.baseAddress! + (r * t + step) * gh,
                      hh: phh.baseAddress! + r * gh,
                      saved: ps.baseAddress! + slot(r, step),
                      previousCell: cPrev, previousOutput: hPrev,
                      output: po.baseAddress! + (r * t + step) * h)
                  }
                }
              }
              }
             }
            }
          }
        }
      }
    }
    let hOut = out
    return record(shape: [b, t, h], scalars: out, inputs: inputs) { gOut, needs in
      // Gate gradients of every (row, step): the gradient of `projected`. The recurrent side
      // sees the same values except GRU's n gate, whose recurrent product sits inside r·(…).
      var gx = [Scalar](repeating: 0, count: x.count)
      var gruRecurrent = [Scalar](repeating: 0, count: cell == .gru ? x.count : 0)
      var dh = [Scalar](repeating: 0, count: b * h)  // carried dL/dh_{prev}
      var dc = [Scalar](repeating: 0, count: b * h)  // carried dL/dc_{prev} (LSTM)
      gx.withUnsafeMutableBufferPointer { pgx in
       gruRecurrent.withUnsafeMutableBufferPointer { pgr in
        dh.withUnsafeMutableBufferPointer { pdh in
         dc.withUnsafeMutableBufferPointer { pdc in
          saved.withUnsafeBufferPointer { ps in
           hOut.withUnsafeBufferPointer { po in
            w.withUnsafeBufferPointer { pw in
             gOut.withUnsafeBufferPointer { pg in
              let dgAll = cell == .gru ? pgr.baseAddress! : pgx.baseAddress!
              BLAS.forEachPartition(rows: b, parts: parts) { rows in
                let r0 = rows.lowerBound
                for i in stride(from: steps.count - 1, through: 0, by: -1) {
                  let step = steps[i]
                  let previous = i > 0 ? steps[i - 1] : -1
                  for r in rows {
                    Self.cellBackward(
                      cell, h: h, gradientOut: pg.baseAddress! + (r * t + step) * h,
                      saved: ps.baseAddress! + (r * t + step) * savedWidth,
                      previousCell: previous >= 0
                        ? ps.baseAddress! + (r * t + previous) * savedWidth + 4 * h : nil,
                      previousOutput: previous >= 0 ? po.baseAddress! + (r * t + previous) * h : nil,
                      carriedOutput: pdh.baseAddress! + r * h, carriedCell: pdc.baseAddress! + r * h,
                      gradientProjected: pgx.baseAddress! + (r * t + step) * gh,
                      gradientRecurrent: cell == .gru ? pgr.baseAddress! + (r * t + step) * gh : nil)
                  }
                  if previous >= 0 {
                    // dhPrev[rows, H] += dgates[rows, GH] · W_hh[GH, H]
                    Scalar.gemm(
                      transA: false, transB: false, m: rows.count, n: h, k: gh, alpha: 1,
                      a: dgAll + (r0 * t + step) * gh, lda: t * gh, b: pw.baseAddress!, ldb: h,
                      beta: 1, c: pdh.baseAddress! + r0 * h, ldc: h)
                  }
                }
              }
             }
            }
           }
          }
         }
        }
       }
      }
      // The recurrent-side gate gradients of every (row, step).
      let dgates = cell == .gru ? gruRecurrent : gx
      var gw: [Scalar]? = nil
      if needs[1] {
        // dW_hh[GH, H] = Σ over (row, step) of dgatesᵀ · hPrev, one product over all of them
        // against the hidden states shifted by one step (zero where there is no previous one).
        var shifted = [Scalar](repeating: 0, count: b * t * h)
        shifted.withUnsafeMutableBufferPointer { psh in
          hOut.withUnsafeBufferPointer { po in
            for r in 0..<b {
              for i in 1..<max(t, 1) {
                (psh.baseAddress! + (r * t + steps[i]) * h)
                  .update(from: po.baseAddress! + (r * t + steps[i - 1]) * h, count: h)
              }
            }
          }
        }
        gw = gemmArrays(
          dgates, transA: true, lda: gh, shifted, transB: false, ldb: h, m: gh, n: h, k: b * t)
      }
      var result: [[Scalar]?] = [needs[0] ? gx : nil, gw]
      if needs.count > 2 {
        // db_hh: the recurrent-side gate gradients summed over rows and steps.
        result.append(needs[2] ? reduceSum(dgates, shape: [b * t, gh], to: [1, gh]) : nil)
      }
      return result
    }
  }
}

extension Tensor {
  /// One row of one step of `recurrence`'s backward pass. Reads the step's output gradient plus
  /// the carried `dL/dh` (and LSTM `dL/dc`), writes the gate gradients to `gradientProjected`
  /// (and, for GRU, the recurrent-side ones to `gradientRecurrent`, where the n gate is scaled
  /// by r), and leaves in the carries what flows to the previous step before the `W_hh` product
  /// (LSTM: dL/dc·f and zero; GRU: dL/dh·z). `previousCell` / `previousOutput` are nil at the
  /// first step (zero state).
  @inline(__always)
  static func cellBackward(
    _ cell: RecurrentCell, h: Int, gradientOut: UnsafePointer<Scalar>,
    saved: UnsafePointer<Scalar>, previousCell: UnsafePointer<Scalar>?,
    previousOutput: UnsafePointer<Scalar>?, carriedOutput dh: UnsafeMutablePointer<Scalar>,
    carriedCell dc: UnsafeMutablePointer<Scalar>, gradientProjected gx: UnsafeMutablePointer<Scalar>,
    gradientRecurrent gr: UnsafeMutablePointer<Scalar>?
  ) {
    switch cell {
    case .lstm where Scalar.self == Float.self:
      l3das_lstm_backward_f32(
        h, float(gradientOut), float(saved), previousCell.map(float), mutableFloat(dh),
        mutableFloat(dc), mutableFloat(gx))
    case .lstm:
      let (ig, fg, gg, og, c) = (saved, saved + h, saved + 2 * h, saved + 3 * h, saved + 4 * h)
      for j in 0..<h {
        let dhj = gradientOut[j] + dh[j]
        let cPrev: Scalar = previousCell?[j] ?? 0
        let tc = Scalar.tanh(c[j])
        let dcj = dc[j] + dhj * og[j] * (1 - tc * tc)
        gx[j] = dcj * gg[j] * ig[j] * (1 - ig[j])
        gx[h + j] = dcj * cPrev * fg[j] * (1 - fg[j])
        gx[2 * h + j] = dcj * ig[j] * (1 - gg[j] * gg[j])
        gx[3 * h + j] = dhj * tc * og[j] * (1 - og[j])
        dc[j] = dcj * fg[j]
        dh[j] = 0
      }
    case .gru:
      let (rg, zg, ng, hn) = (saved, saved + h, saved + 2 * h, saved + 3 * h)
      for j in 0..<h {
        let dhj = gradientOut[j] + dh[j]
        let hPrev: Scalar = previousOutput?[j] ?? 0
        let dn = dhj * (1 - zg[j]) * (1 - ng[j] * ng[j])
        let dz = dhj * (hPrev - ng[j]) * zg[j] * (1 - zg[j])
        let dr = dn * hn[j] * rg[j] * (1 - rg[j])
        gx[j] = dr
        gx[h + j] = dz
        gx[2 * h + j] = dn
        gr![j] = dr
        gr![h + j] = dz
        gr![2 * h + j] = dn * rg[j]
        dh[j] = dhj * zg[j]
      }
    }
  }

  /// How many blocks of batch rows `recurrence` runs in parallel: one per core when the
  /// recurrent products are big enough to pay for the threads.
  static func recurrenceParts(batch: Int, steps: Int, gateWidth: Int, hidden: Int) -> Int {
    batch * steps * gateWidth * hidden >= 1 << 20
      ? min(batch, ProcessInfo.processInfo.activeProcessorCount) : 1
  }
}

extension Tensor {
  /// One row of one step of `recurrence`'s forward pass: the gates from the input projection
  /// `x` and the recurrent product `hh` (each `G·H`), saved to `saved` and the new hidden state
  /// to `output`. `previousCell` (LSTM c) and `previousOutput` (h) are the previous step's
  /// values, or zeros at the first step.
  ///
  /// `Float` runs the C kernels (`_NNKernels`, built for the CPU's widest vectors). Other scalar
  /// types run short loops over one or two arrays each (pre-activations into `saved`, then the
  /// activations in place, then the state update).
  @inline(__always)
  static func cellForward(
    _ cell: RecurrentCell, h: Int, x: UnsafePointer<Scalar>, hh: UnsafePointer<Scalar>,
    saved: UnsafeMutablePointer<Scalar>, previousCell: UnsafePointer<Scalar>,
    previousOutput: UnsafePointer<Scalar>, output: UnsafeMutablePointer<Scalar>
  ) {
    if Scalar.self == Float.self {
      // The C kernels: the same arithmetic, built for the CPU's widest vectors.
      switch cell {
      case .lstm:
        l3das_lstm_forward_f32(
          h, float(x), float(hh), mutableFloat(saved), float(previousCell), mutableFloat(output))
      case .gru:
        l3das_gru_forward_f32(
          h, float(x), float(hh), mutableFloat(saved), float(previousOutput), mutableFloat(output))
      }
      return
    }
    switch cell {
    case .lstm:
      // Saved: i, f, g, o, c.
      for j in 0..<(4 * h) { saved[j] = x[j] + hh[j] }
      sigmoidInPlace(saved, count: 2 * h)
      tanhInPlace(saved + 2 * h, count: h)
      sigmoidInPlace(saved + 3 * h, count: h)
      let (i, f, g, o, c) = (saved, saved + h, saved + 2 * h, saved + 3 * h, saved + 4 * h)
      for j in 0..<h { c[j] = f[j] * previousCell[j] + i[j] * g[j] }
      for j in 0..<h { output[j] = o[j] * Scalar.tanh(c[j]) }
    case .gru:
      // Saved: r, z, n, U_n·h + b_hn.
      for j in 0..<(2 * h) { saved[j] = x[j] + hh[j] }
      sigmoidInPlace(saved, count: 2 * h)
      let (r, z, n, hn) = (saved, saved + h, saved + 2 * h, saved + 3 * h)
      for j in 0..<h { hn[j] = hh[2 * h + j] }
      for j in 0..<h { n[j] = x[2 * h + j] + r[j] * hn[j] }
      tanhInPlace(n, count: h)
      for j in 0..<h { output[j] = (1 - z[j]) * n[j] + z[j] * previousOutput[j] }
    }
  }

  @inline(__always)
  static func sigmoidInPlace(_ p: UnsafeMutablePointer<Scalar>, count: Int) {
    for j in 0..<count { p[j] = Scalar.sigmoid(p[j]) }
  }

  @inline(__always)
  static func tanhInPlace(_ p: UnsafeMutablePointer<Scalar>, count: Int) {
    for j in 0..<count { p[j] = Scalar.tanh(p[j]) }
  }
}
