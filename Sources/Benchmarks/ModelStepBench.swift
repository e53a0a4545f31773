import Dispatch
import Foundation
import L3DASCore
import Models
import NN
import TensorModule

#if canImport(Glibc)
  import Glibc
#endif

/// One training step (train-mode forward, loss, backward, Adam) of each baseline at its default
/// configuration and the official batch, against the PyTorch 2.15 CPU anchors measured on the
/// project's 2-core machine (BASELINES.md §6): SELDnet 7.0 s, FaSNet origin 21.9 s, MIMO-UNet
/// 67.9 s. The first step is a warm-up; the median of the rest is reported, with the process's
/// peak RSS so far (cumulative, so the cases run from smallest to largest).
enum ModelStepBench {
  struct Case {
    var name: String
    var seconds: Double
    var detail: String
  }

  /// - Parameter only: run just the models whose name contains one of these (case-insensitive).
  static func run(repetitions: Int, only: [String] = []) throws -> [Case] {
    HeapTuning.retainLargeAllocations()
    var cases: [Case] = []
    var rng = SplitMix64(seed: 5)
    func wanted(_ name: String) -> Bool {
      only.isEmpty || only.contains { name.lowercased().contains($0.lowercased()) }
    }

    if wanted("seldnet") {
    let seldnet = try SELDnet(.augmentedL3DAS22, seed: 1)
    let spectrum = Tensor<Float>(uniformBound: 1, shape: [3, 4, 256, 2400], using: &rng)
    let sedTarget = Tensor<Float>(
      shape: [3, 300, 42], scalars: (0..<(3 * 300 * 42)).map { _ in Float(rng.next() & 1) })
    let doaTarget = Tensor<Float>(uniformBound: 1, shape: [3, 300, 126], using: &rng)
    cases.append(
      try step(
        "Seldnet_augmented (L3DAS22), batch 3 × [4, 256, 2400]", module: seldnet, anchor: 7.0,
        repetitions: repetitions
      ) {
        let (sed, doa) = try seldnet.forward(spectrum)
        return bceLoss(sed, sedTarget) + 5 * mseLoss(doa, doaTarget)
      })
    }

    if wanted("fasnet") {
    let fasnet = try FaSNet(.l3das21, seed: 1)
    let waves = Tensor<Float>(uniformBound: 0.5, shape: [20, 4, 32_000], using: &rng)
    let clean = Tensor<Float>(uniformBound: 0.5, shape: [20, 1, 32_000], using: &rng)
    cases.append(
      try step(
        "FaSNet_origin (L3DAS21), batch 20 × [4, 32000]", module: fasnet, anchor: 21.9,
        repetitions: repetitions
      ) { mseLoss(try fasnet.forward(waves), clean) })
    }

    if wanted("mimo") || wanted("mmub") {
    let mmub = try MIMOUNet(.l3das22, seed: 1)
    let mixture = Tensor<Float>(uniformBound: 0.5, shape: [6, 4, 76_672], using: &rng)
    var target: Tensor<Float>?
    cases.append(
      try step(
        "MIMO-UNet (L3DAS22), batch 6 × [4, 76672]", module: mmub, anchor: 67.9,
        repetitions: repetitions
      ) {
        let output = try mmub.forward(mixture)
        if target == nil { target = Tensor(uniformBound: 0.5, shape: output.shape, using: &rng) }
        return l1Loss(output, target!)
      })
    }
    return cases
  }

  static func step(
    _ name: String, module: any Module<Float>, anchor: Double, repetitions: Int,
    loss: () throws -> Tensor<Float>
  ) throws -> Case {
    module.train()
    let adam = Adam(parameters: module.parameters(), learningRate: 1e-4)
    func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    var forward: [Double] = []
    var backward: [Double] = []
    var update: [Double] = []
    for _ in 0..<(repetitions + 1) {
      adam.zeroGrad()
      let t0 = now()
      let value = try loss()
      let t1 = now()
      value.backward()
      let t2 = now()
      adam.step()
      let t3 = now()
      forward.append(t1 - t0)
      backward.append(t2 - t1)
      update.append(t3 - t2)
    }
    func median(_ v: [Double]) -> Double {
      let kept = Array(v.dropFirst()).sorted()
      return kept[kept.count / 2]
    }
    let total = median(zip(zip(forward, backward), update).map { $0.0 + $0.1 + $1 })
    return Case(
      name: name + " train step", seconds: total,
      detail: String(
        format: "forward %.2f s, backward %.2f s, Adam %.3f s; %d parameters; %.2f× PyTorch's %.1f s; peak RSS so far %.0f MiB",
        median(forward), median(backward), median(update), module.parameterCount, total / anchor, anchor,
        peakResidentMiB()))
  }

  static func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
  }
}
