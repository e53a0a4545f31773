public import AudioIO

/// The recording geometry of the L3DAS21/22 office, as modelled by the synthesiser.
///
/// Coordinates are metres relative to mic A, X front, Y left, Z up (the label convention).
/// Mic B sits 20 cm from mic A "towards the width dimension" (L3DAS21 dataset page); the
/// width axis is Y (the label box is narrower in Y), and we place B at +Y. The side (+Y or
/// −Y) is not published.
public struct RoomGeometry: Sendable, Codable, Equatable {
  /// Position of mic A (the label origin).
  public var micAPosition: SIMD3<Double> = .zero
  /// Position of mic B.
  public var micBPosition: SIMD3<Double> = [0, 0.2, 0]
  /// Half-widths of the label box: X ∈ ±2, Y ∈ ±1.5, Z ∈ ±1 (metres).
  public var labelBox: SIMD3<Double> = [2, 1.5, 1]
  /// Source positions are quantised to this grid step (the L3DAS21 virtual grid: 25 cm).
  public var gridStep: Double = 0.25
  /// Sources are never placed closer than this to either microphone (metres).
  public var minimumSourceDistance: Double = 0.5
  /// Speed of sound, m/s.
  public var speedOfSound: Double = 343
  /// Reverberation time T60 range, seconds.
  public var reverberationSeconds: ClosedRange<Double> = 0.25...0.5

  /// The default office.
  public init() {}

  /// The position of a microphone.
  public func position(of microphone: Microphone) -> SIMD3<Double> {
    microphone == .a ? micAPosition : micBPosition
  }

  /// A random grid position inside the label box, at least `minimumSourceDistance` from both mics.
  public func randomSourcePosition(using rng: inout some RandomNumberGenerator) -> SIMD3<Double> {
    let steps = (labelBox / gridStep).rounded(.down)
    while true {
      let p =
        SIMD3<Double>(
          Double(Int.random(in: -Int(steps.x)...Int(steps.x), using: &rng)),
          Double(Int.random(in: -Int(steps.y)...Int(steps.y), using: &rng)),
          Double(Int.random(in: -Int(steps.z)...Int(steps.z), using: &rng))) * gridStep
      let da = p - micAPosition
      let db = p - micBPosition
      if (da * da).sum().squareRoot() >= minimumSourceDistance
        && (db * db).sum().squareRoot() >= minimumSourceDistance
      {
        return p
      }
    }
  }
}
