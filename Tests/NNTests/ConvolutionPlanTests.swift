import NN
import TensorModule
import Testing

/// The band convolution kernels (ConvolutionKernels.swift) against the defining sums, in
/// Float64: outputs, input gradients and weight gradients, for strides that split kernel rows
/// into phases, dilations, asymmetric padding, groups, 1×1, 1×k and k×1 kernels, bands of one
/// kernel row and of all kernel rows, and inputs large enough that samples × tiles run on
/// several threads and neighbouring runs share input rows. Every output and input row is
/// checked (a few points each), so an error at a tile or run boundary cannot hide.
@Suite("Band convolution")
struct ConvolutionPlanTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var channels: Int, outChannels: Int, groups: Int
    var kernel: (Int, Int), stride: (Int, Int), dilation: (Int, Int)
    var padding: Padding2D
    var batch: Int, height: Int, width: Int
    var testDescription: String {
      "C\(channels)→\(outChannels) g\(groups) k\(kernel) s\(stride) d\(dilation) N\(batch) \(height)×\(width)"
    }
  }

  /// Cases with cg·kW ≥ 64 use row bands; the others unfold all taps (im2col).
  static let cases: [Case] = [
    // Row bands, parallel runs over 3 samples × 8 tiles: the runs share input rows of sample 1.
    Case(
      channels: 24, outChannels: 2, groups: 1, kernel: (5, 3), stride: (1, 1), dilation: (1, 1),
      padding: Padding2D(2, 1), batch: 3, height: 100, width: 700),
    // Row bands, one sample in 12 tiles, dilated rows: the shared rows span 6 input rows.
    Case(
      channels: 24, outChannels: 8, groups: 1, kernel: (3, 3), stride: (1, 1), dilation: (3, 1),
      padding: Padding2D(top: 3, bottom: 3, left: 1, right: 1), batch: 1, height: 200, width: 600),
    // MIMO-UNet-like: stride 2 puts the 8 kernel rows in two phases, each shifted 0…3 rows.
    Case(
      channels: 12, outChannels: 5, groups: 1, kernel: (8, 6), stride: (2, 2), dilation: (1, 1),
      padding: Padding2D(top: 3, bottom: 4, left: 2, right: 3), batch: 2, height: 64, width: 90),
    // Dilation 2 with stride 3: three phases; two groups of 22 channels.
    Case(
      channels: 44, outChannels: 6, groups: 2, kernel: (3, 3), stride: (3, 1), dilation: (2, 2),
      padding: Padding2D(top: 1, bottom: 0, left: 2, right: 1), batch: 2, height: 50, width: 40),
    // Pointwise, parallel: the input is its own band.
    Case(
      channels: 32, outChannels: 16, groups: 1, kernel: (1, 1), stride: (1, 1), dilation: (1, 1),
      padding: .zero, batch: 2, height: 64, width: 300),
    // Conv1d-like rows with grouped channels and a strided, dilated width.
    Case(
      channels: 8, outChannels: 8, groups: 4, kernel: (1, 5), stride: (1, 2), dilation: (1, 3),
      padding: Padding2D(top: 0, bottom: 0, left: 4, right: 4), batch: 3, height: 1, width: 2000),
    // All taps unfolded, parallel (SELDnet's first layer, smaller): one sample in 4 tiles.
    Case(
      channels: 4, outChannels: 16, groups: 1, kernel: (3, 3), stride: (1, 1), dilation: (1, 1),
      padding: Padding2D(1, 1), batch: 1, height: 256, width: 300),
    // All taps unfolded, with stride and dilation in rows.
    Case(
      channels: 3, outChannels: 4, groups: 1, kernel: (5, 4), stride: (2, 1), dilation: (2, 1),
      padding: Padding2D(top: 3, bottom: 2, left: 1, right: 2), batch: 2, height: 60, width: 50),
    // A column kernel.
    Case(
      channels: 3, outChannels: 2, groups: 1, kernel: (7, 1), stride: (1, 1), dilation: (1, 1),
      padding: Padding2D(3, 0), batch: 1, height: 80, width: 30),
    // Stride larger than the kernel: some input rows are never read.
    Case(
      channels: 2, outChannels: 3, groups: 1, kernel: (2, 2), stride: (3, 3), dilation: (1, 1),
      padding: .zero, batch: 2, height: 31, width: 29),
  ]

  @Test(arguments: cases)
  func convolutionMatchesDefiningSums(_ c: Case) {
    var rng = SplitMix64(seed: 21)
    let conv = Conv2d<Double>(
      inChannels: c.channels, outChannels: c.outChannels, kernelSize: c.kernel, stride: c.stride,
      padding: c.padding, dilation: c.dilation, groups: c.groups, using: &rng)
    let x = randomTensor([c.batch, c.channels, c.height, c.width], seed: 22)
    let y = conv(x)
    let (outH, outW) = (y.shape[2], y.shape[3])
    let r = randomTensor(y.shape, seed: 23, requiresGrad: false)
    y.backward(seed: r.scalars)
    let (w, xs, rs) = (conv.weight.scalars, x.scalars, r.scalars)
    let (cg, og) = (c.channels / c.groups, c.outChannels / c.groups)
    let (kh, kw) = c.kernel
    func input(_ n: Int, _ ch: Int, _ iy: Int, _ ix: Int) -> Double {
      guard iy >= 0, iy < c.height, ix >= 0, ix < c.width else { return 0 }
      return xs[((n * c.channels + ch) * c.height + iy) * c.width + ix]
    }
    func weight(_ o: Int, _ ci: Int, _ ky: Int, _ kx: Int) -> Double {
      w[((o * cg + ci) * kh + ky) * kw + kx]
    }
    var pick = SplitMix64(seed: 24)
    var worst = 0.0
    // Outputs: three points in every output row of every sample.
    for n in 0..<c.batch {
      for oy in 0..<outH {
        for _ in 0..<3 {
          let o = Int.random(in: 0..<c.outChannels, using: &pick)
          let ox = Int.random(in: 0..<outW, using: &pick)
          let g0 = o / og * cg
          var s = conv.bias!.scalars[o]
          for ci in 0..<cg {
            for ky in 0..<kh {
              for kx in 0..<kw {
                s += weight(o, ci, ky, kx)
                  * input(
                    n, g0 + ci, oy * c.stride.0 + ky * c.dilation.0 - c.padding.top,
                    ox * c.stride.1 + kx * c.dilation.1 - c.padding.left)
              }
            }
          }
          worst = max(worst, abs(s - y.scalars[((n * c.outChannels + o) * outH + oy) * outW + ox]))
        }
      }
    }
    #expect(worst < 1e-12, "output")
    // Input gradients: three points in every input row of every sample.
    worst = 0
    for n in 0..<c.batch {
      for iy in 0..<c.height {
        for _ in 0..<3 {
          let ch = Int.random(in: 0..<c.channels, using: &pick)
          let ix = Int.random(in: 0..<c.width, using: &pick)
          let group = ch / cg
          var s = 0.0
          for o in (group * og)..<((group + 1) * og) {
            for ky in 0..<kh {
              for kx in 0..<kw {
                let (ty, tx) = (iy + c.padding.top - ky * c.dilation.0, ix + c.padding.left - kx * c.dilation.1)
                guard ty >= 0, tx >= 0, ty % c.stride.0 == 0, tx % c.stride.1 == 0 else { continue }
                let (oy, ox) = (ty / c.stride.0, tx / c.stride.1)
                guard oy < outH, ox < outW else { continue }
                s += weight(o, ch - group * cg, ky, kx) * rs[((n * c.outChannels + o) * outH + oy) * outW + ox]
              }
            }
          }
          worst = max(worst, abs(s - x.grad![((n * c.channels + ch) * c.height + iy) * c.width + ix]))
        }
      }
    }
    #expect(worst < 1e-12, "input gradient")
    // Weight gradients: twenty weights, summed over every sample and output position.
    worst = 0
    for _ in 0..<20 {
      let (o, ci) = (Int.random(in: 0..<c.outChannels, using: &pick), Int.random(in: 0..<cg, using: &pick))
      let (ky, kx) = (Int.random(in: 0..<kh, using: &pick), Int.random(in: 0..<kw, using: &pick))
      var s = 0.0
      for n in 0..<c.batch {
        for oy in 0..<outH {
          for ox in 0..<outW {
            s += rs[((n * c.outChannels + o) * outH + oy) * outW + ox]
              * input(
                n, o / og * cg + ci, oy * c.stride.0 + ky * c.dilation.0 - c.padding.top,
                ox * c.stride.1 + kx * c.dilation.1 - c.padding.left)
          }
        }
      }
      worst = max(worst, abs(s - conv.weight.grad![((o * cg + ci) * kh + ky) * kw + kx]) / max(1, abs(s)))
    }
    #expect(worst < 1e-12, "weight gradient")
  }

  struct TransposedCase: CustomTestStringConvertible, Sendable {
    var channels: Int, outChannels: Int
    var kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), outputPadding: (Int, Int)
    var dilation: (Int, Int)
    var batch: Int, height: Int, width: Int
    var testDescription: String {
      "I\(channels)→\(outChannels) k\(kernel) s\(stride) p\(padding) op\(outputPadding) d\(dilation) N\(batch) \(height)×\(width)"
    }
  }

  static let transposedCases: [TransposedCase] = [
    // MIMO-UNet decoder-like, parallel: one sample in two tiles that share output rows.
    TransposedCase(
      channels: 16, outChannels: 8, kernel: (6, 3), stride: (2, 1), padding: (0, 0),
      outputPadding: (0, 0), dilation: (1, 1), batch: 1, height: 40, width: 60),
    // The same with row bands (24 output channels × 3 columns per band row).
    TransposedCase(
      channels: 8, outChannels: 24, kernel: (6, 3), stride: (2, 1), padding: (0, 0),
      outputPadding: (0, 0), dilation: (1, 1), batch: 1, height: 30, width: 50),
    TransposedCase(
      channels: 3, outChannels: 4, kernel: (3, 4), stride: (2, 3), padding: (1, 2),
      outputPadding: (1, 2), dilation: (2, 1), batch: 2, height: 9, width: 7),
  ]

  @Test(arguments: transposedCases)
  func transposedConvolutionMatchesDefiningSums(_ c: TransposedCase) {
    var rng = SplitMix64(seed: 31)
    let layer = ConvTranspose2d<Double>(
      inChannels: c.channels, outChannels: c.outChannels, kernelSize: c.kernel, stride: c.stride,
      padding: c.padding, outputPadding: c.outputPadding, dilation: c.dilation, using: &rng)
    let x = randomTensor([c.batch, c.channels, c.height, c.width], seed: 32)
    let y = layer(x)
    let (outH, outW) = (y.shape[2], y.shape[3])
    #expect(outH == (c.height - 1) * c.stride.0 - 2 * c.padding.0 + c.dilation.0 * (c.kernel.0 - 1) + 1 + c.outputPadding.0)
    let r = randomTensor(y.shape, seed: 33, requiresGrad: false)
    y.backward(seed: r.scalars)
    let (kh, kw) = c.kernel
    let (w, xs, rs) = (layer.weight.scalars, x.scalars, r.scalars)
    func weight(_ i: Int, _ o: Int, _ ky: Int, _ kx: Int) -> Double {
      w[((i * c.outChannels + o) * kh + ky) * kw + kx]
    }
    /// The output position input pixel (iy, ix) reaches through tap (ky, kx), if inside.
    func target(_ iy: Int, _ ix: Int, _ ky: Int, _ kx: Int) -> (Int, Int)? {
      let oy = iy * c.stride.0 - c.padding.0 + ky * c.dilation.0
      let ox = ix * c.stride.1 - c.padding.1 + kx * c.dilation.1
      return oy >= 0 && oy < outH && ox >= 0 && ox < outW ? (oy, ox) : nil
    }
    // The whole output by scattering every input pixel.
    var expected = [Double](repeating: 0, count: y.count)
    var dx = [Double](repeating: 0, count: x.count)
    var dw = [Double](repeating: 0, count: w.count)
    for n in 0..<c.batch {
      for i in 0..<c.channels {
        for iy in 0..<c.height {
          for ix in 0..<c.width {
            let xi = ((n * c.channels + i) * c.height + iy) * c.width + ix
            for o in 0..<c.outChannels {
              for ky in 0..<kh {
                for kx in 0..<kw {
                  guard let (oy, ox) = target(iy, ix, ky, kx) else { continue }
                  let yi = ((n * c.outChannels + o) * outH + oy) * outW + ox
                  let wi = ((i * c.outChannels + o) * kh + ky) * kw + kx
                  expected[yi] += weight(i, o, ky, kx) * xs[xi]
                  dx[xi] += weight(i, o, ky, kx) * rs[yi]
                  dw[wi] += xs[xi] * rs[yi]
                }
              }
            }
          }
        }
      }
    }
    for n in 0..<c.batch {
      for o in 0..<c.outChannels {
        for p in 0..<(outH * outW) { expected[(n * c.outChannels + o) * outH * outW + p] += layer.bias!.scalars[o] }
      }
    }
    #expect(maxRelativeError(y.scalars, expected) < 1e-13)
    #expect(maxRelativeError(x.grad!, dx) < 1e-13)
    #expect(maxRelativeError(layer.weight.grad!, dw) < 1e-13)
  }
}
