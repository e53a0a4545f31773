import Datasets
public import Foundation
import L3DASCore

/// Remembers transcripts on disk, keyed by the SHA-256 of the audio samples, the sample rate
/// and the wrapped transcriber's identifier, so re-scoring a submission (or scoring many
/// submissions against the same clean references) transcribes each distinct audio only once.
///
/// Cache files are `<directory>/<key>.txt`, written atomically, so concurrent scorers can share
/// one cache folder.
public struct CachedTranscriber: Transcriber {
  /// How often the cache answered, and how often it had to ask the recogniser.
  public final class Statistics: @unchecked Sendable {
    private let lock = NSLock()
    private var counts = (hits: 0, misses: 0)
    /// Transcripts served from the cache.
    public var hits: Int { lock.withLock { counts.hits } }
    /// Transcripts the recogniser made (then stored).
    public var misses: Int { lock.withLock { counts.misses } }
    func record(hit: Bool) { lock.withLock { if hit { counts.hits += 1 } else { counts.misses += 1 } } }
  }

  /// The recogniser that produces transcripts on a cache miss.
  public let base: any Transcriber
  /// The cache folder.
  public let directory: URL
  /// Hits and misses so far (shared by copies of this value).
  public let statistics = Statistics()

  /// Wraps `base`; `directory` is created if missing.
  public init(_ base: any Transcriber, directory: URL) throws {
    self.base = base
    self.directory = directory
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  /// The wrapped transcriber's identifier (caching does not change the text).
  public var identifier: String { base.identifier }

  /// The cache key of a request: hex SHA-256 over the identifier, the rate and the samples.
  public func key(for request: TranscriptionRequest) throws -> String {
    var data = Data("\(base.identifier)\n\(request.sampleRate)\n".utf8)
    request.samples.withUnsafeBytes { data.append(contentsOf: $0) }
    return try Digest.hex(of: data, algorithm: .sha256)
  }

  /// The cached transcript, or the base transcriber's (then stored).
  public func transcribe(_ request: TranscriptionRequest) throws -> String {
    let file = directory.appendingPathComponent("\(try key(for: request)).txt")
    if let data = try? RegularFile.read(file, limit: 1 << 20),
      let cached = String(data: data, encoding: .utf8)
    {
      statistics.record(hit: true)
      return cached
    }
    let text = try base.transcribe(request)
    statistics.record(hit: false)
    try? AtomicFile.write(text, to: file)  // a failed cache write only costs a re-transcription
    return text
  }
}
