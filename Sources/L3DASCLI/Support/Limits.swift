import ArgumentParser

/// Range checks of numeric options: a value outside its range is a usage error (exit 64) that
/// names the option and the accepted range, never an allocation failure or a crash later on.
enum Limits {
  /// The longest Task 1 signal or window any option may ask for: 2^24 samples (17.5 minutes
  /// at 16 kHz; L3DAS items are at most 12 s).
  static let maxTask1Samples = 1 << 24
  /// The most label frames per scene: one hour of 100-ms frames (L3DAS scenes have 300 or 600).
  static let maxFrames = 36_000
  /// The longest scene, in seconds (L3DAS scenes last 30 or 60 s).
  static let maxSceneSeconds = 600.0
  /// The largest distance threshold, in metres.
  static let maxThreshold = 1_000.0
  /// The most items or epochs a count option may ask for.
  static let maxCount = 1_000_000

  /// Throws a `ValidationError` unless `value` is nil or in `range`. NaN is in no range, and
  /// the ranges are finite, so non-finite numbers are refused too.
  static func check<T: Comparable>(
    _ value: T?, _ option: String, in range: ClosedRange<T>, unit: String = ""
  ) throws {
    guard let value, !range.contains(value) else { return }
    let units = unit.isEmpty ? "" : " \(unit)"
    throw ValidationError(
      "\(option) must be between \(range.lowerBound) and \(range.upperBound)\(units); got \(value)")
  }
}
