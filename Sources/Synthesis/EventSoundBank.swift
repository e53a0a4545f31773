import Datasets
import TensorModule

/// Synthetic stand-ins for the 14 Task 2 sound classes (the real ones come from FSD50K, which
/// cannot be shipped or fetched here).
///
/// Each class has its own recipe (tonal, impulsive, noisy, voiced) so classes are acoustically
/// distinct; every call draws fresh parameters from the injected generator, so two events of one
/// class differ like two recordings do.
///
/// All sounds are mono, peak-normalised to 1, and exactly `frameCount` samples long.
enum EventSoundBank {
  /// Typical event length range per class, seconds.
  static func durationRange(of soundClass: SoundClass) -> ClosedRange<Double> {
    switch soundClass {
    case .fingerSnapping, .knock: 0.4...1.2
    case .chinkAndClink, .scissors, .cupboardOpenOrClose, .drawerOpenOrClose: 0.6...2.0
    case .computerKeyboard, .keysJangling, .writing, .laughter: 1.0...3.0
    case .femaleSpeechAndWomanSpeaking, .maleSpeechAndManSpeaking: 1.5...3.5
    case .printer, .telephone: 2.0...4.0
    }
  }

  static func sound(
    _ soundClass: SoundClass, frameCount: Int, sampleRate: Int,
    using rng: inout some RandomNumberGenerator
  ) -> [Float] {
    var x = [Float](repeating: 0, count: frameCount)
    let fs = Float(sampleRate)
    switch soundClass {
    case .chinkAndClink:
      for _ in 0..<Int.random(in: 2...5, using: &rng) {
        let at = Int.random(in: 0..<max(1, frameCount * 3 / 4), using: &rng)
        for _ in 0..<3 {
          addDecayingTone(
            &x, at: at, hz: Float.random(in: 2000...6000, using: &rng),
            decaySeconds: Float.random(in: 0.03...0.08, using: &rng), amplitude: 1, fs: fs)
        }
      }
    case .computerKeyboard:
      var t = Int.random(in: 0..<sampleRate / 20, using: &rng)
      while t < frameCount {
        addClick(
          &x, at: t, lengthSeconds: 0.006, highPass: true,
          amplitude: Float.random(in: 0.5...1, using: &rng), fs: fs, rng: &rng)
        t += Int(Float.random(in: 0.06...0.16, using: &rng) * fs)
      }
    case .cupboardOpenOrClose:
      let creakEnd = frameCount * 7 / 10
      let f0 = Float.random(in: 120...180, using: &rng)
      var phase: Float = 0
      for i in 0..<creakEnd {
        let f = f0 * (1 + Float(i) / Float(creakEnd))
        phase += f / fs
        let saw = 2 * (phase - phase.rounded(.down)) - 1
        x[i] += 0.5 * saw * sinf(Float.pi * Float(i) / Float(creakEnd))
      }
      addThump(&x, at: creakEnd, hz: 90, fs: fs, rng: &rng)
    case .drawerOpenOrClose:
      let noise = SceneRenderer.whiteNoise(count: frameCount, using: &rng)
      var state: Float = 0
      let slideEnd = frameCount * 8 / 10
      for i in 0..<slideEnd {
        state = 0.9 * state + 0.1 * noise[i]
        x[i] = state * Float(i) / Float(slideEnd)
      }
      addThump(&x, at: slideEnd, hz: 70, fs: fs, rng: &rng)
    case .femaleSpeechAndWomanSpeaking:
      addVoice(&x, f0: Float.random(in: 190...240, using: &rng), syllableHz: 4.5, fs: fs, rng: &rng)
    case .maleSpeechAndManSpeaking:
      addVoice(&x, f0: Float.random(in: 95...130, using: &rng), syllableHz: 4, fs: fs, rng: &rng)
    case .fingerSnapping:
      for k in 0..<Int.random(in: 1...3, using: &rng) {
        let at = k * Int(0.35 * fs) + Int.random(in: 0..<Int(0.05 * fs), using: &rng)
        guard at < frameCount else { break }
        addClick(&x, at: at, lengthSeconds: 0.002, highPass: true, amplitude: 1, fs: fs, rng: &rng)
        addDecayingTone(
          &x, at: at, hz: Float.random(in: 1800...2500, using: &rng), decaySeconds: 0.02,
          amplitude: 0.8, fs: fs)
      }
    case .keysJangling:
      for _ in 0..<Int(Float(frameCount) / fs * 25) {
        let at = Int.random(in: 0..<frameCount, using: &rng)
        addDecayingTone(
          &x, at: at, hz: Float.random(in: 3000...8000, using: &rng),
          decaySeconds: Float.random(in: 0.01...0.04, using: &rng),
          amplitude: Float.random(in: 0.2...1, using: &rng), fs: fs)
      }
    case .knock:
      var at = Int.random(in: 0..<Int(0.1 * fs), using: &rng)
      for _ in 0..<Int.random(in: 2...4, using: &rng) where at < frameCount {
        addThump(&x, at: at, hz: Float.random(in: 110...200, using: &rng), fs: fs, rng: &rng)
        at += Int(Float.random(in: 0.15...0.25, using: &rng) * fs)
      }
    case .laughter:
      let f0 = Float.random(in: 240...320, using: &rng)
      let burstHz = Float.random(in: 4.5...6, using: &rng)
      let breath = SceneRenderer.whiteNoise(count: frameCount, using: &rng)
      for i in 0..<frameCount {
        let t = Float(i) / fs
        let gate = max(0, sinf(2 * Float.pi * burstHz * t))
        let f = f0 * (1 - 0.15 * t / max(Float(frameCount) / fs, 0.1))
        var v: Float = 0
        for h in 1...6 { v += sinf(2 * Float.pi * f * Float(h) * t) / Float(h) }
        x[i] = gate * gate * (v + 0.4 * breath[i])
      }
    case .printer:
      let hum = Float.random(in: 45...60, using: &rng)
      let noise = SceneRenderer.whiteNoise(count: frameCount, using: &rng)
      for i in 0..<frameCount {
        let t = Float(i) / fs
        let square: Float = sinf(2 * Float.pi * hum * t) >= 0 ? 1 : -1
        let carriage = 0.5 + 0.5 * sinf(2 * Float.pi * 1.5 * t)
        x[i] = 0.15 * square + (0.3 + 0.7 * carriage) * noise[i]
      }
    case .scissors:
      var at = 0
      for _ in 0..<Int.random(in: 2...4, using: &rng) where at < frameCount {
        let cut = Int(0.08 * fs)
        let noise = SceneRenderer.whiteNoise(count: cut, using: &rng)
        for i in 0..<cut where at + i < frameCount {
          x[at + i] += noise[i] * Float(i) / Float(cut) * 0.7
        }
        addClick(
          &x, at: at + cut, lengthSeconds: 0.004, highPass: true, amplitude: 1, fs: fs, rng: &rng)
        at += Int(Float.random(in: 0.25...0.45, using: &rng) * fs)
      }
    case .telephone:
      // A bell telephone: 440 + 480 Hz partials trilled at 20 Hz, each trill a hammer strike
      // (a broadband click), ringing 1 s in every 1.5 s.
      for i in 0..<frameCount {
        let t = Float(i) / fs
        let on: Float = t.truncatingRemainder(dividingBy: 1.5) < 1.0 ? 1 : 0
        let trill = 0.5 + 0.5 * sinf(2 * Float.pi * 20 * t)
        x[i] = on * trill * 0.5 * (sinf(2 * Float.pi * 440 * t) + sinf(2 * Float.pi * 480 * t))
      }
      var strike = 0
      while strike < frameCount {
        if (Float(strike) / fs).truncatingRemainder(dividingBy: 1.5) < 1.0 {
          addClick(
            &x, at: strike, lengthSeconds: 0.004, highPass: true, amplitude: 1, fs: fs, rng: &rng)
        }
        strike += Int(fs / 20)
      }
    case .writing:
      let noise = SceneRenderer.whiteNoise(count: frameCount, using: &rng)
      var low: Float = 0
      var stroke = 0
      var inStroke = true
      var remaining = Int(Float.random(in: 0.1...0.3, using: &rng) * fs)
      for i in 0..<frameCount {
        low = 0.7 * low + 0.3 * noise[i]
        let band = noise[i] - low  // a crude high-pass: the scratch of a pen
        if inStroke { x[i] = band * sinf(Float.pi * Float(stroke) / Float(max(remaining, 1))) }
        stroke += 1
        if stroke >= remaining {
          inStroke.toggle()
          stroke = 0
          remaining = Int(Float.random(in: inStroke ? 0.1...0.3 : 0.05...0.15, using: &rng) * fs)
        }
      }
    }
    let peak = x.reduce(0) { max($0, abs($1)) }
    guard peak > 0 else { return x }
    // Short fades avoid clicks at the event boundaries.
    let fade = min(frameCount / 2, Int(0.005 * fs))
    for i in 0..<fade {
      let g = Float(i) / Float(max(fade, 1))
      x[i] *= g
      x[frameCount - 1 - i] *= g
    }
    let scale = 1 / max(x.reduce(0) { max($0, abs($1)) }, 1e-12)
    return x.map { $0 * scale }
  }

  private static func addDecayingTone(
    _ x: inout [Float], at start: Int, hz: Float, decaySeconds: Float, amplitude: Float, fs: Float
  ) {
    let length = min(x.count - start, Int(decaySeconds * 6 * fs))
    guard length > 0 else { return }
    for i in 0..<length {
      let t = Float(i) / fs
      x[start + i] += amplitude * expf(-t / decaySeconds) * sinf(2 * Float.pi * hz * t)
    }
  }

  private static func addClick(
    _ x: inout [Float], at start: Int, lengthSeconds: Float, highPass: Bool, amplitude: Float,
    fs: Float,
    rng: inout some RandomNumberGenerator
  ) {
    let length = min(x.count - start, max(2, Int(lengthSeconds * fs)))
    guard length > 0 else { return }
    let noise = SceneRenderer.whiteNoise(count: length + 1, using: &rng)
    for i in 0..<length {
      let v = highPass ? noise[i + 1] - noise[i] : noise[i]
      x[start + i] += amplitude * v * expf(-Float(i) / (Float(length) / 4))
    }
  }

  private static func addThump(
    _ x: inout [Float], at start: Int, hz: Float, fs: Float, rng: inout some RandomNumberGenerator
  ) {
    addDecayingTone(&x, at: start, hz: hz, decaySeconds: 0.03, amplitude: 0.6, fs: fs)
    addClick(&x, at: start, lengthSeconds: 0.03, highPass: false, amplitude: 1, fs: fs, rng: &rng)
  }

  /// A voiced, speech-like source: harmonics of a gliding f0, weighted by two moving vowel
  /// formants, gated into syllables.
  private static func addVoice(
    _ x: inout [Float], f0: Float, syllableHz: Float, fs: Float,
    rng: inout some RandomNumberGenerator
  ) {
    let n = x.count
    let syllables = max(1, Int(Float(n) / fs * syllableHz))
    let formants = (0...syllables).map { _ in
      (Float.random(in: 300...900, using: &rng), Float.random(in: 900...2500, using: &rng))
    }
    var phase: Float = 0
    for i in 0..<n {
      let t = Float(i) / fs
      let position = t * syllableHz
      let s = min(Int(position), syllables)
      let within = position - Float(Int(position))
      let gate = sinf(Float.pi * within)
      let f = f0 * (1 + 0.08 * sinf(2 * Float.pi * 0.7 * t))
      phase += f / fs
      let (f1, f2) = formants[s]
      var v: Float = 0
      var h: Float = 1
      while h * f < 3500 {
        let fh = h * f
        let weight =
          1 / (1 + ((fh - f1) / 150) * ((fh - f1) / 150)) + 0.6
          / (1 + ((fh - f2) / 250) * ((fh - f2) / 250))
        v += weight * sinf(2 * Float.pi * h * phase)
        h += 1
      }
      x[i] += gate * v
    }
  }
}

#if canImport(Glibc)
  import Glibc
#endif
