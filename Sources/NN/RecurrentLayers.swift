import Foundation
internal import TensorModule

/// The parameters of one layer and direction of an RNN, with PyTorch's names
/// (`weight_ih_l{k}[_reverse]`, `weight_hh_…`, `bias_ih_…`, `bias_hh_…`).
public struct RecurrentWeights<Scalar: NNScalar> {
  public let weightIH: Tensor<Scalar>
  public let weightHH: Tensor<Scalar>
  public let biasIH: Tensor<Scalar>?
  public let biasHH: Tensor<Scalar>?
  public let suffix: String
}

/// The shared machinery of ``LSTM`` and ``GRU``: stacked layers, both directions,
/// batch-first or time-first layout, inter-layer dropout in training only.
public class RecurrentNetwork<Scalar: NNScalar>: Module, StochasticModule {
  public var isTraining = true
  public let inputSize: Int
  public let hiddenSize: Int
  public let layerCount: Int
  public let bidirectional: Bool
  public let batchFirst: Bool
  public let dropout: Double
  /// Per layer, the forward and (if bidirectional) reverse direction.
  public let weights: [[RecurrentWeights<Scalar>]]
  let cell: RecurrentCell
  private var generator: SplitMix64

  init(
    cell: RecurrentCell, inputSize: Int, hiddenSize: Int, layers: Int, bias: Bool,
    batchFirst: Bool, dropout: Double, bidirectional: Bool, dropoutSeed: UInt64,
    using rng: inout some RandomNumberGenerator
  ) {
    precondition(layers >= 1, "an RNN needs at least one layer")
    self.cell = cell
    (self.inputSize, self.hiddenSize, self.layerCount) = (inputSize, hiddenSize, layers)
    (self.bidirectional, self.batchFirst, self.dropout) = (bidirectional, batchFirst, dropout)
    generator = SplitMix64(seed: dropoutSeed)
    let gh = cell.gateCount * hiddenSize
    let bound = Scalar(1 / Double(hiddenSize).squareRoot())
    var all: [[RecurrentWeights<Scalar>]] = []
    for layer in 0..<layers {
      let layerInput = layer == 0 ? inputSize : hiddenSize * (bidirectional ? 2 : 1)
      var directions: [RecurrentWeights<Scalar>] = []
      for reverse in bidirectional ? [false, true] : [false] {
        func u(_ shape: [Int]) -> Tensor<Scalar> {
          Tensor(uniformBound: bound, shape: shape, requiresGrad: true, using: &rng)
        }
        let wih = u([gh, layerInput])
        let whh = u([gh, hiddenSize])
        let bih = bias ? u([gh]) : nil
        let bhh = bias ? u([gh]) : nil
        directions.append(
          RecurrentWeights(
            weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh,
            suffix: "_l\(layer)" + (reverse ? "_reverse" : "")))
      }
      all.append(directions)
    }
    weights = all
  }

  /// Restarts the inter-layer dropout stream.
  public func reseed(_ seed: UInt64) { generator = SplitMix64(seed: seed) }

  public var ownParameters: [(name: String, tensor: Tensor<Scalar>)] {
    var result: [(name: String, tensor: Tensor<Scalar>)] = []
    for w in weights.joined() {
      result.append(("weight_ih" + w.suffix, w.weightIH))
      result.append(("weight_hh" + w.suffix, w.weightHH))
      if let b = w.biasIH { result.append(("bias_ih" + w.suffix, b)) }
      if let b = w.biasHH { result.append(("bias_hh" + w.suffix, b)) }
    }
    return result
  }

  /// Runs the network on `[B, T, F]` (batch first) or `[T, B, F]` input from zero initial
  /// state. Returns the last layer's output (`[B, T, D·H]` or `[T, B, D·H]`, forward half first)
  /// and the final hidden state of every layer and direction, `[L·D, B, H]` (PyTorch `h_n`).
  public func run(_ input: Tensor<Scalar>) -> (output: Tensor<Scalar>, hidden: Tensor<Scalar>) {
    precondition(input.rank == 3 && input.shape[2] == inputSize, "RNN expects input [*, *, \(inputSize)], got \(input.shape)")
    var x = batchFirst ? input : input.transposed(0, 1)
    let (b, t) = (x.shape[0], x.shape[1])
    var finals: [Tensor<Scalar>] = []
    for (layer, directions) in weights.enumerated() {
      if layer > 0 && isTraining && dropout > 0 {
        x = x.dropout(probability: dropout, training: true, generator: &generator)
      }
      let outputs =
        directions.count == 2 && directionsInParallel(batch: b, steps: t)
        ? runInParallel(x, directions)
        : directions.enumerated().map { d, w in run(x, w, reverse: d == 1) }
      for (d, out) in outputs.enumerated() {
        let last = d == 1 ? 0 : t - 1
        finals.append(out.slice(axis: 1, last..<(last + 1)).reshaped([1, b, hiddenSize]))
      }
      x = outputs.count == 1 ? outputs[0] : Tensor.concatenate(outputs, axis: 2)
    }
    let hidden = Tensor.concatenate(finals, axis: 0)
    return (batchFirst ? x : x.transposed(0, 1), hidden)
  }
}

extension RecurrentNetwork {
  /// One direction of one layer: the input projection of every step in one GEMM, then the
  /// recurrence (`[B, T, H]`).
  private func run(
    _ x: Tensor<Scalar>, _ w: RecurrentWeights<Scalar>, reverse: Bool
  ) -> Tensor<Scalar> {
    let projected = x.linear(weight: w.weightIH, bias: w.biasIH)
    return Tensor.recurrence(
      cell, projected: projected, weightHH: w.weightHH, biasHH: w.biasHH, reverse: reverse)
  }

  /// Whether the two directions of a layer are worth a thread each: enough work per direction to
  /// pay for waking a thread, and more than one core.
  private func directionsInParallel(batch: Int, steps: Int) -> Bool {
    let gh = cell.gateCount * hiddenSize
    return batch * steps * gh * hiddenSize >= 1 << 16
      && ProcessInfo.processInfo.activeProcessorCount > 1
  }

  /// Both directions at once, each on its own thread with single-threaded BLAS (projection and
  /// recurrence; the recurrence then keeps all batch rows on that thread). Two independent
  /// chains of small products beat one after the other with every product split over the cores.
  /// The operations are recorded as usual; the autograd switch is carried to the threads.
  private func runInParallel(
    _ x: Tensor<Scalar>, _ directions: [RecurrentWeights<Scalar>]
  ) -> [Tensor<Scalar>] {
    let recording = Autograd.isEnabled
    let results = UnsafeMutablePointer<Tensor<Scalar>?>.allocate(capacity: 2)
    results.initialize(repeating: nil, count: 2)
    defer {
      results.deinitialize(count: 2)
      results.deallocate()
    }
    BLAS.forEachPartition(rows: 2, parts: 2) { ds in
      for d in ds {
        results[d] = Autograd.$isEnabled.withValue(recording) {
          run(x, directions[d], reverse: d == 1)
        }
      }
    }
    return [results[0]!, results[1]!]
  }
}

/// PyTorch `nn.LSTM` (zero initial state): gates i, f, g, o stacked in that order along dim 0
/// of `weight_ih_l{k}` `[4H, In]` and `weight_hh_l{k}` `[4H, H]`; c′ = f⊙c + i⊙g,
/// h′ = o⊙tanh(c′). All weights start as U(−1/√H, 1/√H).
public final class LSTM<Scalar: NNScalar>: RecurrentNetwork<Scalar>, Layer {
  public init(
    inputSize: Int, hiddenSize: Int, layers: Int = 1, bias: Bool = true,
    batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false,
    dropoutSeed: UInt64 = 0, using rng: inout some RandomNumberGenerator
  ) {
    super.init(
      cell: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, layers: layers, bias: bias,
      batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional,
      dropoutSeed: dropoutSeed, using: &rng)
  }

  /// The output sequence (PyTorch's first return value).
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { run(input).output }
}

/// PyTorch `nn.GRU` (zero initial state): gates r, z, n stacked in that order;
/// n = tanh(W_n·x + b_in + r⊙(U_n·h + b_hn)) with b_hn inside the reset product, and
/// h′ = (1−z)⊙n + z⊙h. All weights start as U(−1/√H, 1/√H).
public final class GRU<Scalar: NNScalar>: RecurrentNetwork<Scalar>, Layer {
  public init(
    inputSize: Int, hiddenSize: Int, layers: Int = 1, bias: Bool = true,
    batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false,
    dropoutSeed: UInt64 = 0, using rng: inout some RandomNumberGenerator
  ) {
    super.init(
      cell: .gru, inputSize: inputSize, hiddenSize: hiddenSize, layers: layers, bias: bias,
      batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional,
      dropoutSeed: dropoutSeed, using: &rng)
  }

  /// The output sequence (PyTorch's first return value).
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { run(input).output }
}
