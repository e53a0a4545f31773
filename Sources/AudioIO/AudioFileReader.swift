internal import CSndFile
public import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// An open sound file that reads any range of frames into planar `Float` buffers without
/// loading the rest of the file.
///
/// The reader owns the libsndfile handle and closes it when released. It is not thread-safe;
/// use one reader per thread.
///
/// ```swift
/// let reader = try AudioFileReader(url)
/// let secondTwo = try reader.read(frames: 32_000..<64_000)   // 1 s at 32 kHz
/// ```
public final class AudioFileReader {
  /// The file being read.
  public let url: URL
  /// The file's header information.
  public let info: AudioFileInfo

  private let handle: OpaquePointer
  /// Interleaved scratch space for one chunk, reused across reads.
  private let scratch: UnsafeMutablePointer<Float>
  /// For 16-bit PCM WAV files: the chunk as libsndfile's raw samples, converted by us (see
  /// `read(frames:intoPlanar:)`); nil for every other format.
  private let shortScratch: UnsafeMutablePointer<Int16>?
  private static let chunkFrameCount = 16_384

  /// Opens `url` for reading.
  ///
  /// - Throws: `AudioIOError` with code `.fileNotFound`, `.unreadableFormat` (not audio, or a
  ///   header libsndfile rejects) or `.truncated` (a WAV whose data chunk is shorter than its
  ///   header declares).
  public init(_ url: URL) throws {
    let path = url.path
    var status = stat()
    guard stat(path, &status) == 0 else {
      throw AudioIOError(.fileNotFound, "no such file", path: path)
    }
    guard (status.st_mode & S_IFMT) == S_IFREG else {
      throw AudioIOError(.unreadableFormat, "not a regular file", path: path)
    }
    var sfInfo = SF_INFO()
    guard let handle = sf_open(path, Int32(SFM_READ), &sfInfo) else {
      let reason = String(cString: sf_strerror(nil))
      throw AudioIOError(.unreadableFormat, "cannot be read as audio: \(reason)", path: path)
    }
    guard sfInfo.channels >= 1, sfInfo.samplerate >= 1, sfInfo.frames >= 0 else {
      sf_close(handle)
      throw AudioIOError(
        .unreadableFormat,
        "header declares \(sfInfo.channels) channels at \(sfInfo.samplerate) Hz", path: path)
    }
    if (Int(sfInfo.format) & Int(SF_FORMAT_TYPEMASK)) == Int(SF_FORMAT_WAV) {
      do {
        try RIFFInspector.checkDataChunkIsComplete(path: path, fileSize: Int(status.st_size))
      } catch {
        sf_close(handle)
        throw error
      }
    }
    self.url = url
    self.handle = handle
    self.info = AudioFileInfo(
      sampleRate: Int(sfInfo.samplerate), channelCount: Int(sfInfo.channels),
      frameCount: Int(sfInfo.frames), sampleFormat: Self.sampleFormat(sfInfo.format))
    self.scratch = .allocate(capacity: Self.chunkFrameCount * Int(sfInfo.channels))
    let major = Int(sfInfo.format) & Int(SF_FORMAT_TYPEMASK)
    let isWAV = major == Int(SF_FORMAT_WAV) || major == Int(SF_FORMAT_WAVEX)
    self.shortScratch =
      isWAV && Self.sampleFormat(sfInfo.format) == .pcm16
      ? .allocate(capacity: Self.chunkFrameCount * Int(sfInfo.channels)) : nil
  }

  deinit {
    sf_close(handle)
    scratch.deallocate()
    shortScratch?.deallocate()
  }

  /// Reads the whole file.
  public func readAll() throws -> AudioBuffer {
    try read(frames: 0..<info.frameCount)
  }

  /// Reads the frames in `range` into a new planar buffer.
  ///
  /// - Parameter range: frame indices, within `0...info.frameCount`.
  /// - Returns: a buffer of `info.channelCount` channels and `range.count` frames.
  /// - Throws: `AudioIOError` `.invalidRange` for a range outside the file, `.truncated` if
  ///   the file ends early.
  /// - Complexity: O(range.count · channelCount); memory O(range.count · channelCount).
  public func read(frames range: Range<Int>) throws -> AudioBuffer {
    let count = range.count * info.channelCount
    // Every value is overwritten by the read, so skip zero-filling (a whole extra pass).
    let samples = try [Float](unsafeUninitializedCapacity: count) { destination, initialized in
      do {
        try read(frames: range, intoPlanar: destination)
      } catch {
        destination.initialize(repeating: 0)
        initialized = count
        throw error
      }
      initialized = count
    }
    return AudioBuffer(
      planarSamples: samples, channelCount: info.channelCount, sampleRate: info.sampleRate)
  }

  /// Reads the frames in `range` into caller-owned planar storage of `range.count *
  /// info.channelCount` values (channel `c` starts at `c * range.count`).
  ///
  /// Use it to stream a long file through one reused buffer.
  public func read(
    frames range: Range<Int>, intoPlanar destination: UnsafeMutableBufferPointer<Float>
  )
    throws
  {
    let channels = info.channelCount
    guard range.lowerBound >= 0, range.upperBound <= info.frameCount else {
      throw AudioIOError(
        .invalidRange,
        "frames \(range.lowerBound)..<\(range.upperBound) requested, file has \(info.frameCount)",
        path: url.path)
    }
    precondition(
      destination.count >= range.count * channels,
      "destination holds \(destination.count) values, needs \(range.count * channels)")
    guard !range.isEmpty, let out = destination.baseAddress else { return }
    guard sf_seek(handle, sf_count_t(range.lowerBound), SEEK_SET) == sf_count_t(range.lowerBound)
    else {
      throw AudioIOError(
        .truncated, "cannot seek to frame \(range.lowerBound): the file ends early",
        path: url.path)
    }
    let total = range.count
    var done = 0
    while done < total {
      let want = min(Self.chunkFrameCount, total - done)
      let got: Int
      if let shorts = shortScratch {
        // libsndfile converts 16-bit PCM as `Float(s) · (1 / 32768)` (pcm.c, normalised float
        // reads); the factor is a power of two, so doing it here while de-interleaving gives
        // the same bits and saves a pass over the chunk.
        got = Int(sf_readf_short(handle, shorts, sf_count_t(want)))
        if got == want {
          Self.deinterleave(
            shorts, frames: got, channels: channels, into: out + done, channelStride: total
          ) { Float($0) * (1 / 32768) }
        }
      } else {
        got = Int(sf_readf_float(handle, scratch, sf_count_t(want)))
        if got == want {
          Self.deinterleave(
            scratch, frames: got, channels: channels, into: out + done, channelStride: total
          ) { $0 }
        }
      }
      guard got == want else {
        throw AudioIOError(
          .truncated,
          "file ends at frame \(range.lowerBound + done + max(got, 0)) but its header declares \(info.frameCount) frames",
          path: url.path)
      }
      done += got
    }
  }

  /// Splits an interleaved chunk into planar channels `channelStride` apart, converting each
  /// sample with `convert` (specialised and inlined for both callers).
  @inline(__always)
  private static func deinterleave<Sample>(
    _ source: UnsafePointer<Sample>, frames: Int, channels: Int,
    into destination: UnsafeMutablePointer<Float>, channelStride: Int,
    _ convert: (Sample) -> Float
  ) {
    if channels == 4 {
      // One sequential pass over the interleaved chunk, four output streams (FOA files).
      let d0 = destination
      let d1 = destination + channelStride
      let d2 = destination + 2 * channelStride
      let d3 = destination + 3 * channelStride
      for i in 0..<frames {
        let s = source + 4 * i
        d0[i] = convert(s[0])
        d1[i] = convert(s[1])
        d2[i] = convert(s[2])
        d3[i] = convert(s[3])
      }
      return
    }
    for c in 0..<channels {
      let dst = destination + c * channelStride
      var src = source + c
      for i in 0..<frames {
        dst[i] = convert(src.pointee)
        src += channels
      }
    }
  }

  private static func sampleFormat(_ format: Int32) -> AudioSampleFormat? {
    switch Int(format) & Int(SF_FORMAT_SUBMASK) {
    case Int(SF_FORMAT_PCM_16): .pcm16
    case Int(SF_FORMAT_PCM_24): .pcm24
    case Int(SF_FORMAT_PCM_32): .pcm32
    case Int(SF_FORMAT_FLOAT): .float32
    default: nil
    }
  }
}
