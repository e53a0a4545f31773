import AudioIO
import Foundation
import Testing
import _TestSupport

@Suite("Dual-mic Ambisonics recordings")
struct AmbisonicRecordingTests {
  @Test("mic A and mic B stack into one 8-channel recording, A first")
  func pairs() throws {
    let dir = try TemporaryDirectory()
    let a = Signals.sines(channelCount: 4, frameCount: 2000, sampleRate: 16_000, baseHz: 100)
    let b = Signals.sines(channelCount: 4, frameCount: 2000, sampleRate: 16_000, baseHz: 700)
    try AudioFile.write(a, to: dir.path("x_A.wav"), format: .float32)
    try AudioFile.write(b, to: dir.path("x_B.wav"), format: .float32)
    let recording = try AmbisonicRecording.load(
      micA: dir.path("x_A.wav"), micB: dir.path("x_B.wav"), expectedChannelCount: 4)
    #expect(recording.audio.channelCount == 8)
    #expect(recording.microphone(.a) == a)
    #expect(recording.microphone(.b) == b)
    #expect(Array(recording.audio.channel(4)) == Array(b.channel(0)))
    let part = try AmbisonicRecording.load(
      micA: dir.path("x_A.wav"), micB: dir.path("x_B.wav"), frames: 100..<300)
    #expect(part.audio.frameCount == 200)
    #expect(Array(part.audio.channel(5)) == Array(b.channel(1)[2000 + 100..<2000 + 300]))
  }

  struct Mismatch: Sendable, CustomTestStringConvertible {
    var name: String
    var b: AudioBuffer
    var expectedFragment: String
    var testDescription: String { name }
  }

  static let mismatches: [Mismatch] = [
    Mismatch(
      name: "rate", b: Signals.sines(channelCount: 4, frameCount: 1000, sampleRate: 32_000),
      expectedFragment: "sample rate 16000 Hz vs 32000 Hz"),
    Mismatch(
      name: "length", b: Signals.sines(channelCount: 4, frameCount: 999, sampleRate: 16_000),
      expectedFragment: "length 1000 vs 999 frames"),
    Mismatch(
      name: "channels", b: Signals.sines(channelCount: 2, frameCount: 1000, sampleRate: 16_000),
      expectedFragment: "channel count 4 vs 2"),
  ]

  @Test("a mismatched pair is refused with a message naming both files", arguments: mismatches)
  func refusesMismatch(_ mismatch: Mismatch) throws {
    let dir = try TemporaryDirectory()
    try AudioFile.write(
      Signals.sines(channelCount: 4, frameCount: 1000, sampleRate: 16_000), to: dir.path("y_A.wav"),
      format: .pcm16)
    try AudioFile.write(mismatch.b, to: dir.path("y_B.wav"), format: .pcm16)
    let error = #expect(throws: AudioIOError.self) {
      try AmbisonicRecording.load(micA: dir.path("y_A.wav"), micB: dir.path("y_B.wav"))
    }
    #expect(error?.code == .mismatchedPair)
    #expect(error?.message.contains(mismatch.expectedFragment) == true, "\(error?.message ?? "")")
    #expect(
      error?.message.contains("y_A.wav") == true && error?.message.contains("y_B.wav") == true)
    #expect(throws: AudioIOError.self) {
      try AmbisonicRecording.checkPair(micA: dir.path("y_A.wav"), micB: dir.path("y_B.wav"))
    }
  }

  @Test("a pair with the wrong channel count for FOA is refused when 4 are required")
  func expectsFOA() throws {
    let dir = try TemporaryDirectory()
    for mic in ["A", "B"] {
      try AudioFile.write(
        Signals.sines(channelCount: 2, frameCount: 10, sampleRate: 16_000),
        to: dir.path("z_\(mic).wav"), format: .pcm16)
    }
    let error = #expect(throws: AudioIOError.self) {
      try AmbisonicRecording.load(
        micA: dir.path("z_A.wav"), micB: dir.path("z_B.wav"), expectedChannelCount: 4)
    }
    #expect(error?.code == .unexpectedFormat)
  }
}
