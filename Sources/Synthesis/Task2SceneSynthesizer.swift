public import AudioIO
public import Datasets
import TensorModule

/// One synthetic Task 2 scene: both microphones and the event labels.
public struct Task2Scene: Sendable {
  /// Mic A, 4 channels (W, Y, Z, X).
  public var micA: AudioBuffer
  /// Mic B, 4 channels.
  public var micB: AudioBuffer
  /// The events, sorted by onset; positions relative to mic A.
  public var events: [SoundEvent]
}

/// Synthesises Task 2 scenes: events of the 14 classes at grid positions in the label box,
/// with at most `overlap` sounding at once (hence at most 3 instances of one class).
public enum Task2SceneSynthesizer {
  /// Events per 30 s for ov1, ov2, ov3 scenes.
  static let eventsPer30Seconds = [8, 14, 20]

  /// Plans the events of one scene.
  ///
  /// - Parameters:
  ///   - sceneSeconds: scene length.
  ///   - overlap: the maximum number of simultaneous events, 1…3.
  /// - Returns: events sorted by onset; onsets and offsets are whole milliseconds.
  public static func planEvents(
    sceneSeconds: Double, overlap: Int, geometry: RoomGeometry,
    using rng: inout some RandomNumberGenerator
  ) -> [SoundEvent] {
    precondition((1...3).contains(overlap), "overlap must be 1, 2 or 3")
    let target = max(
      1, Int((Double(eventsPer30Seconds[overlap - 1]) * sceneSeconds / 30).rounded()))
    var events: [SoundEvent] = []
    var attempts = 0
    while events.count < target && attempts < 50 * target {
      attempts += 1
      let soundClass = SoundClass.allCases[
        Int.random(in: 0..<SoundClass.allCases.count, using: &rng)]
      let range = EventSoundBank.durationRange(of: soundClass)
      let duration = min(Double.random(in: range, using: &rng), sceneSeconds)
      let start =
        (Double.random(in: 0...(sceneSeconds - duration), using: &rng) * 1000).rounded(.down) / 1000
      let end = ((start + duration) * 1000).rounded(.down) / 1000
      guard end > start, concurrency(events, start: start, end: end) < overlap else { continue }
      events.append(
        SoundEvent(
          startSeconds: start, endSeconds: end, soundClass: soundClass,
          position: geometry.randomSourcePosition(using: &rng)))
    }
    return events.sorted { ($0.startSeconds, $0.soundClass) < ($1.startSeconds, $1.soundClass) }
  }

  /// The largest number of `events` sounding at one instant of [start, end).
  static func concurrency(_ events: [SoundEvent], start: Double, end: Double) -> Int {
    let instants = [start] + events.map(\.startSeconds).filter { $0 > start && $0 < end }
    return instants.map { t in events.filter { $0.startSeconds <= t && t < $0.endSeconds }.count }
      .max() ?? 0
  }

  /// Renders a full scene.
  ///
  /// - Parameters:
  ///   - sceneSeconds: scene length (30 for L3DAS22, 60 for L3DAS21).
  ///   - overlap: 1…3.
  ///   - sampleRate: 32 000 for the challenge.
  /// - Throws: `DSPError` only if FFT planning fails.
  public static func synthesize(
    sceneSeconds: Double, overlap: Int, sampleRate: Int, geometry: RoomGeometry,
    using rng: inout some RandomNumberGenerator
  ) throws -> Task2Scene {
    let frameCount = Int((sceneSeconds * Double(sampleRate)).rounded())
    let events = planEvents(
      sceneSeconds: sceneSeconds, overlap: overlap, geometry: geometry, using: &rng)
    var renderer = SceneRenderer(
      geometry: geometry, sampleRate: sampleRate, frameCount: frameCount, using: &rng)
    for event in events {
      let start = Int((event.startSeconds * Double(sampleRate)).rounded())
      let end = min(frameCount, Int((event.endSeconds * Double(sampleRate)).rounded()))
      var sound = EventSoundBank.sound(
        event.soundClass, frameCount: end - start, sampleRate: sampleRate, using: &rng)
      let level = powf(10, Float.random(in: -12...0, using: &rng) / 20)
      for i in sound.indices { sound[i] *= level }
      try renderer.add(sound, at: event.position, startFrame: start, using: &rng)
    }
    renderer.addDiffuseNoise(
      rms: powf(10, Float.random(in: -56 ... -46, using: &rng) / 20), using: &rng)
    let peak = renderer.peak
    if peak > 0 { renderer.scale(by: Float.random(in: 0.5...0.9, using: &rng) / peak) }
    return Task2Scene(micA: renderer.buffer(.a), micB: renderer.buffer(.b), events: events)
  }
}

#if canImport(Glibc)
  import Glibc
#endif
