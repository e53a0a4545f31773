import AudioIO
import Foundation
import Testing
import _TestSupport

@Suite("Audio files")
struct AudioFileTests {
  @Test(
    "every WAV sample format round-trips within its resolution",
    arguments: AudioSampleFormat.allCases, [1, 4, 8])
  func roundTrip(format: AudioSampleFormat, channelCount: Int) throws {
    let dir = try TemporaryDirectory()
    let original = Signals.noise(
      channelCount: channelCount, frameCount: 3001, sampleRate: 16_000, seed: UInt64(channelCount))
    let url = dir.path("x.wav")
    try AudioFile.write(original, to: url, format: format)
    let info = try AudioFile.info(at: url)
    #expect(
      info
        == AudioFileInfo(
          sampleRate: 16_000, channelCount: channelCount, frameCount: 3001, sampleFormat: format))
    let back = try AudioFile.read(url)
    #expect(
      back.channelCount == channelCount && back.frameCount == 3001 && back.sampleRate == 16_000)
    // PCM quantisation: libsndfile scales by 2^(bits-1) and rounds, so the error is at most
    // half a step; we allow one full step (`resolution`) plus float rounding.
    let tolerance = format.resolution + 1e-7
    let maxError = zip(original.samples, back.samples).map { abs($0 - $1) }.max() ?? 0
    #expect(maxError <= tolerance, "max error \(maxError) > \(tolerance) for \(format)")
    if format == .float32 { #expect(back.samples == original.samples) }
    #expect(try dir.entries() == ["x.wav"], "no temporary file may be left behind")
  }

  @Test(
    "a frame range read equals the same slice of a full read",
    arguments: [0..<0, 0..<1, 17..<40_000, 39_999..<40_000, 0..<40_000])
  func rangeRead(range: Range<Int>) throws {
    let dir = try TemporaryDirectory()
    let original = Signals.sines(channelCount: 4, frameCount: 40_000, sampleRate: 32_000)
    try AudioFile.write(original, to: dir.path("a.wav"), format: .float32)
    let part = try AudioFile.read(dir.path("a.wav"), frames: range)
    #expect(part.frameCount == range.count && part.channelCount == 4)
    for c in 0..<4 {
      #expect(
        Array(part.channel(c))
          == Array(
            original.channel(c)[range.lowerBound + c * 40_000..<range.upperBound + c * 40_000]))
    }
  }

  @Test("one reader streams consecutive chunks that add up to the file")
  func streaming() throws {
    let dir = try TemporaryDirectory()
    let original = Signals.noise(channelCount: 2, frameCount: 50_000, sampleRate: 16_000, seed: 3)
    try AudioFile.write(original, to: dir.path("s.wav"), format: .pcm24)
    let reader = try AudioFileReader(dir.path("s.wav"))
    let full = try reader.readAll()
    var rebuilt: [[Float]] = [[], []]
    for start in stride(from: 0, to: 50_000, by: 7_777) {
      let chunk = try reader.read(frames: start..<min(start + 7_777, 50_000))
      for c in 0..<2 { rebuilt[c] += chunk.channel(c) }
    }
    #expect(rebuilt == full.channelArrays)
  }

  @Test(
    "every 16-bit PCM value reads as value / 32768, as libsndfile's float conversion gives",
    arguments: [1, 3, 4])
  func pcm16Values(channels: Int) throws {
    // All 65 536 values, written as raw little-endian samples behind a canonical WAV header.
    let values = (0..<65_536).map { Int16(truncatingIfNeeded: $0 - 32_768) }
    let frames = (values.count + channels - 1) / channels
    var samples = [Int16](repeating: 0, count: frames * channels)
    for (i, v) in values.enumerated() { samples[i] = v }
    var data = Data()
    func append32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { data.append(contentsOf: $0) } }
    func append16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { data.append(contentsOf: $0) } }
    data.append(contentsOf: Array("RIFF".utf8))
    append32(36 + 2 * samples.count)
    data.append(contentsOf: Array("WAVEfmt ".utf8))
    append32(16)
    append16(1)
    append16(channels)
    append32(16_000)
    append32(16_000 * 2 * channels)
    append16(2 * channels)
    append16(16)
    data.append(contentsOf: Array("data".utf8))
    append32(2 * samples.count)
    for v in samples { append16(Int(UInt16(bitPattern: v))) }
    let dir = try TemporaryDirectory()
    try data.write(to: dir.path("all.wav"))
    let audio = try AudioFile.read(dir.path("all.wav"))
    #expect(audio.channelCount == channels && audio.frameCount == frames)
    var mismatches = 0
    for (i, v) in samples.enumerated() {
      let read = audio.samples[(i % channels) * frames + i / channels]
      if read.bitPattern != (Float(v) * (1 / 32768 as Float)).bitPattern { mismatches += 1 }
    }
    #expect(mismatches == 0)
    #expect(audio.samples.min() == -1 && audio.samples.max() == 32_767 / 32_768)
  }

  @Test("a range beyond the end is a clear error")
  func outOfRange() throws {
    let dir = try TemporaryDirectory()
    try AudioFile.write(
      Signals.sines(channelCount: 1, frameCount: 100, sampleRate: 8000), to: dir.path("r.wav"),
      format: .pcm16)
    let error = #expect(throws: AudioIOError.self) {
      try AudioFile.read(dir.path("r.wav"), frames: 50..<101)
    }
    #expect(error?.code == .invalidRange)
    #expect(error?.description.contains("file has 100") == true)
  }

  @Test("integer formats clip out-of-range values instead of wrapping")
  func clipping() throws {
    let dir = try TemporaryDirectory()
    let loud = AudioBuffer(channels: [[1.5, -1.5, 0.25]], sampleRate: 16_000)
    try AudioFile.write(loud, to: dir.path("c.wav"), format: .pcm16)
    let back = try AudioFile.read(dir.path("c.wav"))
    #expect(back.samples[0] > 0.999 && back.samples[1] <= -0.999)
    #expect(abs(back.samples[2] - 0.25) < 1e-4)
  }

  @Test("non-finite samples are refused and nothing is written")
  func refusesNaN() throws {
    let dir = try TemporaryDirectory()
    let bad = AudioBuffer(channels: [[0, .nan, 0], [0, 0, .infinity]], sampleRate: 16_000)
    let error = #expect(throws: AudioIOError.self) {
      try AudioFile.write(bad, to: dir.path("n.wav"), format: .float32)
    }
    #expect(error?.code == .nonFiniteSamples)
    #expect(error?.message.contains("channel 0") == true)
    #expect(try dir.entries().isEmpty)
  }

  @Test("a failed write keeps the previous file intact")
  func failedWriteKeepsOldFile() throws {
    let dir = try TemporaryDirectory()
    let good = Signals.sines(channelCount: 1, frameCount: 10, sampleRate: 16_000)
    try AudioFile.write(good, to: dir.path("k.wav"), format: .pcm16)
    let bad = AudioBuffer(channels: [[.nan]], sampleRate: 16_000)
    #expect(throws: AudioIOError.self) {
      try AudioFile.write(bad, to: dir.path("k.wav"), format: .pcm16)
    }
    #expect(try AudioFile.info(at: dir.path("k.wav")).frameCount == 10)
  }

  @Test("a missing file is reported as not found")
  func missing() throws {
    let error = #expect(throws: AudioIOError.self) {
      try AudioFile.read(URL(fileURLWithPath: "/nonexistent/x_A.wav"))
    }
    #expect(error?.code == .fileNotFound)
    #expect(error?.description.hasPrefix("/nonexistent/x_A.wav") == true)
  }

  @Test(
    "a file that is not audio is reported as unreadable",
    arguments: ["", "hello, I am a CSV\n1,2,3\n", "RIFF\u{0}\u{0}"])
  func notAudio(content: String) throws {
    let dir = try TemporaryDirectory()
    let url = dir.path("fake.wav")
    try Data(content.utf8).write(to: url)
    let error = #expect(throws: AudioIOError.self) { try AudioFile.read(url) }
    #expect(error?.code == .unreadableFormat)
  }

  @Test("a directory is not an audio file")
  func directory() throws {
    let dir = try TemporaryDirectory()
    let error = #expect(throws: AudioIOError.self) { try AudioFile.read(dir.url) }
    #expect(error?.code == .unreadableFormat)
  }

  @Test(
    "a WAV cut short is reported as truncated", arguments: [AudioSampleFormat.pcm16, .float32],
    [1, 1000, 4001])
  func truncated(format: AudioSampleFormat, bytesRemoved: Int) throws {
    let dir = try TemporaryDirectory()
    let url = dir.path("t.wav")
    try AudioFile.write(
      Signals.noise(channelCount: 4, frameCount: 4000, sampleRate: 32_000, seed: 1), to: url,
      format: format)
    let data = try Data(contentsOf: url)
    try data.prefix(data.count - bytesRemoved).write(to: url)
    let error = #expect(throws: AudioIOError.self) { try AudioFile.read(url) }
    #expect(error?.code == .truncated)
    #expect(error?.message.contains("declares") == true)
  }

  @Test("a WAV whose header is cut is unreadable, not a crash")
  func headerCut() throws {
    let dir = try TemporaryDirectory()
    let url = dir.path("h.wav")
    try AudioFile.write(
      Signals.sines(channelCount: 4, frameCount: 100, sampleRate: 16_000), to: url, format: .pcm16)
    let data = try Data(contentsOf: url)
    for length in [4, 12, 20, 36] {
      try data.prefix(length).write(to: url)
      #expect(throws: AudioIOError.self) { try AudioFile.read(url) }
    }
  }
}
