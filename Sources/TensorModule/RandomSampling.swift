extension RandomNumberGenerator {
  /// Draws one sample of the standard normal distribution N(0, 1) with the Box–Muller
  /// transform (one of the pair is discarded, so the sequence depends only on the
  /// generator state).
  public mutating func nextGaussian() -> Float {
    // u1 in (0, 1] so that log(u1) is finite.
    let u1 = 1 - Double.random(in: 0..<1, using: &self)
    let u2 = Double.random(in: 0..<1, using: &self)
    return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
  }
}

extension Array where Element == Float {
  /// Creates `count` samples of white Gaussian noise with the given standard deviation.
  ///
  /// - Parameters:
  ///   - count: number of samples, ≥ 0.
  ///   - standardDeviation: σ of the distribution (linear amplitude units).
  ///   - rng: the injected random source.
  /// - Complexity: O(count).
  public static func gaussianNoise(
    count: Int, standardDeviation: Float = 1, using rng: inout some RandomNumberGenerator
  ) -> [Float] {
    precondition(count >= 0, "count must be non-negative")
    var out = [Float](repeating: 0, count: count)
    for i in 0..<count { out[i] = rng.nextGaussian() * standardDeviation }
    return out
  }
}

#if canImport(Glibc)
  import Glibc
  @inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
  @inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
  import Darwin
  @inline(__always) private func _log(_ x: Double) -> Double { Darwin.log(x) }
  @inline(__always) private func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
