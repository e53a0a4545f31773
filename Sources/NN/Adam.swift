public import Foundation
import SafeTensors

/// The Adam optimiser, equal to PyTorch's `torch.optim.Adam` (no amsgrad, not maximising):
///
///     g ← ∇ + weightDecay·p                (L2 form)
///     m ← β₁·m + (1−β₁)·g,   v ← β₂·v + (1−β₂)·g²
///     p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)
///
/// Parameters without a gradient are skipped (their step count does not advance).
public final class Adam<Scalar: NNScalar> {
  public let parameters: [Tensor<Scalar>]
  public var learningRate: Scalar
  public let beta1: Scalar
  public let beta2: Scalar
  public let epsilon: Scalar
  public let weightDecay: Scalar
  private var firstMoments: [[Scalar]]
  private var secondMoments: [[Scalar]]
  private var steps: [Int]

  public init(
    parameters: [Tensor<Scalar>], learningRate: Scalar = 1e-3, beta1: Scalar = 0.9,
    beta2: Scalar = 0.999, epsilon: Scalar = 1e-8, weightDecay: Scalar = 0
  ) {
    self.parameters = parameters
    (self.learningRate, self.beta1, self.beta2) = (learningRate, beta1, beta2)
    (self.epsilon, self.weightDecay) = (epsilon, weightDecay)
    firstMoments = parameters.map { [Scalar](repeating: 0, count: $0.count) }
    secondMoments = firstMoments
    steps = [Int](repeating: 0, count: parameters.count)
  }

  /// Clears every parameter's gradient.
  public func zeroGrad() {
    for p in parameters { p.zeroGrad() }
  }

  /// Applies one update from the accumulated gradients.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func step() {
    for (index, p) in parameters.enumerated() {
      guard let grad = p.grad else { continue }
      steps[index] += 1
      let t = steps[index]
      // Bias corrections in double precision, as PyTorch computes them in Python floats.
      let bc1 = 1 - Double(beta1).power(t)
      let bc2 = 1 - Double(beta2).power(t)
      let stepSize = Scalar(Double(learningRate) / bc1)
      let bc2Root = Scalar(bc2.squareRoot())
      var m = firstMoments[index]
      var v = secondMoments[index]
      firstMoments[index] = []
      secondMoments[index] = []
      let (beta1, beta2, epsilon, weightDecay) = (beta1, beta2, epsilon, weightDecay)
      p.scalars.withUnsafeMutableBufferPointer { pp in
        m.withUnsafeMutableBufferPointer { pm in
          v.withUnsafeMutableBufferPointer { pv in
            grad.withUnsafeBufferPointer { pg in
              for i in 0..<pp.count {
                let g = weightDecay != 0 ? pg[i] + weightDecay * pp[i] : pg[i]
                pm[i] = beta1 * pm[i] + (1 - beta1) * g
                pv[i] = beta2 * pv[i] + (1 - beta2) * g * g
                let denominator = pv[i].squareRoot() / bc2Root + epsilon
                pp[i] -= stepSize * pm[i] / denominator
              }
            }
          }
        }
      }
      firstMoments[index] = m
      secondMoments[index] = v
    }
  }
}

extension Double {
  fileprivate func power(_ n: Int) -> Double {
    var result = 1.0
    for _ in 0..<n { result *= self }
    return result
  }
}

/// Rescales the gradients of `parameters` so that their joint L2 norm is at most `maxNorm`,
/// PyTorch `clip_grad_norm_`: the factor is maxNorm/(norm + 1e-6), applied only when below 1.
/// - Returns: the total norm before clipping.
@discardableResult
@_specialize(where S == Float)
@_specialize(where S == Double)
public func clipGradientNorm<S: NNScalar>(_ parameters: [Tensor<S>], maxNorm: S) -> S {
  var sumSquares: Double = 0
  for p in parameters {
    guard let g = p.grad else { continue }
    for v in g { sumSquares += Double(v) * Double(v) }
  }
  let total = S(sumSquares.squareRoot())
  let coefficient = maxNorm / (total + 1e-6)
  if coefficient < 1 {
    for p in parameters {
      guard var g = p.grad else { continue }
      p.grad = nil
      for i in 0..<g.count { g[i] *= coefficient }
      p.grad = g
    }
  }
  return total
}

extension Adam {
  /// Atomically writes the optimiser state as safetensors with PyTorch's `state_dict` naming:
  /// `state.<i>.exp_avg`, `state.<i>.exp_avg_sq` and `state.<i>.step` (I64) per parameter
  /// index, and the hyperparameters (`lr`, `betas`, `eps`, `weight_decay`) as metadata.
  public func saveState(to url: URL) throws {
    var tensors: [String: SafeTensorsWriter.Tensor] = [:]
    for index in parameters.indices {
      let shape = parameters[index].shape
      if Scalar.self == Double.self {
        tensors["state.\(index).exp_avg"] = .init(firstMoments[index].map { Double($0) }, shape: shape)
        tensors["state.\(index).exp_avg_sq"] = .init(secondMoments[index].map { Double($0) }, shape: shape)
      } else {
        tensors["state.\(index).exp_avg"] = .init(firstMoments[index].map { Float($0) }, shape: shape)
        tensors["state.\(index).exp_avg_sq"] = .init(secondMoments[index].map { Float($0) }, shape: shape)
      }
      tensors["state.\(index).step"] = .init([Int64(steps[index])], shape: [])
    }
    let metadata = [
      "optimizer": "Adam", "lr": "\(learningRate)", "betas": "\(beta1),\(beta2)",
      "eps": "\(epsilon)", "weight_decay": "\(weightDecay)", "parameters": "\(parameters.count)",
    ]
    do {
      try SafeTensorsWriter.write(tensors, metadata: metadata, to: url)
    } catch {
      throw StateDictError(
        code: .io, missing: [], unexpected: [], mismatchedShapes: [], path: url.path,
        message: "\(error)")
    }
  }

  /// Restores a state written by ``saveState(to:)`` for the same parameter list (the
  /// learning rate is taken from the file too). Every missing or mis-shaped entry is listed in
  /// one `StateDictError`; nothing changes unless the whole file fits.
  public func loadState(contentsOf url: URL) throws {
    let file: SafeTensorsFile
    do { file = try SafeTensorsFile.read(url) } catch {
      throw StateDictError(
        code: .io, missing: [], unexpected: [], mismatchedShapes: [], path: url.path,
        message: "\(error)")
    }
    var missing: [String] = []
    var mismatched: [String] = []
    var first: [[Scalar]] = []
    var second: [[Scalar]] = []
    var counts: [Int] = []
    for (index, parameter) in parameters.enumerated() {
      for (suffix, shape) in [("exp_avg", parameter.shape), ("exp_avg_sq", parameter.shape), ("step", [])] {
        let name = "state.\(index).\(suffix)"
        guard let info = file.info(name) else {
          missing.append(name)
          continue
        }
        if info.shape != shape { mismatched.append("\(name): file \(info.shape), expected \(shape)") }
      }
      guard missing.isEmpty, mismatched.isEmpty else { continue }
      if Scalar.self == Double.self {
        first.append(try file.doubles("state.\(index).exp_avg").map { Scalar($0) })
        second.append(try file.doubles("state.\(index).exp_avg_sq").map { Scalar($0) })
      } else {
        first.append(try file.floats("state.\(index).exp_avg").map { Scalar($0) })
        second.append(try file.floats("state.\(index).exp_avg_sq").map { Scalar($0) })
      }
      counts.append(Int(try file.int64s("state.\(index).step").first ?? 0))
    }
    let expected = Set(parameters.indices.flatMap { i in
      ["exp_avg", "exp_avg_sq", "step"].map { "state.\(i).\($0)" }
    })
    let unexpected = file.names.filter { !expected.contains($0) }.sorted()
    guard missing.isEmpty, mismatched.isEmpty, unexpected.isEmpty else {
      throw StateDictError(
        code: .mismatch, missing: missing, unexpected: unexpected, mismatchedShapes: mismatched,
        path: url.path, message: "the optimiser state does not fit these \(parameters.count) parameters")
    }
    firstMoments = first
    secondMoments = second
    steps = counts
    if let rate = file.metadata["lr"].flatMap(Double.init) { learningRate = Scalar(rate) }
  }
}
