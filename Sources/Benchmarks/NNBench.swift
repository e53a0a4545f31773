import Dispatch
import Foundation
import L3DASCore
import NN
import TensorModule

/// Forward + backward timings of the NN layers at the SELDnet and MMUB baseline sizes
/// (batch 1), and the GEMM throughput reached inside Conv2d and Linear compared with one bare
/// `cblas_sgemm` of the same shape. `Tools/bench/nn_torch.py` times the same cases in PyTorch.
enum NNBench {
  struct Case {
    var name: String
    var seconds: Double
    var detail: String
  }

  /// - Parameter matching: only the cases whose name contains it (case-insensitive); nil: all.
  static func run(repetitions: Int, matching: String? = nil) throws -> [Case] {
    HeapTuning.retainLargeAllocations()
    var rng = SplitMix64(seed: 1)
    func wanted(_ name: String) -> Bool {
      matching.map { name.localizedCaseInsensitiveContains($0) } ?? true
    }
    var cases: [Case] = []
    let reps = max(1, repetitions)

    func time(_ body: () -> Void) -> Double { medianSeconds(repetitions: reps, body) }

    /// Times forward alone and forward + backward (seeded with ones) of `layer` on `x`.
    func layerCase(
      _ name: String, _ layer: @autoclosure () -> any Layer<Float>,
      _ input: @autoclosure () -> Tensor<Float>, flops: Double? = nil
    ) {
      // Built only when wanted: a filtered run does not pay for the other layers' weights.
      guard wanted(name) else { return }
      let layer = layer()
      let x = input()
      layer.train(false)
      let forward = time { _ = withNoGrad { layer(x) } }
      layer.train(true)
      let both = time {
        layer.zeroGrad()
        x.zeroGrad()
        let y = layer(x)
        y.backward(seed: [Float](repeating: 1, count: y.count))
      }
      var detail = "input \(x.shape)"
      if let flops { detail += String(format: ", forward GEMM %.1f GFLOP/s", flops / forward / 1e9) }
      cases.append(Case(name: name + " forward", seconds: forward, detail: detail))
      cases.append(Case(name: name + " forward+backward", seconds: both, detail: "train mode"))
    }

    func input(_ shape: [Int]) -> Tensor<Float> {
      Tensor(uniformBound: 1, shape: shape, requiresGrad: true, using: &rng)
    }

    /// One bare sgemm of m×k · k×n, in GFLOP/s.
    func bareGemm(m: Int, n: Int, k: Int) -> Double {
      let a = [Float](repeating: 0.5, count: m * k)
      let b = [Float](repeating: 0.25, count: k * n)
      var c = [Float](repeating: 0, count: m * n)
      let seconds = time {
        a.withUnsafeBufferPointer { pa in
          b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
              BLAS.gemm(.none, pa, .none, pb, into: pc, m: m, n: n, k: k)
            }
          }
        }
      }
      return 2 * Double(m) * Double(n) * Double(k) / seconds / 1e9
    }

    cases.append(Case(
      name: "OpenBLAS", seconds: 0,
      detail: "\(BLAS.threadCount) threads, \(ProcessInfo.processInfo.activeProcessorCount) cores; \(BLAS.configuration)"))
    // The reference for the GEMM throughput reached inside the layers: one large square call.
    if wanted("sgemm peak") { cases.append(Case(
      name: "sgemm peak 2048×2048·2048×2048", seconds: 0,
      detail: String(format: "%.1f GFLOP/s (one call)", bareGemm(m: 2048, n: 2048, k: 2048)))) }
    // SELDnet (L3DAS22, 30 s file: [4, 256, 2400]), batch 1.
    let t = 2400
    layerCase("SELDnet conv1 4→64 3×3", Conv2d<Float>(inChannels: 4, outChannels: 64, kernelSize: (3, 3), padding: Padding2D(1, 1), using: &rng), input([1, 4, 256, t]), flops: 2 * 64 * 36 * 256 * Double(t))
    let conv2Flops = 2 * 128 * 576 * 32 * Double(t / 2)
    layerCase("SELDnet conv2 64→128 3×3", Conv2d<Float>(inChannels: 64, outChannels: 128, kernelSize: (3, 3), padding: Padding2D(1, 1), using: &rng), input([1, 64, 32, t / 2]), flops: conv2Flops)
    if wanted("bare sgemm 128") { cases.append(Case(
      name: "bare sgemm 128×576·576×38400", seconds: 0,
      detail: String(format: "%.1f GFLOP/s (conv2's GEMM shape)", bareGemm(m: 128, n: 32 * t / 2, k: 576)))) }
    layerCase("BatchNorm2d 64 ch", BatchNorm2d<Float>(features: 64), input([1, 64, 256, t]))
    layerCase("ReLU", ReLU<Float>(), input([1, 64, 256, t]))
    layerCase("MaxPool2d (8, 2)", MaxPool2d<Float>(kernel: (8, 2)), input([1, 64, 256, t]))
    layerCase("Dropout 0.3", Dropout<Float>(probability: 0.3), input([1, 64, 32, t / 2]))
    layerCase("SELDnet GRU 3×bi 1024→256, T=300", GRU<Float>(inputSize: 1024, hiddenSize: 256, layers: 3, batchFirst: true, dropout: 0.3, bidirectional: true, using: &rng), input([1, t / 8, 1024]))
    layerCase("Linear 1024→1024, 300 rows", Linear<Float>(inFeatures: 1024, outFeatures: 1024, using: &rng), input([1, t / 8, 1024]), flops: 2 * 300 * 1024 * 1024)
    if wanted("bare sgemm 300") { cases.append(Case(
      name: "bare sgemm 300×1024·1024×1024", seconds: 0,
      detail: String(format: "%.1f GFLOP/s (Linear's GEMM shape)", bareGemm(m: 300, n: 1024, k: 1024)))) }

    // MMUB (L3DAS22 Task 1 default sizes), batch 1.
    layerCase("MMUB e3 conv 32→64 7×6", Conv2d<Float>(inChannels: 32, outChannels: 64, kernelSize: (7, 6), padding: Padding2D(top: 3, bottom: 3, left: 2, right: 3), using: &rng), input([1, 32, 256, 300]), flops: 2 * 64 * 32 * 42 * 256 * 300)
    layerCase("MMUB d1 convT 384→128 6×3 s(2,1)", ConvTranspose2d<Float>(inChannels: 384, outChannels: 128, kernelSize: (6, 3), stride: (2, 1), using: &rng), input([1, 384, 32, 75]))
    layerCase("FaSNet-size LSTM bi 64→128, 100×50", LSTM<Float>(inputSize: 64, hiddenSize: 128, batchFirst: true, bidirectional: true, using: &rng), input([100, 50, 64]))
    // The whole SELDnet training step, timed by the model bench on the `Models` type.
    if wanted("Seldnet_augmented") {
      cases += try ModelStepBench.run(repetitions: min(reps, 3), only: ["seldnet"]).map {
        Case(name: $0.name, seconds: $0.seconds, detail: $0.detail)
      }
    }
    return cases
  }
}
