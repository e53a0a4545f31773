/// One labelled sound event of a Task 2 scene: a row of `label_*.csv`.
public struct SoundEvent: Sendable, Equatable, Codable {
  /// Onset in seconds from the start of the scene.
  public var startSeconds: Double
  /// Offset in seconds (≥ `startSeconds`).
  public var endSeconds: Double
  /// The event's class.
  public var soundClass: SoundClass
  /// Source position in metres relative to mic A:
  ///
  /// X front, Y left, Z up. The official box is X ∈ [-2, 2], Y ∈ [-1.5, 1.5], Z ∈ [-1, 1].
  public var position: SIMD3<Double>

  /// Creates an event.
  public init(
    startSeconds: Double, endSeconds: Double, soundClass: SoundClass, position: SIMD3<Double>
  ) {
    self.startSeconds = startSeconds
    self.endSeconds = endSeconds
    self.soundClass = soundClass
    self.position = position
  }
}
