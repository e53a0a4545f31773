// Fused recurrences for one RNN layer and direction. The input projections of all time steps
// (W_ih·x + b_ih) come in precomputed as one GEMM; this op runs the recurrent part and its
// backpropagation through time.

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
    var saved = [Scalar](repeating: 0, count: b * t * savedWidth)
    var out = [Scalar](repeating: 0, count: b * t * h)
    var hh = [Scalar](repeating: 0, count: b * gh)
    let zeros = [Scalar](repeating: 0, count: h)
    let steps = reverse ? Array((0..<t).reversed()) : Array(0..<t)
    x.withUnsafeBufferPointer { px in
      w.withUnsafeBufferPointer { pw in
        out.withUnsafeMutableBufferPointer { po in
          saved.withUnsafeMutableBufferPointer { ps in
            hh.withUnsafeMutableBufferPointer { phh in
             zeros.withUnsafeBufferPointer { pz in
              for (i, step) in steps.enumerated() {
                // hh[B, GH] = hPrev[B, H] · W_hhᵀ + b_hh
                bias.withUnsafeBufferPointer { pb in
                  for r in 0..<b { (phh.baseAddress! + r * gh).update(from: pb.baseAddress!, count: gh) }
                }
                if i > 0 {
                  let prev = steps[i - 1]
                  Scalar.gemm(
                    transA: false, transB: true, m: b, n: gh, k: h, alpha: 1,
                    a: po.baseAddress! + prev * h, lda: t * h, b: pw.baseAddress!, ldb: h,
                    beta: 1, c: phh.baseAddress!, ldc: gh)
                }
                forEachRowBlock(b, work: b * h) { rows in
                  let previous = i > 0 ? steps[i - 1] : -1
                  for r in rows {
                    // The zero state at the first step.
                    let cPrev =
                      previous >= 0
                      ? UnsafePointer(ps.baseAddress! + (r * t + previous) * savedWidth + 4 * h)
                      : pz.baseAddress!
                    let hPrev =
                      previous >= 0
                      ? UnsafePointer(po.baseAddress! + (r * t + previous) * h) : pz.baseAddress!
                    Self.cellForward(
                      cell, h: h, x: px.baseAddress! + (r * t + step) * gh,
                      hh: phh.baseAddress! + r * gh,
                      saved: ps.baseAddress! + (r * t + step) * savedWidth,
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
    let hOut = out
    let inputs = biasHH.map { [projected, weightHH, $0] } ?? [projected, weightHH]
    return record(shape: [b, t, h], scalars: out, inputs: inputs) { gOut, needs in
      var gx = [Scalar](repeating: 0, count: x.count)
      var gw = [Scalar](repeating: 0, count: w.count)
      var gb = [Scalar](repeating: 0, count: gh)
      var dh = [Scalar](repeating: 0, count: b * h)  // carried dL/dh_{prev}
      var dc = [Scalar](repeating: 0, count: b * h)  // carried dL/dc_{prev} (LSTM)
      var dgates = [Scalar](repeating: 0, count: b * gh)  // recurrent-side gate gradients
      gx.withUnsafeMutableBufferPointer { pgx in
        gw.withUnsafeMutableBufferPointer { pgw in
          dgates.withUnsafeMutableBufferPointer { pdg in
            dh.withUnsafeMutableBufferPointer { pdh in
             dc.withUnsafeMutableBufferPointer { pdc in
              saved.withUnsafeBufferPointer { ps in
                hOut.withUnsafeBufferPointer { po in
                  w.withUnsafeBufferPointer { pw in
                    for i in stride(from: steps.count - 1, through: 0, by: -1) {
                      let step = steps[i]
                      forEachRowBlock(b, work: b * h) { rows in
                      for r in rows {
                        let si = (r * t + step) * savedWidth
                        let xi = (r * t + step) * gh
                        let gi = r * gh
                        let prevIndex = i > 0 ? (r * t + steps[i - 1]) * h : -1
                        for j in 0..<h {
                          let dhj = gOut[(r * t + step) * h + j] + pdh[r * h + j]
                          let hPrev: Scalar = prevIndex >= 0 ? po[prevIndex + j] : 0
                          switch cell {
                          case .lstm:
                            let (ig, fg, gg, og) = (
                              ps[si + j], ps[si + h + j], ps[si + 2 * h + j], ps[si + 3 * h + j]
                            )
                            let c = ps[si + 4 * h + j]
                            let cPrev: Scalar =
                              i > 0 ? ps[(r * t + steps[i - 1]) * savedWidth + 4 * h + j] : 0
                            let tc = Scalar.tanh(c)
                            let dcj = pdc[r * h + j] + dhj * og * (1 - tc * tc)
                            let di = dcj * gg * ig * (1 - ig)
                            let df = dcj * cPrev * fg * (1 - fg)
                            let dg = dcj * ig * (1 - gg * gg)
                            let dO = dhj * tc * og * (1 - og)
                            pdc[r * h + j] = dcj * fg
                            pgx[xi + j] = di
                            pgx[xi + h + j] = df
                            pgx[xi + 2 * h + j] = dg
                            pgx[xi + 3 * h + j] = dO
                            pdg[gi + j] = di
                            pdg[gi + h + j] = df
                            pdg[gi + 2 * h + j] = dg
                            pdg[gi + 3 * h + j] = dO
                            pdh[r * h + j] = 0
                          case .gru:
                            let (rg, zg, ng, hn) = (
                              ps[si + j], ps[si + h + j], ps[si + 2 * h + j], ps[si + 3 * h + j]
                            )
                            let dn = dhj * (1 - zg) * (1 - ng * ng)
                            let dz = dhj * (hPrev - ng) * zg * (1 - zg)
                            let dr = dn * hn * rg * (1 - rg)
                            pgx[xi + j] = dr
                            pgx[xi + h + j] = dz
                            pgx[xi + 2 * h + j] = dn
                            pdg[gi + j] = dr
                            pdg[gi + h + j] = dz
                            pdg[gi + 2 * h + j] = dn * rg
                            pdh[r * h + j] = dhj * zg
                          }
                        }
                      }
                      }
                      for r in 0..<b { for j in 0..<gh { gb[j] += pdg[r * gh + j] } }
                      if i > 0 {
                        let prev = steps[i - 1]
                        // dW_hh[GH, H] += dgatesᵀ[GH, B] · hPrev[B, H]
                        Scalar.gemm(
                          transA: true, transB: false, m: gh, n: h, k: b, alpha: 1,
                          a: pdg.baseAddress!, lda: gh, b: po.baseAddress! + prev * h,
                          ldb: t * h, beta: 1, c: pgw.baseAddress!, ldc: h)
                        // dhPrev[B, H] += dgates[B, GH] · W_hh[GH, H]
                        Scalar.gemm(
                          transA: false, transB: false, m: b, n: h, k: gh, alpha: 1,
                          a: pdg.baseAddress!, lda: gh, b: pw.baseAddress!, ldb: h, beta: 1,
                          c: pdh.baseAddress!, ldc: h)
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
      var result: [[Scalar]?] = [needs[0] ? gx : nil, needs[1] ? gw : nil]
      if needs.count > 2 { result.append(needs[2] ? gb : nil) }
      return result
    }
  }
}

extension Tensor {
  /// One row of one step of `recurrence`'s forward pass: the gates from the input projection
  /// `x` and the recurrent product `hh` (each `G·H`), saved to `saved` and the new hidden state
  /// to `output`. `previousCell` (LSTM c) and `previousOutput` (h) are the previous step's
  /// values, or zeros at the first step.
  ///
  /// Staged as short loops over one or two arrays each (pre-activations into `saved`, then the
  /// activations in place, then the state update), which the compiler vectorises together with
  /// `Float`'s call-free `exp` and `tanh`. One loop doing everything per element stayed scalar:
  /// it touched too many pointers for the vectoriser's overlap checks.
  @inline(__always)
  static func cellForward(
    _ cell: RecurrentCell, h: Int, x: UnsafePointer<Scalar>, hh: UnsafePointer<Scalar>,
    saved: UnsafeMutablePointer<Scalar>, previousCell: UnsafePointer<Scalar>,
    previousOutput: UnsafePointer<Scalar>, output: UnsafeMutablePointer<Scalar>
  ) {
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
