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
