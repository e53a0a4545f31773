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
  /// - Throws: `DownloadError` `.fileSystem` if the file exists but cannot be read or parsed
  ///   (the message names the file, the problem and how to recover).
  public init(directory: URL) throws {
    let url = directory.appendingPathComponent(DatasetLock.fileName)
    self.url = url
    guard FileManager.default.fileExists(atPath: url.path) else {
      lock = DatasetLock()
      return
    }
    let data = try FileSystemReason.attempt("cannot read the lock file", path: url.path) {
      try Data(contentsOf: url)
    }
    do {
      lock = try JSONDecoder().decode(DatasetLock.self, from: data)
    } catch {
      throw DownloadError(
        .fileSystem,
        "is not a valid lock file (\(Self.describe(error))); it records each archive's SHA-256 "
          + "and the folders extracted from it. Restore it from a backup, or move it away and run "
          + "again: the archives are then checked and recorded afresh (folders that were already "
          + "extracted are reported as conflicts; move them away too)",
        path: url.path)
    }
  }

  /// A decoding failure in a few words, with the JSON path of the bad field.
  static func describe(_ error: any Error) -> String {
    guard let error = error as? DecodingError else { return FileSystemReason.describe(error) }
    func at(_ context: DecodingError.Context) -> String {
      let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
      return path.isEmpty ? "" : " at \(path.joined(separator: "."))"
    }
    switch error {
    case .dataCorrupted(let context):
      let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey]
      return "not valid JSON\(at(context))" + (underlying.map { ": \($0)" } ?? "")
    case .keyNotFound(let key, let context):
      return "the field \"\(key.stringValue)\" is missing\(at(context))"
    case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
      return "expected \(type)\(at(context))"
    @unknown default:
      return "not a lock file"
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
      try FileSystemReason.attempt("cannot write the lock file", path: url.path) {
        try AtomicFile.write(try encoder.encode(lock), to: url)
      }
    }
  }

  static func timestamp() -> String {
    ISO8601DateFormatter().string(from: Date())
  }
}
