import NN
import TensorModule
import Testing

/// Central-difference gradient check in double precision.
///
/// `f` is evaluated once with recording on; its output is contracted with fixed random weights
/// R (L = Σ f·R, via `backward(seed: R)`), and every checked element of every input is then
/// perturbed by ±h. Inputs with more than `maxChecks` elements are checked at an evenly spread
/// subset. Fails when |analytic − numeric| > tolerance·max(1, |numeric|).
func checkGradients(
  _ inputs: [Tensor<Double>], tolerance: Double = 1e-6, step h: Double = 1e-6,
  maxChecks: Int = 60, sourceLocation: SourceLocation = #_sourceLocation,
  _ f: () -> Tensor<Double>
) {
  for x in inputs { x.zeroGrad() }
  let y = f()
  var rng = SplitMix64(seed: 99)
  let r = (0..<y.count).map { _ in Double.random(in: -1..<1, using: &rng) }
  y.backward(seed: r)
  func objective() -> Double {
    let out = withNoGrad { f() }
    return zip(out.scalars, r).reduce(0) { $0 + $1.0 * $1.1 }
  }
  for (k, x) in inputs.enumerated() {
    guard let analytic = x.grad else {
      Issue.record("input \(k) received no gradient", sourceLocation: sourceLocation)
      continue
    }
    let stride = max(1, x.count / maxChecks)
    for i in Swift.stride(from: 0, to: x.count, by: stride) {
      let saved = x.scalars[i]
      x.scalars[i] = saved + h
      let plus = objective()
      x.scalars[i] = saved - h
      let minus = objective()
      x.scalars[i] = saved
      let numeric = (plus - minus) / (2 * h)
      let error = abs(analytic[i] - numeric)
      if error > tolerance * max(1, abs(numeric)) {
        Issue.record(
          "input \(k) element \(i): analytic \(analytic[i]), numeric \(numeric)",
          sourceLocation: sourceLocation)
        return
      }
    }
  }
}

/// A seeded tensor of U(−1, 1) values that requires gradients.
func randomTensor(_ shape: [Int], seed: UInt64, requiresGrad: Bool = true) -> Tensor<Double> {
  var rng = SplitMix64(seed: seed)
  return Tensor(uniformBound: 1, shape: shape, requiresGrad: requiresGrad, using: &rng)
}

/// Whether two arrays agree within `tolerance` relative to the larger magnitude of `expected`.
func maxRelativeError<S: BinaryFloatingPoint>(_ actual: [S], _ expected: [S]) -> Double {
  precondition(actual.count == expected.count, "sizes differ: \(actual.count) vs \(expected.count)")
  let scale = max(expected.map { abs(Double($0)) }.max() ?? 0, 1e-30)
  var worst = 0.0
  for (a, e) in zip(actual, expected) { worst = max(worst, abs(Double(a) - Double(e)) / scale) }
  return worst
}

func isClose(_ a: [Double], _ b: [Double], tolerance: Double = 1e-12) -> Bool {
  a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
}
