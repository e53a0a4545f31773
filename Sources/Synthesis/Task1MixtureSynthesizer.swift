public import AudioIO
public import Datasets
import TensorModule

/// One synthetic Task 1 item: the noisy reverberant mixture at both microphones, the clean
/// target and its metadata.
public struct Task1Mixture: Sendable {
  /// Mic A, 4 channels (W, Y, Z, X).
  public var micA: AudioBuffer
  /// Mic B, 4 channels.
  public var micB: AudioBuffer
  /// The dry speech clip (the enhancement target), mono, same length as the mixture.
  public var clean: AudioBuffer
  /// The words spoken.
  public var transcript: String
  /// The name of the speech clip used.
  public var speechClip: String
  /// The talker's position relative to mic A (metres).
  public var speakerPosition: SIMD3<Double>
  /// Speech-to-noise ratio at mic A's W channel, dB.
  public var snrDecibels: Double
  /// The classes of the interfering office sounds.
  public var noiseClasses: [SoundClass]
}

/// Synthesises Task 1 items: a real speech clip rendered from a random position in the room, plus
/// 1–3 interfering office sounds (the non-speech Task 2 classes) and diffuse noise, mixed at a
/// random SNR of 5–20 dB.
///
/// The item is exactly as long as the clip.
public enum Task1MixtureSynthesizer {
  static let noiseClasses = SoundClass.allCases.filter {
    $0 != .femaleSpeechAndWomanSpeaking && $0 != .maleSpeechAndManSpeaking && $0 != .laughter
  }

  /// Renders one item from `clip`.
  public static func synthesize(
    clip: SpeechCorpus.Clip, geometry: RoomGeometry, using rng: inout some RandomNumberGenerator
  ) throws -> Task1Mixture {
    let sampleRate = clip.sampleRate
    let frameCount = clip.samples.count
    let position = geometry.randomSourcePosition(using: &rng)
    var speech = SceneRenderer(
      geometry: geometry, sampleRate: sampleRate, frameCount: frameCount, using: &rng)
    try speech.add(clip.samples, at: position, startFrame: 0, using: &rng)

    var noise = SceneRenderer(
      geometry: geometry, sampleRate: sampleRate, frameCount: frameCount, using: &rng)
    var classes: [SoundClass] = []
    for _ in 0..<Int.random(in: 1...3, using: &rng) {
      let soundClass = noiseClasses[Int.random(in: 0..<noiseClasses.count, using: &rng)]
      let seconds = Double.random(in: EventSoundBank.durationRange(of: soundClass), using: &rng)
      let length = min(frameCount, Int(seconds * Double(sampleRate)))
      let start = Int.random(in: 0...(frameCount - length), using: &rng)
      let sound = EventSoundBank.sound(
        soundClass, frameCount: length, sampleRate: sampleRate, using: &rng)
      try noise.add(
        sound, at: geometry.randomSourcePosition(using: &rng), startFrame: start, using: &rng)
      classes.append(soundClass)
    }
    noise.addDiffuseNoise(rms: 0.02, using: &rng)

    let snr = Double.random(in: 5...20, using: &rng)
    let speechEnergy = speech.energy(.a, channel: 0)
    let noiseEnergy = max(noise.energy(.a, channel: 0), 1e-12)
    let noiseGain = (speechEnergy / noiseEnergy / powf(10, Float(snr) / 10)).squareRoot()
    speech.add(noise, gain: noiseGain)
    let peak = speech.peak
    if peak > 0 { speech.scale(by: Float.random(in: 0.5...0.9, using: &rng) / peak) }
    return Task1Mixture(
      micA: speech.buffer(.a), micB: speech.buffer(.b),
      clean: AudioBuffer(channels: [clip.samples], sampleRate: sampleRate),
      transcript: clip.transcript, speechClip: clip.name, speakerPosition: position,
      snrDecibels: snr, noiseClasses: classes)
  }
}

#if canImport(Glibc)
  import Glibc
#endif
