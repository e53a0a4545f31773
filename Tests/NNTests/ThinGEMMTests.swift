import Glibc
@testable import NN
import TensorModule
import Testing

/// The AVX-512 product for thin reductions (`_NNKernels/ThinGEMM.c`) against Float64 sums, and
/// the Float convolutions that use it against the Float64 band path. The kernel tests are
/// disabled on a CPU without AVX-512; the convolution tests then check the BLAS path instead.
@Suite("Thin-reduction product")
struct ThinGEMMTests {
  /// Every combination of row counts around the 8-row panels, column counts around the 32-column
  /// tiles and the 1024-column chunks, and inner sizes from 1 to the convolution limit; C's
  /// leading dimension leaves a margin that must stay untouched.
  @Test(.enabled(if: ThinGEMM.isEnabled, "needs AVX-512"), arguments: [1, 7, 8, 9, 17, 64])
  func productMatchesDoubleSums(m: Int) {
    var rng = SplitMix64(seed: UInt64(100 + m))
    for n in [1, 15, 16, 17, 31, 32, 33, 100, 1024, 1025, 1100, 2048] {
      for k in [1, 5, 36, 48] {
        for withBias in [false, true] {
          let (lda, ldb, ldc) = (k + 3, n + 5, n + 7)
          let a = (0..<(m * lda)).map { _ in Float.random(in: -1...1, using: &rng) }
          let b = (0..<(k * ldb)).map { _ in Float.random(in: -1...1, using: &rng) }
          let bias = (0..<m).map { _ in Float.random(in: -1...1, using: &rng) }
          var packed = [Float](repeating: .nan, count: ThinGEMM.packedCount(m: m, k: k))
          // Two rows past m, which must stay untouched too.
          var c = [Float](repeating: .nan, count: (m + 2) * ldc)
          a.withUnsafeBufferPointer { pa in
            packed.withUnsafeMutableBufferPointer { ThinGEMM.pack(m: m, k: k, pa.baseAddress!, lda: lda, into: $0.baseAddress!) }
          }
          packed.withUnsafeBufferPointer { pp in
            b.withUnsafeBufferPointer { pb in
              bias.withUnsafeBufferPointer { pbias in
                c.withUnsafeMutableBufferPointer { pc in
                  ThinGEMM.multiply(
                    m: m, n: n, k: k, packed: pp.baseAddress!, pb.baseAddress!, ldb: ldb,
                    bias: withBias ? pbias.baseAddress! : nil, into: pc.baseAddress!, ldc: ldc)
                }
              }
            }
          }
          var worst = 0.0
          for i in 0..<m {
            for j in 0..<n {
              var s = withBias ? Double(bias[i]) : 0
              for p in 0..<k { s += Double(a[i * lda + p]) * Double(b[p * ldb + j]) }
              // Float sums of k products of magnitude ≤ 1: error within k · 2⁻²⁴ per term.
              worst = max(worst, abs(Double(c[i * ldc + j]) - s) / Double(k + 1))
            }
            // The margin between rows is never written.
            let untouched = c[(i * ldc + n)..<(i * ldc + ldc)].allSatisfy { $0.isNaN }
            #expect(untouched, "m \(m) n \(n) k \(k): wrote past column n")
          }
          let rowsPastM = c[(m * ldc)...].allSatisfy { $0.isNaN }
          #expect(rowsPastM, "m \(m) n \(n) k \(k): wrote a row past m")
          #expect(worst < 1.2e-7, "m \(m) n \(n) k \(k) bias \(withBias)")
        }
      }
    }
  }

  /// B with no margin (ldb = n) ending right before a page that cannot be read: a load past
  /// column n of B's last row would crash the test process instead of reading a margin.
  @Test(.enabled(if: ThinGEMM.isEnabled, "needs AVX-512"), arguments: [1, 15, 17, 33, 1025])
  func productNeverReadsPastTheLastColumn(n: Int) throws {
    let (m, k) = (9, 5)
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let bytes = (k * n * MemoryLayout<Float>.size + page - 1) / page * page
    let mapping = try #require(
      mmap(nil, bytes + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
    #expect(mapping != MAP_FAILED)
    defer { munmap(mapping, bytes + page) }
    #expect(mprotect(mapping + bytes, page, PROT_NONE) == 0)
    // B's last element is the last float before the protected page.
    let b = (mapping + bytes - k * n * MemoryLayout<Float>.size).assumingMemoryBound(to: Float.self)
    var rng = SplitMix64(seed: UInt64(n))
    for i in 0..<(k * n) { b[i] = Float.random(in: -1...1, using: &rng) }
    let a = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &rng) }
    var packed = [Float](repeating: 0, count: ThinGEMM.packedCount(m: m, k: k))
    var c = [Float](repeating: .nan, count: m * n)
    a.withUnsafeBufferPointer { pa in
      packed.withUnsafeMutableBufferPointer { ThinGEMM.pack(m: m, k: k, pa.baseAddress!, lda: k, into: $0.baseAddress!) }
    }
    packed.withUnsafeBufferPointer { pp in
      c.withUnsafeMutableBufferPointer { pc in
        ThinGEMM.multiply(
          m: m, n: n, k: k, packed: pp.baseAddress!, UnsafePointer(b), ldb: n, bias: nil,
          into: pc.baseAddress!, ldc: n)
      }
    }
    var worst = 0.0
    for i in 0..<m {
      for j in 0..<n {
        var s = 0.0
        for p in 0..<k { s += Double(a[i * k + p]) * Double(b[p * n + j]) }
        worst = max(worst, abs(Double(c[i * n + j]) - s))
      }
    }
    #expect(worst < 1e-6)
  }

  struct Case: CustomTestStringConvertible, Sendable {
    var channels: Int, outChannels: Int, groups: Int
    var kernel: (Int, Int), stride: (Int, Int)
    var padding: Padding2D
    var bias: Bool
    var batch: Int, height: Int, width: Int
    var testDescription: String {
      "C\(channels)→\(outChannels) g\(groups) k\(kernel) s\(stride) bias \(bias) N\(batch) \(height)×\(width)"
    }
  }

  /// Convolutions whose one product per group has K ≤ 48, so Float runs on the thin kernel.
  static let cases: [Case] = [
    // SELDnet's first layer with 13 output channels (a partial panel) and 300 columns per row
    // (a partial tile), tall enough that the tiles run in parallel.
    Case(
      channels: 4, outChannels: 13, groups: 1, kernel: (3, 3), stride: (1, 1),
      padding: Padding2D(1, 1), bias: true, batch: 1, height: 256, width: 300),
    // Two groups of 3 → 5 channels (K = 27), row stride, a bias per group.
    Case(
      channels: 6, outChannels: 10, groups: 2, kernel: (3, 3), stride: (2, 1),
      padding: Padding2D(top: 1, bottom: 0, left: 1, right: 1), bias: true, batch: 2, height: 40, width: 37),
    // Pointwise: the input is the band (K = 20), large enough for two parallel tiles of one
    // sample, so the second tile's band starts mid-plane.
    Case(
      channels: 20, outChannels: 24, groups: 1, kernel: (1, 1), stride: (1, 1),
      padding: .zero, bias: true, batch: 1, height: 128, width: 300),
    // FaSNet's encoder-like 1-D convolution: one input channel, a 40-tap kernel, stride 20.
    Case(
      channels: 1, outChannels: 24, groups: 1, kernel: (1, 40), stride: (1, 20),
      padding: .zero, bias: false, batch: 3, height: 1, width: 2000),
    // Fewer columns than one vector.
    Case(
      channels: 2, outChannels: 3, groups: 1, kernel: (2, 2), stride: (1, 1),
      padding: .zero, bias: true, batch: 1, height: 4, width: 6),
  ]

  @Test(arguments: cases)
  func floatConvolutionMatchesDouble(_ c: Case) {
    var rng = SplitMix64(seed: 41)
    let reference = Conv2d<Double>(
      inChannels: c.channels, outChannels: c.outChannels, kernelSize: c.kernel, stride: c.stride,
      padding: c.padding, groups: c.groups, bias: c.bias, using: &rng)
    var rngF = SplitMix64(seed: 41)
    let conv = Conv2d<Float>(
      inChannels: c.channels, outChannels: c.outChannels, kernelSize: c.kernel, stride: c.stride,
      padding: c.padding, groups: c.groups, bias: c.bias, using: &rngF)
    // The same weights in both precisions (the Double ones rounded to Float first).
    reference.weight.scalars = conv.weight.scalars.map(Double.init)
    if c.bias { reference.bias!.scalars = conv.bias!.scalars.map(Double.init) }
    let xd = randomTensor([c.batch, c.channels, c.height, c.width], seed: 42, requiresGrad: false)
    let xf = Tensor<Float>(shape: xd.shape, scalars: xd.scalars.map(Float.init))
    let geometry = ConvGeometry(
      channels: c.channels, inH: c.height, inW: c.width, kH: c.kernel.0, kW: c.kernel.1,
      strideH: c.stride.0, strideW: c.stride.1, padTop: c.padding.top, padLeft: c.padding.left,
      dilationH: 1, dilationW: 1,
      outH: ConvGeometry.outputSize(
        input: c.height, padBefore: c.padding.top, padAfter: c.padding.bottom, kernel: c.kernel.0,
        stride: c.stride.0, dilation: 1),
      outW: ConvGeometry.outputSize(
        input: c.width, padBefore: c.padding.left, padAfter: c.padding.right, kernel: c.kernel.1,
        stride: c.stride.1, dilation: 1))
    let plan = ConvPlan(geometry: geometry, outChannels: c.outChannels, groups: c.groups, batch: c.batch)
    #expect(plan.usesThinProduct(Float.self) == ThinGEMM.isEnabled)
    #expect(!plan.usesThinProduct(Double.self))
    let expected = withNoGrad { reference(Tensor(shape: xd.shape, scalars: xf.scalars.map(Double.init))) }
    let actual = withNoGrad { conv(xf) }
    #expect(actual.shape == expected.shape)
    #expect(maxRelativeError(actual.scalars.map(Double.init), expected.scalars) < 2e-6)
  }
}
