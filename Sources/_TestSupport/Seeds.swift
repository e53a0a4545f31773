public import TensorModule

/// Seeded generators for tests: every test that draws random numbers starts from a named seed.
public enum SplitMix64Seeded {
  /// A generator for `seed`.
  public static func make(_ seed: UInt64) -> SplitMix64 { SplitMix64(seed: seed) }
}
