/// What a sound file's header says: rate, channels, length and encoding.
public struct AudioFileInfo: Sendable, Equatable, Codable {
  /// Samples per second per channel, in Hz.
  public var sampleRate: Int
  /// Number of channels.
  public var channelCount: Int
  /// Number of sample frames (samples per channel).
  public var frameCount: Int
  /// The sample encoding, or `nil` for encodings other than the four WAV encodings we write
  /// (they are still readable, e.g. 8-bit or 64-bit float WAV, FLAC).
  public var sampleFormat: AudioSampleFormat?

  /// Creates a description.
  public init(sampleRate: Int, channelCount: Int, frameCount: Int, sampleFormat: AudioSampleFormat?)
  {
    self.sampleRate = sampleRate
    self.channelCount = channelCount
    self.frameCount = frameCount
    self.sampleFormat = sampleFormat
  }

  /// Duration in seconds.
  public var durationSeconds: Double { Double(frameCount) / Double(sampleRate) }
}
