/// Multichannel audio held in planar (non-interleaved) `Float` storage.
///
/// Channel `c` occupies `samples[c * frameCount ..< (c + 1) * frameCount]`, so one channel is
/// one contiguous run of memory: the layout the DSP and NN code want (PyTorch's `C × L`).
/// Sample values are linear amplitude; PCM files are normalised to [-1, 1).
///
/// ```swift
/// let audio = try AudioFile.read(url)          // e.g. 4 channels × 480 000 frames
/// let w = audio.channel(0)                      // the first channel as a slice
/// ```
public struct AudioBuffer: Sendable, Equatable {
  /// Samples per second per channel, in Hz.
  public var sampleRate: Int
  /// Number of channels (≥ 1).
  public let channelCount: Int
  /// Number of sample frames (samples per channel, ≥ 0).
  public let frameCount: Int
  /// Planar samples, `channelCount * frameCount` values, channel after channel.
  public var samples: [Float]

  /// Creates a silent buffer.
  public init(channelCount: Int, frameCount: Int, sampleRate: Int) {
    precondition(channelCount >= 1, "an audio buffer needs at least one channel")
    precondition(frameCount >= 0, "frameCount must be non-negative")
    precondition(sampleRate > 0, "sampleRate must be positive")
    self.channelCount = channelCount
    self.frameCount = frameCount
    self.sampleRate = sampleRate
    self.samples = [Float](repeating: 0, count: channelCount * frameCount)
  }

  /// Creates a buffer from planar samples (`channelCount * frameCount` values).
  public init(planarSamples: [Float], channelCount: Int, sampleRate: Int) {
    precondition(channelCount >= 1, "an audio buffer needs at least one channel")
    precondition(
      planarSamples.count % channelCount == 0,
      "\(planarSamples.count) samples do not divide into \(channelCount) channels")
    precondition(sampleRate > 0, "sampleRate must be positive")
    self.channelCount = channelCount
    self.frameCount = planarSamples.count / channelCount
    self.sampleRate = sampleRate
    self.samples = planarSamples
  }

  /// Creates a buffer from one array per channel; all channels must have the same length.
  public init(channels: [[Float]], sampleRate: Int) {
    precondition(!channels.isEmpty, "an audio buffer needs at least one channel")
    let length = channels[0].count
    precondition(
      channels.allSatisfy { $0.count == length }, "all channels must have the same length")
    self.init(
      planarSamples: Array(channels.joined()), channelCount: channels.count,
      sampleRate: sampleRate)
  }

  /// Duration in seconds (`frameCount / sampleRate`).
  public var durationSeconds: Double { Double(frameCount) / Double(sampleRate) }

  /// The samples of channel `index` as a contiguous slice.
  public func channel(_ index: Int) -> ArraySlice<Float> {
    precondition(index >= 0 && index < channelCount, "channel \(index) out of 0..<\(channelCount)")
    return samples[index * frameCount..<(index + 1) * frameCount]
  }

  /// All channels as separate arrays.
  public var channelArrays: [[Float]] { (0..<channelCount).map { Array(channel($0)) } }

  /// Calls `body` with mutable access to the samples of channel `index`.
  public mutating func withUnsafeMutableChannel<R>(
    _ index: Int, _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
  ) rethrows -> R {
    precondition(index >= 0 && index < channelCount, "channel \(index) out of 0..<\(channelCount)")
    let start = index * frameCount
    let count = frameCount
    return try samples.withUnsafeMutableBufferPointer { all in
      try body(UnsafeMutableBufferPointer(rebasing: all[start..<start + count]))
    }
  }

  /// A new buffer holding the channels in `range`, in order.
  public func channels(_ range: Range<Int>) -> AudioBuffer {
    precondition(
      range.lowerBound >= 0 && range.upperBound <= channelCount && !range.isEmpty,
      "channel range \(range) out of 0..<\(channelCount)")
    return AudioBuffer(
      planarSamples: Array(samples[range.lowerBound * frameCount..<range.upperBound * frameCount]),
      channelCount: range.count, sampleRate: sampleRate)
  }

  /// The largest absolute sample value (0 for an empty buffer).
  public var peak: Float { samples.reduce(0) { Swift.max($0, abs($1)) } }

  /// Whether every sample is finite (no NaN, no ±∞).
  public var isFinite: Bool { samples.allSatisfy { $0.isFinite } }
}
