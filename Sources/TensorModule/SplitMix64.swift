/// A small, fast, seedable pseudo-random generator (Steele, Lea & Flood, "Fast splittable
/// pseudorandom number generators", OOPSLA 2014).
///
/// Every random source in l3das-swift is injected as `inout some RandomNumberGenerator`;
/// `SplitMix64` is the generator used wherever results must be reproducible from a seed
/// (synthetic data, initialisation, dropout, tests). The same seed always gives the same
/// sequence, on every platform.
///
/// ```swift
/// var rng = SplitMix64(seed: 42)
/// let x = Float.random(in: 0..<1, using: &rng)
/// ```
public struct SplitMix64: RandomNumberGenerator, Sendable {
  /// The generator state; advances by the golden-ratio increment on every draw.
  public private(set) var state: UInt64

  /// Creates a generator whose sequence is fully determined by `seed`.
  public init(seed: UInt64) {
    state = seed
  }

  /// Returns the next 64 random bits.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Returns an independent generator derived from this one and `stream`, without advancing `self`.
  ///
  /// Use it to give each item of a parallel job its own reproducible sequence (`rng.fork(stream:
  /// itemIndex)`), independent of scheduling order.
  public func fork(stream: UInt64) -> SplitMix64 {
    var mixer = SplitMix64(seed: state ^ (stream &* 0xD1B5_4A32_D192_ED03))
    return SplitMix64(seed: mixer.next())
  }
}
