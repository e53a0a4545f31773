// Differentiable 2-D convolution and transposed convolution (cross-correlation, no kernel flip).

/// Zero padding of a 2-D convolution, per side (PyTorch's symmetric `padding=(h, w)` or an
/// explicit `F.pad`-style asymmetric padding).
public struct Padding2D: Sendable, Equatable {
  public var top: Int
  public var bottom: Int
  public var left: Int
  public var right: Int

  public init(top: Int, bottom: Int, left: Int, right: Int) {
    precondition(min(top, bottom, left, right) >= 0, "padding must be non-negative")
    (self.top, self.bottom, self.left, self.right) = (top, bottom, left, right)
  }

  /// `h` rows above and below, `w` columns left and right.
  public init(_ h: Int, _ w: Int) { self.init(top: h, bottom: h, left: w, right: w) }

  public static let zero = Padding2D(0, 0)
}

extension Tensor {
  /// 2-D cross-correlation, PyTorch `F.conv2d`: `self` `[N, C, H, W]`, `weight`
  /// `[O, C/groups, kH, kW]`, `bias` `[O]` → `[N, O, outH, outW]` with
  /// outH = ⌊(H + top + bottom − dilationH·(kH−1) − 1)/strideH⌋ + 1.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func conv2d(
    weight: Tensor, bias: Tensor?, stride: (Int, Int) = (1, 1), padding: Padding2D = .zero,
    dilation: (Int, Int) = (1, 1), groups: Int = 1
  ) -> Tensor {
    precondition(rank == 4 && weight.rank == 4, "conv2d needs [N,C,H,W] input and 4-D weight")
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
    let o = weight.shape[0]
    precondition(c % groups == 0 && o % groups == 0, "channels must divide into \(groups) groups")
    precondition(
      weight.shape[1] == c / groups,
      "weight \(weight.shape) expects \(weight.shape[1] * groups) input channels, got \(c)")
    let (kh, kw) = (weight.shape[2], weight.shape[3])
    let outH = ConvGeometry.outputSize(
      input: h, padBefore: padding.top, padAfter: padding.bottom, kernel: kh, stride: stride.0,
      dilation: dilation.0)
    let outW = ConvGeometry.outputSize(
      input: w, padBefore: padding.left, padAfter: padding.right, kernel: kw, stride: stride.1,
      dilation: dilation.1)
    precondition(outH > 0 && outW > 0, "conv2d output would be empty for input \(shape)")
    let g = ConvGeometry(
      channels: c, inH: h, inW: w, kH: kh, kW: kw, strideH: stride.0, strideW: stride.1,
      padTop: padding.top, padLeft: padding.left, dilationH: dilation.0, dilationW: dilation.1,
      outH: outH, outW: outW)
    let xv = scalars
    let wv = weight.scalars
    let out = convForward(
      x: xv, batch: n, w: wv, bias: bias?.scalars, outChannels: o, groups: groups, geometry: g)
    let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
    return Tensor.record(shape: [n, o, outH, outW], scalars: out, inputs: inputs) { gy, needs in
      let r = convBackward(
        gradient: gy, x: xv, batch: n, w: wv, outChannels: o, groups: groups, geometry: g,
        needInput: needs[0], needWeight: needs[1], needBias: needs.count > 2 && needs[2])
      return needs.count > 2 ? [r.input, r.weight, r.bias] : [r.input, r.weight]
    }
  }

  /// 1-D cross-correlation, PyTorch `F.conv1d`: `self` `[N, C, L]`, `weight` `[O, C/groups, k]`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func conv1d(
    weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
    groups: Int = 1
  ) -> Tensor {
    precondition(rank == 3 && weight.rank == 3, "conv1d needs [N,C,L] input and 3-D weight")
    let x4 = reshaped([shape[0], shape[1], 1, shape[2]])
    let w4 = weight.reshaped([weight.shape[0], weight.shape[1], 1, weight.shape[2]])
    let y = x4.conv2d(
      weight: w4, bias: bias, stride: (1, stride), padding: Padding2D(0, padding),
      dilation: (1, dilation), groups: groups)
    return y.reshaped([y.shape[0], y.shape[1], y.shape[3]])
  }

  /// 2-D transposed convolution, PyTorch `F.conv_transpose2d` (groups 1): `self` `[N, I, H, W]`,
  /// `weight` `[I, O, kH, kW]` → `[N, O, (H−1)·sH − top − bottom + dH·(kH−1) + 1 + outputPaddingH, …]`.
  /// Every input pixel scatters `weight[i, o]`·x into the output window at (y·sH, x·sW).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func convTranspose2d(
    weight: Tensor, bias: Tensor?, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
    outputPadding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)
  ) -> Tensor {
    precondition(rank == 4 && weight.rank == 4, "convTranspose2d needs [N,C,H,W] input and 4-D weight")
    let (n, ci, h, w) = (shape[0], shape[1], shape[2], shape[3])
    precondition(weight.shape[0] == ci, "weight \(weight.shape) expects \(weight.shape[0]) input channels, got \(ci)")
    let (o, kh, kw) = (weight.shape[1], weight.shape[2], weight.shape[3])
    let outH = (h - 1) * stride.0 - 2 * padding.0 + dilation.0 * (kh - 1) + 1 + outputPadding.0
    let outW = (w - 1) * stride.1 - 2 * padding.1 + dilation.1 * (kw - 1) + 1 + outputPadding.1
    // The adjoint geometry: a convolution from the output plane back to the input plane.
    let g = ConvGeometry(
      channels: o, inH: outH, inW: outW, kH: kh, kW: kw, strideH: stride.0, strideW: stride.1,
      padTop: padding.0, padLeft: padding.1, dilationH: dilation.0, dilationW: dilation.1,
      outH: h, outW: w)
    let xv = scalars
    let wv = weight.scalars
    let plan = ConvPlan(geometry: g, outChannels: ci, groups: 1, batch: n)
    let outArea = outH * outW
    // The output starts as the bias and the adjoint convolution's input gradient is added.
    var out =
      bias.map { broadcastValues($0.scalars, shape: [1, o, 1], to: [n, o, outArea]) }
      ?? [Scalar](repeating: 0, count: n * o * outArea)
    xv.withUnsafeBufferPointer { px in
      wv.withUnsafeBufferPointer { pw in
        out.withUnsafeMutableBufferPointer { po in
          plan.inputGradient(outputGradient: px.baseAddress!, weight: pw.baseAddress!, into: po.baseAddress!)
        }
      }
    }
    let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
    return Tensor.record(shape: [n, o, outH, outW], scalars: out, inputs: inputs) { gy, needs in
      var gx: [Scalar] = scratchArray(count: needs[0] ? xv.count : 0)  // fully written
      var gw = [Scalar](repeating: 0, count: needs[1] ? wv.count : 0)
      var gb: [Scalar]?
      if needs.count > 2 && needs[2] {
        gb = reduceSum(gy, shape: [n, o, outArea], to: [1, o, 1])
      }
      gy.withUnsafeBufferPointer { pg in
        xv.withUnsafeBufferPointer { px in
          wv.withUnsafeBufferPointer { pw in
            if needs[0] {
              // dx = the adjoint convolution of gy.
              gx.withUnsafeMutableBufferPointer { pgx in
                plan.forward(x: pg.baseAddress!, weight: pw.baseAddress!, bias: nil, into: pgx.baseAddress!)
              }
            }
            if needs[1] {
              // dW[I, O, kH, kW]: the adjoint convolution's weight gradient, with gy as its input
              // and x as its output gradient.
              gw.withUnsafeMutableBufferPointer { pgw in
                plan.weightGradient(x: pg.baseAddress!, outputGradient: px.baseAddress!, into: pgw.baseAddress!)
              }
            }
          }
        }
      }
      let (dx, dw) = (needs[0] ? gx : nil, needs[1] ? gw : nil)
      return needs.count > 2 ? [dx, dw, gb] : [dx, dw]
    }
  }
}
