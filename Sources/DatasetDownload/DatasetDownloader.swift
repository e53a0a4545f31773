import Datasets
public import Foundation
import L3DASCore

/// Downloads, checks and extracts catalog archives into a dataset folder (`l3das download`).
///
/// Layout of the dataset folder:
/// ```
/// <directory>/l3das-lock.json            SHA-256, size, MD5, source, extracted folders
/// <directory>/archives/<file>.zip        the archives (…zip.part while incomplete)
/// <directory>/L3DAS_Task1_dev/ …         the extracted, normalised split folders
/// ```
/// Running it again does nothing: present archives are checked against the lock (size
/// always; SHA-256 when not yet extracted or with `recheck`), extracted archives are skipped.
public struct DatasetDownloader: Sendable {
  /// What to do.
  public struct Options: Sendable {
    /// The dataset folder.
    public var directory: URL
    /// A base URL serving the archives by file name (`<mirror>/<fileName>`), replacing the
    /// hosts; no host checksum is fetched then.
    public var mirror: URL?
    /// Already-downloaded archives, matched to catalog archives by file name; used in place.
    public var localArchives: [URL] = []
    /// How many archives to download at once.
    public var jobs: Int = 2
    /// Whether to extract the archives.
    public var extract: Bool = true
    /// Whether to recompute the SHA-256 of archives that are already extracted.
    public var recheck: Bool = false
    /// Kaggle credentials (needed for Kaggle archives without a mirror).
    public var kaggle: KaggleCredentials?
    /// Overrides the catalog's Zenodo record API URL (tests).
    public var zenodoRecordURL: URL?

    /// Creates options for `directory`.
    public init(directory: URL) { self.directory = directory }
  }

  /// What happened to one archive.
  public struct Outcome: Sendable, Equatable, Codable {
    /// `<dataset>/<archive id>`.
    public var name: String
    /// The archive file name.
    public var fileName: String
    /// `downloaded`, `resumed`, `present` or `local`.
    public var status: String
    /// Size in bytes.
    public var bytes: Int64
    /// SHA-256.
    public var sha256: String
    /// Whether a host-published MD5 was checked.
    public var md5Checked: Bool
    /// Top-level folders in the dataset folder that came from this archive.
    public var folders: [String]
    /// Whether extraction ran now (false if skipped or already done).
    public var extractedNow: Bool
  }

  /// The catalog.
  public var catalog: DatasetCatalog
  /// The single-file downloader (transport, retries, timeouts).
  public var fileDownloader: FileDownloader

  /// Creates a downloader.
  public init(catalog: DatasetCatalog, fileDownloader: FileDownloader = FileDownloader()) {
    self.catalog = catalog
    self.fileDownloader = fileDownloader
  }

  /// The folder holding the archives inside a dataset folder.
  public static func archivesFolder(in directory: URL) -> URL {
    directory.appendingPathComponent("archives", isDirectory: true)
  }

  /// Downloads and extracts `entries` (see the type's documentation).
  ///
  /// Every archive is attempted; the first error (in catalog order) is thrown after all
  /// workers finish, so one failing archive does not stop the others.
  public func run(
    _ entries: [DatasetCatalog.Entry], options: Options,
    observer: any DownloadObserver = SilentDownloadObserver()
  ) throws -> [Outcome] {
    let archives = Self.archivesFolder(in: options.directory)
    do {
      try FileManager.default.createDirectory(at: archives, withIntermediateDirectories: true)
    } catch {
      throw DownloadError(.fileSystem, "cannot create the folder: \(error)", path: archives.path)
    }
    let store = try DatasetLockStore(directory: options.directory)
    let plans = try entries.map {
      try plan(
        $0, selectionCount: entries.count, options: options, store: store, observer: observer)
    }
    try checkSpace(plans, options: options)

    let results = ResultSlots<Outcome>(count: plans.count)
    let next = NextIndex()
    let group = DispatchGroup()
    for _ in 0..<max(1, min(options.jobs, plans.count)) {
      group.enter()
      let thread = Thread {
        while let index = next.take(below: plans.count) {
          results.set(
            index,
            Swift.Result {
              try process(plans[index], options: options, store: store, observer: observer)
            })
        }
        group.leave()
      }
      thread.stackSize = 1 << 22
      thread.start()
    }
    group.wait()
    return try results.values()
  }

  // MARK: - Planning

  struct Plan: Sendable {
    var entry: DatasetCatalog.Entry
    var destination: URL
    var source: FileDownloader.Source?
    var localArchive: URL?
    var sourceDescription: String
  }

  private func plan(
    _ entry: DatasetCatalog.Entry, selectionCount: Int, options: Options, store: DatasetLockStore,
    observer: any DownloadObserver
  ) throws -> Plan {
    let fileName = entry.archive.fileName
    let destination = Self.archivesFolder(in: options.directory).appendingPathComponent(fileName)
    let lockedSHA = store.record(fileName)?.sha256
    // A local archive is matched by file name, or used as is when it is the only one and
    // only one archive is selected.
    let byName = options.localArchives.first { $0.lastPathComponent == fileName }
    let single =
      options.localArchives.count == 1 && selectionCount == 1 ? options.localArchives.first : nil
    if let local = byName ?? single {
      return Plan(
        entry: entry, destination: destination, source: nil, localArchive: local,
        sourceDescription: local.path)
    }
    if let mirror = options.mirror {
      let url = mirror.appendingPathComponent(fileName)
      return Plan(
        entry: entry, destination: destination,
        source: FileDownloader.Source(url: url, expectedSHA256: lockedSHA), localArchive: nil,
        sourceDescription: url.absoluteString)
    }
    var url = try catalog.downloadURL(for: entry)
    var source = FileDownloader.Source(url: url, expectedSHA256: lockedSHA)
    switch entry.dataset.host {
    case .zenodo:
      if FileManager.default.fileExists(atPath: destination.path), store.record(fileName) != nil {
        break  // present and locked: no need to ask Zenodo
      }
      let recordURL =
        try options.zenodoRecordURL ?? catalog.zenodoRecordURL(entry.dataset.zenodoRecord ?? "")
      do {
        let record = try ZenodoRecord.fetch(
          recordURL, transport: fileDownloader.transport,
          idleTimeoutSeconds: fileDownloader.idleTimeoutSeconds)
        if let file = record.files[fileName] {
          source.expectedMD5 = file.md5
          source.expectedBytes = file.bytes
          if let link = file.url { url = link }
          source.url = url
        } else {
          observer.handle(
            .warning("\(fileName) is not listed in the Zenodo record; no MD5 to check"))
        }
      } catch {
        observer.handle(
          .warning("cannot read Zenodo's checksums (\(error)); only SHA-256 will be recorded"))
      }
    case .kaggle:
      guard let kaggle = options.kaggle else {
        throw DownloadError(.credentials, KaggleCredentials.missingMessage)
      }
      source.headers["Authorization"] = kaggle.authorizationHeader
    }
    return Plan(
      entry: entry, destination: destination, source: source, localArchive: nil,
      sourceDescription: url.absoluteString)
  }

  private func checkSpace(_ plans: [Plan], options: Options) throws {
    var needed: Int64 = 0
    for plan in plans
    where plan.localArchive == nil && !FileManager.default.fileExists(atPath: plan.destination.path)
    {
      guard let bytes = plan.source?.expectedBytes else { continue }
      let partial = DiskSpace.fileSize(FileDownloader.partURL(for: plan.destination)) ?? 0
      // The archive, plus about as much again when it is extracted (WAV barely compresses).
      needed += (bytes - min(bytes, partial)) + (options.extract ? bytes : 0)
    }
    if needed > 0, let free = fileDownloader.freeBytes(options.directory), needed > free {
      throw DownloadError(
        .insufficientSpace,
        "the selected archives need about \(DiskSpace.describe(needed)) (download and extraction), "
          + "only \(DiskSpace.describe(free)) free",
        path: options.directory.path)
    }
  }

  // MARK: - Processing one archive

  private func process(
    _ plan: Plan, options: Options, store: DatasetLockStore, observer: any DownloadObserver
  ) throws -> Outcome {
    let fileName = plan.entry.archive.fileName
    var status: String
    var archive = plan.destination
    var md5Checked = false
    let record = store.record(fileName)
    if let local = plan.localArchive {
      archive = local
      status = "local"
      let bytes = DiskSpace.fileSize(local)
      guard let bytes else {
        throw DownloadError(.fileSystem, "no such archive", path: local.path)
      }
      if let record, record.extracted, !options.recheck, record.bytes == bytes {
        // Already checked and extracted.
      } else {
        observer.handle(.verifying(file: fileName))
        let sha = try FileDownloader.digest(local, .sha256)
        try checkAgainstLock(record, sha256: sha, bytes: bytes, path: local.path)
        if record == nil {
          try store.update(fileName) {
            $0 = .init(
              catalogName: plan.entry.qualifiedName, sha256: sha, bytes: bytes, md5: nil,
              source: local.path, recorded: DatasetLockStore.timestamp())
          }
        }
      }
    } else if let bytes = DiskSpace.fileSize(plan.destination) {
      status = "present"
      if let record {
        guard record.bytes == bytes else {
          throw DownloadError(
            .checksumMismatch,
            "size is \(bytes) bytes but the lock file recorded \(record.bytes); remove the archive to download it again",
            path: plan.destination.path)
        }
        if !record.extracted || options.recheck {
          observer.handle(.verifying(file: fileName))
          try checkAgainstLock(
            record, sha256: try FileDownloader.digest(plan.destination, .sha256), bytes: bytes,
            path: plan.destination.path)
        }
      } else {
        // An archive we did not record (copied in by hand): record it now.
        let sha = try FileDownloader.digest(plan.destination, .sha256)
        try store.update(fileName) {
          $0 = .init(
            catalogName: plan.entry.qualifiedName, sha256: sha, bytes: bytes, md5: nil,
            source: plan.destination.path, recorded: DatasetLockStore.timestamp())
        }
      }
      observer.handle(.alreadyPresent(file: fileName, bytes: bytes))
    } else {
      guard let source = plan.source else {
        throw DownloadError(.fileSystem, "no source for the archive", path: fileName)
      }
      let result = try fileDownloader.download(source, to: plan.destination, observer: observer)
      status = result.resumedBytes > 0 ? "resumed" : "downloaded"
      md5Checked = result.md5 != nil
      try store.update(fileName) { record in
        let previous = record
        record = .init(
          catalogName: plan.entry.qualifiedName, sha256: result.sha256, bytes: result.bytes,
          md5: result.md5 ?? previous?.md5,
          source: plan.sourceDescription,
          recorded: previous?.recorded ?? DatasetLockStore.timestamp(),
          extractedFolders: previous?.extractedFolders ?? [],
          extracted: previous?.extracted ?? false)
      }
    }

    var extractedNow = false
    var current = store.record(fileName)
    let foldersPresent = (current?.extractedFolders ?? []).allSatisfy {
      FileManager.default.fileExists(atPath: options.directory.appendingPathComponent($0).path)
    }
    if options.extract, !(current?.extracted == true && foldersPresent) {
      observer.handle(.extracting(file: fileName))
      let extractor = ArchiveExtractor(
        folderRenames: plan.entry.dataset.folderRenames ?? [:], freeBytes: fileDownloader.freeBytes)
      let placed = Set(current?.extractedFolders ?? [])
      let names = try extractor.extract(archive, into: options.directory, alreadyPlaced: placed) {
        name in
        try store.update(fileName) { $0?.extractedFolders.append(name) }
      }
      try store.update(fileName) {
        $0?.extractedFolders = names
        $0?.extracted = true
      }
      extractedNow = true
      observer.handle(.extracted(file: fileName, folders: names))
      current = store.record(fileName)
    }
    return Outcome(
      name: plan.entry.qualifiedName, fileName: fileName, status: status,
      bytes: current?.bytes ?? 0,
      sha256: current?.sha256 ?? "", md5Checked: md5Checked,
      folders: current?.extractedFolders ?? [],
      extractedNow: extractedNow)
  }

  private func checkAgainstLock(
    _ record: DatasetLock.ArchiveRecord?, sha256: String, bytes: Int64, path: String
  ) throws {
    guard let record else { return }
    guard record.sha256 == sha256, record.bytes == bytes else {
      throw DownloadError(
        .checksumMismatch,
        "SHA-256 \(sha256) (\(bytes) bytes) differs from the lock file's \(record.sha256) "
          + "(\(record.bytes) bytes); the archive changed since it was first downloaded",
        path: path)
    }
  }
}

/// One result per archive; the first error in index order is rethrown.
private final class ResultSlots<Value: Sendable>: @unchecked Sendable {
  private let lock = NSLock()
  private var slots: [Swift.Result<Value, any Error>?]
  init(count: Int) { slots = Array(repeating: nil, count: count) }
  func set(_ index: Int, _ result: Swift.Result<Value, any Error>) {
    lock.withLock { slots[index] = result }
  }
  func values() throws -> [Value] {
    try lock.withLock {
      try slots.map { try ($0 ?? .failure(DownloadError(.fileSystem, "worker ended early"))).get() }
    }
  }
}
