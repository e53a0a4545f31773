import Datasets
public import Foundation
import L3DASCore

#if canImport(Glibc)
  import Glibc
#endif

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
///
/// An archive is recorded in the lock file only once it is known to be good: it opened as a
/// zip archive, every entry passed the extractor's checks (safe name, size, CRC-32) and it
/// was extracted (or, without extraction, every entry was read and checked). A bad download
/// (a page served instead of the archive, a body cut short) is therefore never recorded, so
/// it cannot make the correct archive fail later. A record that is wrong anyway (written by
/// an earlier version) is replaced with `relock`.
public struct DatasetDownloader: Sendable {
  /// What to do.
  public struct Options: Sendable {
    /// The dataset folder.
    public var directory: URL
    /// A base URL serving the archives by file name (`<mirror>/<fileName>`), replacing the
    /// hosts; no host checksum is fetched then. A `file://` URL names a local folder whose
    /// archives are copied and checked like downloads.
    public var mirror: URL?
    /// Already-downloaded archives, matched to catalog archives by file name, or folders
    /// holding such archives; used in place. A single file is used as is when only one
    /// archive is selected.
    public var localArchives: [URL] = []
    /// How many archives to download at once.
    public var jobs: Int = 2
    /// Whether to extract the archives.
    public var extract: Bool = true
    /// Whether to recompute the SHA-256 of archives that are already extracted.
    public var recheck: Bool = false
    /// Whether to forget the lock file's records of the selected archives and record them
    /// afresh once they pass their checks (for a record written from a bad download).
    public var relock: Bool = false
    /// The largest accepted expansion of an archive (declared uncompressed bytes over archive
    /// bytes), or `nil` for no limit; see `ArchiveExtractor.maxExpansionRatio`.
    public var maxExpansionRatio: Double? = ArchiveExtractor.defaultMaxExpansionRatio
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
    try FileSystemReason.prepareFolder(options.directory, role: "the dataset folder (--dir)")
    try FileSystemReason.prepareFolder(archives, role: "the archives folder")
    let store = try DatasetLockStore(directory: options.directory)
    let locals = try Self.localArchives(options.localArchives, for: entries)
    let plans = try entries.map {
      try plan(
        $0, locals: locals, options: options, store: store, observer: observer)
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

  /// Local archives: files as given, folders replaced by the selected archives they hold.
  struct LocalArchives {
    /// Files matched by name.
    var byName: [String: URL] = [:]
    /// The one file to use as is, when one file was given and one archive is selected.
    var single: URL?
  }

  static func localArchives(_ urls: [URL], for entries: [DatasetCatalog.Entry]) throws
    -> LocalArchives
  {
    var result = LocalArchives()
    let wanted = Set(entries.map(\.archive.fileName))
    var files: [URL] = []
    for url in urls {
      var info = stat()
      guard stat(url.path, &info) == 0 else {
        throw DownloadError(
          .fileSystem,
          "no such archive or folder (\(FileSystemReason.describe(errno: errno))); --from-archive "
            + "takes a zip archive, or a folder holding archives under their catalog names",
          path: url.path)
      }
      guard (info.st_mode & S_IFMT) == S_IFDIR else {
        files.append(url)
        continue
      }
      let names = try FileSystemReason.attempt("cannot list the folder", path: url.path) {
        try FileManager.default.contentsOfDirectory(atPath: url.path)
      }
      let found = names.filter(wanted.contains).sorted()
      guard !found.isEmpty else {
        throw DownloadError(
          .fileSystem,
          "is a folder holding none of the selected archives; --from-archive takes a zip "
            + "archive, or a folder holding archives under their catalog names ("
            + wanted.sorted().joined(separator: ", ") + ")",
          path: url.path)
      }
      for name in found where result.byName[name] == nil {
        result.byName[name] = url.appendingPathComponent(name)
      }
    }
    for file in files { result.byName[file.lastPathComponent] = file }
    if files.count == 1, urls.count == 1, entries.count == 1 { result.single = files[0] }
    return result
  }

  private func plan(
    _ entry: DatasetCatalog.Entry, locals: LocalArchives, options: Options,
    store: DatasetLockStore, observer: any DownloadObserver
  ) throws -> Plan {
    let fileName = entry.archive.fileName
    let destination = Self.archivesFolder(in: options.directory).appendingPathComponent(fileName)
    let lockedSHA = options.relock ? nil : store.record(fileName)?.sha256
    if let local = locals.byName[fileName] ?? locals.single {
      return Plan(
        entry: entry, destination: destination, source: nil, localArchive: local,
        sourceDescription: local.path)
    }
    if let mirror = options.mirror {
      let url = mirror.appendingPathComponent(fileName)
      return Plan(
        entry: entry, destination: destination,
        source: FileDownloader.Source(
          url: url, expectedSHA256: lockedSHA, expectedContent: .zipArchive),
        localArchive: nil, sourceDescription: url.isFileURL ? url.path : url.absoluteString)
    }
    var url = try catalog.downloadURL(for: entry)
    var source = FileDownloader.Source(
      url: url, expectedSHA256: lockedSHA, expectedContent: .zipArchive)
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
    let existing = store.record(fileName)
    // The record the archive must match; with relock, none (it is replaced).
    let locked = options.relock ? nil : existing
    var archive = plan.destination
    let status: String
    var md5: String?
    var sha256: String?  // nil when a checked, extracted archive was not hashed again
    let bytes: Int64
    var downloadedNow = false
    var source = plan.sourceDescription
    if let local = plan.localArchive {
      archive = local
      status = "local"
      guard let size = DiskSpace.fileSize(local) else {
        throw DownloadError(
          .fileSystem, "is not a regular file; --from-archive takes a zip archive or a folder",
          path: local.path)
      }
      bytes = size
      if !(locked?.extracted == true && !options.recheck && locked?.bytes == size) {
        sha256 = try hash(local, fileName: fileName, observer: observer)
        try checkAgainstLock(
          locked, sha256: sha256, bytes: bytes, path: local.path, fileName: fileName, options)
      }
    } else if let size = DiskSpace.fileSize(plan.destination) {
      status = "present"
      bytes = size
      source = existing?.source ?? plan.destination.path
      if locked == nil || locked?.extracted == false || options.recheck {
        sha256 = try hash(plan.destination, fileName: fileName, observer: observer)
      }
      try checkAgainstLock(
        locked, sha256: sha256, bytes: bytes, path: plan.destination.path, fileName: fileName,
        options)
      observer.handle(.alreadyPresent(file: fileName, bytes: bytes))
    } else {
      guard let fileSource = plan.source else {
        throw DownloadError(.fileSystem, "no source for the archive", path: fileName)
      }
      let result: FileDownloader.Result
      do {
        result = try fileDownloader.download(fileSource, to: plan.destination, observer: observer)
      } catch let error as DownloadError {
        throw annotated(
          error, fileName: fileName, lockChecked: fileSource.expectedSHA256 != nil, options)
      }
      status = result.resumedBytes > 0 ? "resumed" : "downloaded"
      md5 = result.md5
      sha256 = result.sha256
      bytes = result.bytes
      downloadedNow = true
    }

    // Check (and extract) before recording: only a good archive enters the lock file.
    let record = { () -> DatasetLock.ArchiveRecord? in
      guard let sha256 else { return existing }
      return DatasetLock.ArchiveRecord(
        catalogName: plan.entry.qualifiedName, sha256: sha256, bytes: bytes,
        md5: md5 ?? (existing?.sha256 == sha256 ? existing?.md5 : nil), source: source,
        recorded: locked?.recorded ?? DatasetLockStore.timestamp(),
        extractedFolders: existing?.extractedFolders ?? [],
        extracted: existing?.extracted ?? false)
    }
    let mustRecord = locked == nil
    var extractedNow = false
    let foldersPresent = (existing?.extractedFolders ?? []).allSatisfy {
      FileManager.default.fileExists(atPath: options.directory.appendingPathComponent($0).path)
    }
    let extractor = ArchiveExtractor(
      folderRenames: plan.entry.dataset.folderRenames ?? [:], freeBytes: fileDownloader.freeBytes,
      maxExpansionRatio: options.maxExpansionRatio)
    do {
      if options.extract, !(existing?.extracted == true && foldersPresent) {
        observer.handle(.extracting(file: fileName))
        var recorded = !mustRecord
        let names = try extractor.extract(
          archive, into: options.directory, alreadyPlaced: Set(existing?.extractedFolders ?? [])
        ) { name in
          // Every entry passed its checks before the first folder is placed.
          try store.update(fileName) {
            if !recorded { $0 = record() }
            if $0?.extractedFolders.contains(name) == false { $0?.extractedFolders.append(name) }
          }
          recorded = true
        }
        try store.update(fileName) {
          if !recorded { $0 = record() }
          $0?.extractedFolders = names
          $0?.extracted = true
        }
        extractedNow = true
        observer.handle(.extracted(file: fileName, folders: names))
      } else if mustRecord {
        observer.handle(.verifying(file: fileName))
        try extractor.check(archive)
        try store.update(fileName) { $0 = record() }
      }
    } catch let error as DownloadError
      where error.code == .corruptArchive || error.code == .unsafeArchive
    {
      throw rejected(
        error, archive: archive, fileName: fileName, downloadedNow: downloadedNow,
        lockedEarlier: locked != nil, options)
    }
    let current = store.record(fileName)
    return Outcome(
      name: plan.entry.qualifiedName, fileName: fileName, status: status,
      bytes: current?.bytes ?? bytes,
      sha256: current?.sha256 ?? sha256 ?? "", md5Checked: md5 != nil,
      folders: current?.extractedFolders ?? [],
      extractedNow: extractedNow)
  }

  private func hash(_ url: URL, fileName: String, observer: any DownloadObserver) throws -> String {
    observer.handle(.verifying(file: fileName))
    return try FileDownloader.digest(url, .sha256)
  }

  /// How to get rid of a wrong lock record, for messages.
  static func relockHint(_ fileName: String, _ options: Options) -> String {
    let lock = options.directory.appendingPathComponent(DatasetLock.fileName).path
    return "if the record is wrong (an earlier version could record a bad download), run again "
      + "with --relock, or delete the entry \"\(fileName)\" under \"archives\" in \(lock)"
  }

  private func checkAgainstLock(
    _ record: DatasetLock.ArchiveRecord?, sha256: String?, bytes: Int64, path: String,
    fileName: String, _ options: Options
  ) throws {
    guard let record else { return }
    guard record.bytes == bytes else {
      throw DownloadError(
        .checksumMismatch,
        "size is \(bytes) bytes but the lock file recorded \(record.bytes); "
          + (plannedLocal(URL(fileURLWithPath: path), options)
            ? "" : "delete the archive to download it again; ")
          + Self.relockHint(fileName, options),
        path: path)
    }
    guard let sha256, record.sha256 != sha256 else { return }
    throw DownloadError(
      .checksumMismatch,
      "SHA-256 \(sha256) (\(bytes) bytes) differs from the lock file's \(record.sha256) "
        + "(\(record.bytes) bytes); the archive changed since it was first recorded; "
        + Self.relockHint(fileName, options),
      path: path)
  }

  /// A download failure, with how to recover when the lock file's SHA-256 was the cause.
  private func annotated(
    _ error: DownloadError, fileName: String, lockChecked: Bool, _ options: Options
  ) -> DownloadError {
    var error = error
    if error.code == .checksumMismatch, lockChecked, error.message.contains("SHA-256") {
      error.message += "; " + Self.relockHint(fileName, options)
    } else if error.code == .corruptArchive {
      error.message += "; nothing was recorded in \(DatasetLock.fileName)"
    }
    return error
  }

  /// An archive that failed its checks: nothing is recorded, a corrupt download is deleted
  /// (this run created it; the next run downloads it again), and the message says what next.
  private func rejected(
    _ error: DownloadError, archive: URL, fileName: String, downloadedNow: Bool,
    lockedEarlier: Bool, _ options: Options
  ) -> DownloadError {
    let lock = DatasetLock.fileName
    let next: String
    if downloadedNow, error.code == .corruptArchive {
      unlink(archive.path)
      next = "the download was deleted and nothing was recorded in \(lock); run again to "
        + "download it afresh"
    } else if downloadedNow {
      next = "the archive is kept in \(archive.deletingLastPathComponent().path), not recorded "
        + "in \(lock)"
    } else if plannedLocal(archive, options) {
      next = "nothing was recorded in \(lock); give the real archive"
        + (lockedEarlier ? "; \(lock) holds a record of it from an earlier run: " : "")
        + (lockedEarlier ? Self.relockHint(fileName, options) : "")
    } else if lockedEarlier {
      next = "\(lock) holds a record of this file from an earlier run: delete \(archive.path) "
        + "to download it again, and " + Self.relockHint(fileName, options)
    } else {
      next = "nothing was recorded in \(lock); delete \(archive.path) and run again to download "
        + "it afresh"
    }
    return DownloadError(error.code, "\(error.message); \(next)", path: error.path)
  }

  private func plannedLocal(_ archive: URL, _ options: Options) -> Bool {
    archive.deletingLastPathComponent().standardizedFileURL
      != Self.archivesFolder(in: options.directory).standardizedFileURL
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
