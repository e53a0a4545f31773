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
  /// The label file's own (ρ, θ in degrees, z) when it gave the position in L3DAS23's
  /// cylindrical form (`position` is then their Cartesian conversion), else `nil`. The L3DAS23
  /// label matrix is built from these values, exactly as the file wrote them.
  public var cylindrical: SIMD3<Double>?

  /// Creates an event.
  public init(
    startSeconds: Double, endSeconds: Double, soundClass: SoundClass, position: SIMD3<Double>,
    cylindrical: SIMD3<Double>? = nil
  ) {
    self.startSeconds = startSeconds
    self.endSeconds = endSeconds
    self.soundClass = soundClass
    self.position = position
    self.cylindrical = cylindrical
  }
}
