public import Foundation
import L3DASCore

/// `l3das-lock.json`: what was downloaded into a dataset folder, recorded at first download
/// and checked on every later run.
///
/// For each archive: its SHA-256 and size (always), the MD5 when the host published one,
/// where it came from, and which top-level folders its extraction placed. A re-download
/// (after the archive was deleted) must produce the same SHA-256.
public struct DatasetLock: Codable, Sendable, Equatable {
  /// The file name inside the dataset folder.
  public static let fileName = "l3das-lock.json"

  /// The format version (1).
  public var version: Int = 1
  /// One record per archive file name.
  public var archives: [String: ArchiveRecord] = [:]

  /// What is known about one archive.
  public struct ArchiveRecord: Codable, Sendable, Equatable {
    /// `<dataset>/<archive id>` in the catalog, or `nil` for an unlisted archive.
    public var catalogName: String?
    /// Lower-case hex SHA-256 of the archive.
    public var sha256: String
    /// Size in bytes.
    public var bytes: Int64
    /// Lower-case hex MD5, when the host published one and it was checked.
    public var md5: String?
    /// The URL or local path it came from.
    public var source: String
    /// When it was first recorded (ISO 8601).
    public var recorded: String
    /// Top-level folders placed by extraction so far.
    public var extractedFolders: [String] = []
    /// Whether extraction finished.
    public var extracted: Bool = false
  }

  /// Creates an empty lock.
  public init() {}
}

/// Reads and atomically rewrites a dataset folder's lock file; safe to use from several
/// threads.
public final class DatasetLockStore: @unchecked Sendable {
  /// The lock file.
  public let url: URL
  private let mutex = NSLock()
  private var lock: DatasetLock

  /// Opens the lock file of `directory` (an absent file is an empty lock).
  ///
  /// - Throws: `DownloadError` `.fileSystem` if the file exists but cannot be parsed.
  public init(directory: URL) throws {
    url = directory.appendingPathComponent(DatasetLock.fileName)
    if FileManager.default.fileExists(atPath: url.path) {
      do {
        lock = try JSONDecoder().decode(DatasetLock.self, from: Data(contentsOf: url))
      } catch {
        throw DownloadError(
          .fileSystem, "cannot read the lock file (\(error)); fix or remove it", path: url.path)
      }
    } else {
      lock = DatasetLock()
    }
  }

  /// The current contents.
  public var current: DatasetLock { mutex.withLock { lock } }

  /// The record of `fileName`, if any.
  public func record(_ fileName: String) -> DatasetLock.ArchiveRecord? {
    mutex.withLock { lock.archives[fileName] }
  }

  /// Changes the record of `fileName` and writes the file atomically.
  public func update(
    _ fileName: String, _ change: (inout DatasetLock.ArchiveRecord?) -> Void
  ) throws {
    try mutex.withLock {
      var record = lock.archives[fileName]
      change(&record)
      lock.archives[fileName] = record
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      do {
        try AtomicFile.write(try encoder.encode(lock), to: url)
      } catch {
        throw DownloadError(.fileSystem, "cannot write the lock file: \(error)", path: url.path)
      }
    }
  }

  static func timestamp() -> String {
    ISO8601DateFormatter().string(from: Date())
  }
}
