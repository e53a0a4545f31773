public import Foundation

/// One of the two first-order Ambisonics microphones of the L3DAS recordings.
///
/// Mic A sits at the origin of the label coordinates; mic B is 20 cm from it (see
/// `docs/conventions.md`). File names carry the mic as a suffix: `<id>_A.wav`, `<id>_B.wav`.
public enum Microphone: String, CaseIterable, Sendable, Codable {
  case a = "A"
  case b = "B"

  /// The file-name suffix without extension, e.g. `_A`.
  public var fileSuffix: String { "_\(rawValue)" }
}

/// The four first-order Ambisonics channels in file order.
///
/// L3DAS23 states AmbiX: ACN channel order (W, Y, Z, X) with SN3D normalisation. For
/// L3DAS21 and L3DAS22 no published source states the order or normalisation; we assume the
/// same AmbiX convention, and our synthetic data is encoded that way. See
/// `docs/conventions.md`.
public enum AmbisonicChannel: Int, CaseIterable, Sendable {
  /// Omnidirectional pressure (ACN 0).
  case w = 0
  /// Left–right figure of eight, +Y to the left (ACN 1).
  case y = 1
  /// Up–down figure of eight (ACN 2).
  case z = 2
  /// Front–back figure of eight, +X to the front (ACN 3).
  case x = 3
}

/// A dual-microphone L3DAS recording: the mic-A and mic-B files of one item stacked into one
/// buffer, **mic A's channels first** (`0..<4` = A's W, Y, Z, X; `4..<8` = B's).
///
/// ```swift
/// let recording = try AmbisonicRecording.load(micA: dir.appending(path: "split4_ov1_3_A.wav"),
///                                             micB: dir.appending(path: "split4_ov1_3_B.wav"))
/// recording.audio.channelCount    // 8
/// recording.microphone(.b)        // mic B alone, 4 channels
/// ```
public struct AmbisonicRecording: Sendable, Equatable {
  /// Both microphones' channels, mic A first.
  public var audio: AudioBuffer
  /// Channels per microphone (4 for first-order Ambisonics).
  public let channelsPerMicrophone: Int

  /// Pairs two equally shaped buffers (A first).
  ///
  /// Precondition: same rate, length and channels.
  public init(micA: AudioBuffer, micB: AudioBuffer) {
    precondition(
      micA.sampleRate == micB.sampleRate && micA.frameCount == micB.frameCount
        && micA.channelCount == micB.channelCount,
      "mic A and mic B buffers must have the same shape and rate")
    channelsPerMicrophone = micA.channelCount
    audio = AudioBuffer(
      planarSamples: micA.samples + micB.samples, channelCount: 2 * micA.channelCount,
      sampleRate: micA.sampleRate)
  }

  /// The channels of one microphone.
  public func microphone(_ mic: Microphone) -> AudioBuffer {
    let start = mic == .a ? 0 : channelsPerMicrophone
    return audio.channels(start..<start + channelsPerMicrophone)
  }

  /// Checks that two files can form one recording, without reading their samples.
  ///
  /// - Throws: `AudioIOError` `.mismatchedPair` naming both files and the differing
  ///   property, or any error from opening either file.
  @discardableResult
  public static func checkPair(micA: URL, micB: URL) throws -> AudioFileInfo {
    let a = try AudioFile.info(at: micA)
    let b = try AudioFile.info(at: micB)
    try checkCompatible(a, b, micA: micA, micB: micB)
    return a
  }

  /// Reads `<id>_A.wav` and `<id>_B.wav` (optionally only a frame range) into one recording.
  ///
  /// - Parameters:
  ///   - micA: the mic-A file.
  ///   - micB: the mic-B file.
  ///   - frames: the frame range to read from both; `nil` reads everything.
  ///   - expectedChannelCount: if given, each file must have this many channels (4 for FOA).
  /// - Throws: `AudioIOError` `.mismatchedPair` if the files differ in sample rate, frame
  ///   count or channel count; `.unexpectedFormat` if `expectedChannelCount` is not met;
  ///   any error from reading either file.
  public static func load(
    micA: URL, micB: URL, frames: Range<Int>? = nil, expectedChannelCount: Int? = nil
  ) throws -> AmbisonicRecording {
    let readerA = try AudioFileReader(micA)
    let readerB = try AudioFileReader(micB)
    try checkCompatible(readerA.info, readerB.info, micA: micA, micB: micB)
    if let expected = expectedChannelCount, readerA.info.channelCount != expected {
      throw AudioIOError(
        .unexpectedFormat,
        "has \(readerA.info.channelCount) channels, expected \(expected) (first-order Ambisonics)",
        path: micA.path)
    }
    let range = frames ?? 0..<readerA.info.frameCount
    return AmbisonicRecording(
      micA: try readerA.read(frames: range), micB: try readerB.read(frames: range))
  }

  private static func checkCompatible(
    _ a: AudioFileInfo, _ b: AudioFileInfo, micA: URL, micB: URL
  ) throws {
    var differences: [String] = []
    if a.sampleRate != b.sampleRate {
      differences.append("sample rate \(a.sampleRate) Hz vs \(b.sampleRate) Hz")
    }
    if a.channelCount != b.channelCount {
      differences.append("channel count \(a.channelCount) vs \(b.channelCount)")
    }
    if a.frameCount != b.frameCount {
      differences.append("length \(a.frameCount) vs \(b.frameCount) frames")
    }
    guard differences.isEmpty else {
      throw AudioIOError(
        .mismatchedPair,
        "mic A file \(micA.lastPathComponent) and mic B file \(micB.lastPathComponent) do not match: "
          + differences.joined(separator: "; "),
        path: micA.deletingLastPathComponent().path)
    }
  }
}
