import AudioIO
import DSP
import TensorModule

/// Renders dry mono sources into the two first-order Ambisonics microphones of a scene.
///
/// Each source reaches each microphone as
/// - a **direct path**: delayed by distance / speed of sound (rounded to a sample), attenuated
///   by 1/distance (gain 1 at 1 m; closer than 0.3 m counts as 0.3 m) and AmbiX-encoded at
///   its true direction from that microphone;
/// - a **diffuse reverberation tail**: exponentially decaying noise with the room's T60,
///   independent per microphone and per Ambisonics channel (so it carries no direction),
///   starting 5–15 ms after the direct sound, at a fixed level relative to the direct sound
///   at 1 m (`reverberationLevel`).
/// `addDiffuseNoise` adds uncorrelated background noise to every channel.
struct SceneRenderer {
  let geometry: RoomGeometry
  let sampleRate: Int
  let frameCount: Int
  /// `[mic][channel]` planar buffers: mic A then mic B, channels W, Y, Z, X.
  private(set) var channels: [[[Float]]]
  /// T60 of this scene's room, seconds.
  let reverberationSeconds: Double
  /// Energy of the reverberation tail relative to the direct sound at 1 m.
  let reverberationLevel: Float

  init(
    geometry: RoomGeometry, sampleRate: Int, frameCount: Int,
    using rng: inout some RandomNumberGenerator
  ) {
    self.geometry = geometry
    self.sampleRate = sampleRate
    self.frameCount = frameCount
    channels = Array(
      repeating: Array(repeating: [Float](repeating: 0, count: frameCount), count: 4), count: 2)
    reverberationSeconds = Double.random(in: geometry.reverberationSeconds, using: &rng)
    reverberationLevel = Float.random(in: 0.01...0.04, using: &rng)
  }

  /// Renders `source` (dry, mono) starting at `startFrame` from `position`.
  ///
  /// Samples that would land past the end of the scene are dropped.
  mutating func add(
    _ source: [Float], at position: SIMD3<Double>, startFrame: Int,
    using rng: inout some RandomNumberGenerator
  ) throws {
    for mic in Microphone.allCases {
      let offset = position - geometry.position(of: mic)
      let distance = (offset * offset).sum().squareRoot()
      let gains = Ambisonics.encodingGains(direction: offset)
      let attenuation = Float(1 / max(distance, 0.3))
      let delay = Int((distance / geometry.speedOfSound * Double(sampleRate)).rounded())
      let m = mic == .a ? 0 : 1
      for c in 0..<4 {
        mix(source, gain: attenuation * gains[c], into: m, channel: c, at: startFrame + delay)
      }
      // Diffuse tail: W carries the full tail energy; each first-order channel a third of it
      // (the SN3D energy ratio of a diffuse field), all mutually independent.
      let predelay = delay + Int(Double(sampleRate) * Double.random(in: 0.005...0.015, using: &rng))
      let tails = (0..<4).map { c in
        reverberationTail(energy: reverberationLevel * (c == 0 ? 1 : 1.0 / 3), using: &rng)
      }
      let wet = try Convolver.convolve(source, withEach: tails)
      for c in 0..<4 { mix(wet[c], gain: 1, into: m, channel: c, at: startFrame + predelay) }
    }
  }

  /// Adds independent, gently low-passed noise of RMS `rms` (on W; first-order channels at
  /// `rms/√3`) to every channel of both microphones.
  mutating func addDiffuseNoise(rms: Float, using rng: inout some RandomNumberGenerator) {
    for m in 0..<2 {
      for c in 0..<4 {
        let target = c == 0 ? rms : rms / Float(3).squareRoot()
        var noise = SceneRenderer.coloredNoise(count: frameCount, using: &rng)
        let scale = target / max(SceneRenderer.rms(noise), 1e-12)
        for i in noise.indices { noise[i] *= scale }
        mix(noise, gain: 1, into: m, channel: c, at: 0)
      }
    }
  }

  /// Multiplies every channel of both microphones by `gain`.
  mutating func scale(by gain: Float) {
    for m in 0..<2 { for c in 0..<4 { for i in 0..<frameCount { channels[m][c][i] *= gain } } }
  }

  /// The largest absolute sample over both microphones.
  var peak: Float {
    channels.joined().reduce(0) { max($0, $1.reduce(0) { max($0, abs($1)) }) }
  }

  /// The rendered microphone as a 4-channel buffer.
  func buffer(_ mic: Microphone) -> AudioBuffer {
    AudioBuffer(channels: channels[mic == .a ? 0 : 1], sampleRate: sampleRate)
  }

  private mutating func mix(
    _ signal: [Float], gain: Float, into mic: Int, channel: Int, at start: Int
  ) {
    guard start < frameCount, gain != 0 else { return }
    let from = max(0, -start)
    let to = min(signal.count, frameCount - start)
    guard from < to else { return }
    channels[mic][channel].withUnsafeMutableBufferPointer { out in
      signal.withUnsafeBufferPointer { s in
        for i in from..<to { out[start + i] += gain * s[i] }
      }
    }
  }

  private func reverberationTail(energy: Float, using rng: inout some RandomNumberGenerator)
    -> [Float]
  {
    let length = max(1, Int(reverberationSeconds * Double(sampleRate)))
    // Amplitude decays 60 dB over T60: exp(-ln(1000)·t/T60).
    let decayPerSample = Float(-6.907755 / (reverberationSeconds * Double(sampleRate)))
    var tail = SceneRenderer.whiteNoise(count: length, using: &rng)
    var total: Float = 0
    for i in 0..<length {
      tail[i] *= expf(decayPerSample * Float(i))
      total += tail[i] * tail[i]
    }
    let scale = (energy / max(total, 1e-12)).squareRoot()
    for i in 0..<length { tail[i] *= scale }
    return tail
  }

  /// Uniform white noise in [-1, 1), two samples per 64 random bits (fast enough for 30 s
  /// of 8-channel audio in a debug build).
  static func whiteNoise(count: Int, using rng: inout some RandomNumberGenerator) -> [Float] {
    var out = [Float](repeating: 0, count: count)
    out.withUnsafeMutableBufferPointer { o in
      var i = 0
      while i < count {
        let bits = rng.next()
        o[i] = Float(Int32(truncatingIfNeeded: bits)) * (1 / 2_147_483_648)
        if i + 1 < count {
          o[i + 1] = Float(Int32(truncatingIfNeeded: bits >> 32)) * (1 / 2_147_483_648)
        }
        i += 2
      }
    }
    return out
  }

  /// White noise through a one-pole low-pass plus a little of the white noise itself: a
  /// dull, room-like background.
  static func coloredNoise(count: Int, using rng: inout some RandomNumberGenerator) -> [Float] {
    var noise = whiteNoise(count: count, using: &rng)
    var state: Float = 0
    noise.withUnsafeMutableBufferPointer { n in
      for i in 0..<count {
        state = 0.97 * state + 0.03 * n[i]
        n[i] = 4 * state + 0.15 * n[i]
      }
    }
    return noise
  }

  static func rms(_ x: [Float]) -> Float {
    guard !x.isEmpty else { return 0 }
    return (x.reduce(Float(0)) { $0 + $1 * $1 } / Float(x.count)).squareRoot()
  }
}

#if canImport(Glibc)
  import Glibc
#endif

extension SceneRenderer {
  /// Adds `gain ×` another scene's channels (same size) to this one.
  mutating func add(_ other: SceneRenderer, gain: Float) {
    precondition(other.frameCount == frameCount, "scenes differ in length")
    for m in 0..<2 {
      for c in 0..<4 {
        channels[m][c].withUnsafeMutableBufferPointer { out in
          other.channels[m][c].withUnsafeBufferPointer { x in
            for i in 0..<frameCount { out[i] += gain * x[i] }
          }
        }
      }
    }
  }

  /// Energy (sum of squares) of one channel of one microphone.
  func energy(_ mic: Microphone, channel: Int) -> Float {
    channels[mic == .a ? 0 : 1][channel].reduce(0) { $0 + $1 * $1 }
  }
}
