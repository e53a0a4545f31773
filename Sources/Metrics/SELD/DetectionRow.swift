public import Datasets

/// One row of a Task 2 submission or reference: one event active in one 100 ms frame.
///
/// This is the official row `frame_index, class, x, y, z` (FACTS §2.2) with the class already
/// normalised to a `SoundClass`, so a file that writes class names and one that writes ids
/// 0–13 compare equal (the official metric compares the raw fields and would not).
///
/// ```swift
/// let row = DetectionRow(frame: 12, soundClass: .knock, position: [0.5, -1, 0.25])
/// ```
public struct DetectionRow: Sendable, Hashable, Codable {
  /// The 0-based frame index; frame `k` covers `[0.1·k, 0.1·(k+1))` seconds.
  public var frame: Int
  /// The event's class.
  public var soundClass: SoundClass
  /// Cartesian position in metres relative to mic A (X front, Y left, Z up).
  public var position: SIMD3<Double>

  /// Creates a row.
  ///
  /// - Parameters:
  ///   - frame: the 0-based frame index (≥ 0; `LocationSensitiveDetection` requires it to be
  ///     below its `frameCount`).
  ///   - soundClass: the event's class.
  ///   - position: the position in metres.
  public init(frame: Int, soundClass: SoundClass, position: SIMD3<Double>) {
    self.frame = frame
    self.soundClass = soundClass
    self.position = position
  }
}
