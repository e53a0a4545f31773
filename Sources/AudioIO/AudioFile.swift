internal import CSndFile
public import Foundation
internal import L3DASCore

/// Reading and writing whole sound files.
///
/// Reading accepts anything libsndfile reads (WAV in every PCM/float encoding, FLAC, …);
/// writing produces WAV in one of the four `AudioSampleFormat`s. Writes are atomic: the file
/// appears complete or not at all.
public enum AudioFile {
  /// Reads only the header of `url`.
  /// - Throws: `AudioIOError` (see `AudioFileReader.init`).
  public static func info(at url: URL) throws -> AudioFileInfo {
    try AudioFileReader(url).info
  }

  /// Reads all of `url` into a planar buffer.
  public static func read(_ url: URL) throws -> AudioBuffer {
    try AudioFileReader(url).readAll()
  }

  /// Reads the frames in `range` of `url` without loading the rest.
  public static func read(_ url: URL, frames range: Range<Int>) throws -> AudioBuffer {
    try AudioFileReader(url).read(frames: range)
  }

  /// Writes `buffer` as a WAV file, atomically.
  ///
  /// Integer formats clip values outside [-1, 1) to full scale (instead of wrapping).
  ///
  /// - Parameters:
  ///   - buffer: the audio; every sample must be finite.
  ///   - url: destination; its folder must exist. An existing file is replaced.
  ///   - format: the sample encoding.
  /// - Throws: `AudioIOError` `.nonFiniteSamples` or `.writeFailed`.
  public static func write(_ buffer: AudioBuffer, to url: URL, format: AudioSampleFormat) throws {
    if let bad = buffer.samples.firstIndex(where: { !$0.isFinite }) {
      throw AudioIOError(
        .nonFiniteSamples,
        "sample \(bad % max(buffer.frameCount, 1)) of channel \(bad / max(buffer.frameCount, 1)) is \(buffer.samples[bad]); refusing to write non-finite audio",
        path: url.path)
    }
    do {
      try AtomicFile.write(to: url) { temporary in
        try writeWAV(buffer, path: temporary.path, finalPath: url.path, format: format)
      }
    } catch let error as AtomicFileError {
      throw AudioIOError(.writeFailed, error.message, path: url.path)
    }
  }

  private static func writeWAV(
    _ buffer: AudioBuffer, path: String, finalPath: String, format: AudioSampleFormat
  ) throws {
    let subtype: Int32 =
      switch format {
      case .pcm16: Int32(SF_FORMAT_PCM_16)
      case .pcm24: Int32(SF_FORMAT_PCM_24)
      case .pcm32: Int32(SF_FORMAT_PCM_32)
      case .float32: Int32(SF_FORMAT_FLOAT)
      }
    var info = SF_INFO()
    info.samplerate = Int32(buffer.sampleRate)
    info.channels = Int32(buffer.channelCount)
    info.format = Int32(SF_FORMAT_WAV) | subtype
    guard let handle = sf_open(path, Int32(SFM_WRITE), &info) else {
      let reason = String(cString: sf_strerror(nil))
      throw AudioIOError(.writeFailed, "cannot create WAV file: \(reason)", path: finalPath)
    }
    var closed = false
    defer { if !closed { sf_close(handle) } }
    if format != .float32 {
      sf_command(handle, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
    }
    let channels = buffer.channelCount
    let frames = buffer.frameCount
    let chunk = 16_384
    let interleaved = UnsafeMutablePointer<Float>.allocate(capacity: chunk * channels)
    defer { interleaved.deallocate() }
    try buffer.samples.withUnsafeBufferPointer { planar in
      guard let base = planar.baseAddress else { return }
      var done = 0
      while done < frames {
        let n = min(chunk, frames - done)
        for c in 0..<channels {
          let src = base + c * frames + done
          var dst = interleaved + c
          for i in 0..<n {
            dst.pointee = src[i]
            dst += channels
          }
        }
        let written = Int(sf_writef_float(handle, interleaved, sf_count_t(n)))
        guard written == n else {
          let reason = String(cString: sf_strerror(handle))
          throw AudioIOError(
            .writeFailed, "wrote \(done + written) of \(frames) frames: \(reason)", path: finalPath)
        }
        done += n
      }
    }
    closed = true
    guard sf_close(handle) == 0 else {
      throw AudioIOError(.writeFailed, "closing the file failed (disk full?)", path: finalPath)
    }
  }
}
