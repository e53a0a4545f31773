import Datasets
import Foundation
import Testing
import _TestSupport

@testable import DatasetDownload

@Suite("DatasetDownloader end to end on loopback")
struct DatasetDownloaderTests {
  /// The bundled catalog with its hosts pointed at the loopback server.
  static func loopbackCatalog(_ server: LoopbackHTTPServer) throws -> DatasetCatalog {
    var catalog = try DatasetCatalog.bundled()
    catalog.hosts.zenodo.fileURL =
      server.url("record/{record}/files/{file}").absoluteString
      .removingPercentEncoding ?? ""
    catalog.hosts.zenodo.recordAPI =
      server.url("api/records/{record}").absoluteString.removingPercentEncoding ?? ""
    catalog.hosts.kaggle.downloadURL =
      server.url("api/v1/datasets/download/{dataset}").absoluteString.removingPercentEncoding ?? ""
    return catalog
  }

  static func zenodoJSON(_ files: [(String, Data, URL)]) throws -> Data {
    let list: [[String: Any]] = try files.map { name, data, url in
      [
        "key": name, "size": data.count, "checksum": "md5:" + (try digest(data, "md5")),
        "links": ["self": url.absoluteString],
      ]
    }
    return try JSONSerialization.data(withJSONObject: ["id": 4642005, "files": list])
  }

  @Test(
    "Zenodo: MD5 from the record API, lock file, extraction, and a second run that does nothing")
  func zenodo() throws {
    let server = try LoopbackHTTPServer()
    let dir = try TemporaryDirectory()
    let zip = try makeZip(
      [
        .file("L3DAS_Task2_dev/data/split4_ov1_1_A.wav", testBytes(10_000)),
        .file("L3DAS_Task2_dev/labels/label_split4_ov1_1.csv", Data("x\n".utf8)),
      ],
      in: dir.url, name: "build.zip")
    var route = LoopbackHTTPServer.Route(body: zip)
    route.dropAfterBytes = 1000
    route.drops = 1
    server.set("files/L3DAS_Task2_dev.zip", route)
    server.set(
      "api/records/4642005",
      .init(
        body: try Self.zenodoJSON([
          ("L3DAS_Task2_dev.zip", zip, server.url("files/L3DAS_Task2_dev.zip"))
        ])))
    let catalog = try Self.loopbackCatalog(server)
    let downloader = DatasetDownloader(catalog: catalog, fileDownloader: fastDownloader())
    let target = dir.path("data")
    let entries = try catalog.archives(matching: ["l3das21/task2-dev"])
    let outcomes = try downloader.run(entries, options: .init(directory: target))
    #expect(outcomes.map(\.status) == ["downloaded"])
    #expect(
      outcomes[0].md5Checked && outcomes[0].folders == ["L3DAS_Task2_dev"]
        && outcomes[0].extractedNow)
    #expect(
      tree(target) == [
        "L3DAS_Task2_dev", "L3DAS_Task2_dev/data", "L3DAS_Task2_dev/data/split4_ov1_1_A.wav",
        "L3DAS_Task2_dev/labels",
        "L3DAS_Task2_dev/labels/label_split4_ov1_1.csv", "archives", "archives/L3DAS_Task2_dev.zip",
        "l3das-lock.json",
      ])
    let lock = try DatasetLockStore(directory: target).current
    let record = try #require(lock.archives["L3DAS_Task2_dev.zip"])
    #expect(record.sha256 == (try digest(zip, "sha256")) && record.bytes == Int64(zip.count))
    #expect(record.md5 == (try digest(zip, "md5")) && record.extracted)

    // Second run: no request, nothing changes.
    let requestCount = server.requests.count
    let lockText = try Data(contentsOf: target.appendingPathComponent("l3das-lock.json"))
    let again = try downloader.run(entries, options: .init(directory: target))
    #expect(again.map(\.status) == ["present"] && !again[0].extractedNow)
    #expect(server.requests.count == requestCount)
    #expect(try Data(contentsOf: target.appendingPathComponent("l3das-lock.json")) == lockText)

    // A changed archive is caught against the lock file.
    var tampered = zip
    tampered[100] ^= 1
    try tampered.write(to: target.appendingPathComponent("archives/L3DAS_Task2_dev.zip"))
    var options = DatasetDownloader.Options(directory: target)
    options.recheck = true
    let error = #expect(throws: DownloadError.self) {
      try downloader.run(entries, options: options)
    }
    #expect(error?.code == .checksumMismatch)

    // Deleted and downloaded again, it must match the locked SHA-256: a server now serving
    // other bytes is refused.
    try FileManager.default.removeItem(
      at: target.appendingPathComponent("archives/L3DAS_Task2_dev.zip"))
    server.set("record/4642005/files/L3DAS_Task2_dev.zip", .init(body: tampered))
    server.set("api/records/4642005", .init(body: Data(), missing: true))
    let changed = #expect(throws: DownloadError.self) {
      try downloader.run(entries, options: .init(directory: target))
    }
    #expect(changed?.code == .checksumMismatch)
    #expect(
      !FileManager.default.fileExists(
        atPath: target.appendingPathComponent("archives/L3DAS_Task2_dev.zip").path))
  }

  @Test("Kaggle: basic authentication, doubly nested folders flattened; no token, no request")
  func kaggle() throws {
    let server = try LoopbackHTTPServer()
    let dir = try TemporaryDirectory()
    let zip = try makeZip(ArchiveExtractorTests.kaggleItems(), in: dir.url, name: "build.zip")
    let credentials = KaggleCredentials(username: "ann", key: "k3y")
    var route = LoopbackHTTPServer.Route(body: zip)
    route.authorization = credentials.authorizationHeader
    server.set("api/v1/datasets/download/l3dasteam/l3das22", route)
    let catalog = try Self.loopbackCatalog(server)
    let downloader = DatasetDownloader(catalog: catalog, fileDownloader: fastDownloader())
    let entries = try catalog.archives(matching: ["l3das22"])
    let target = dir.path("data")

    let missing = #expect(throws: DownloadError.self) {
      try downloader.run(entries, options: .init(directory: target))
    }
    #expect(missing?.code == .credentials)
    #expect(server.requests.isEmpty)

    var options = DatasetDownloader.Options(directory: target)
    options.kaggle = credentials
    let outcomes = try downloader.run(entries, options: options)
    #expect(outcomes[0].folders == ["L3DAS22_Task1_train360", "L3DAS22_Task2_dev"])
    #expect(outcomes[0].md5Checked == false)
    let layout = try DatasetLayout.discover(at: target)
    #expect(layout.splits.map(\.name) == ["L3DAS22_Task1_train360", "L3DAS22_Task2_dev"])
  }

  @Test("--from-archive and --mirror use a local archive or another server, with --jobs 2")
  func localAndMirror() throws {
    let server = try LoopbackHTTPServer()
    let dir = try TemporaryDirectory()
    let task1 = try makeZip(
      [.file("L3DAS_Task1_dev/data/1-1-1_A.wav", Data("1".utf8))], in: dir.url,
      name: "L3DAS_Task1_dev.zip")
    let task2 = try makeZip(
      [.file("L3DAS_Task2_dev/data/split4_ov1_1_A.wav", Data("2".utf8))], in: dir.url,
      name: "t2.zip")
    var slow = LoopbackHTTPServer.Route(body: task2)
    slow.failures = 1
    server.set("mirror/L3DAS_Task2_dev.zip", slow)
    let catalog = try DatasetCatalog.bundled()  // real hosts: must never be contacted
    let downloader = DatasetDownloader(catalog: catalog, fileDownloader: fastDownloader())
    var options = DatasetDownloader.Options(directory: dir.path("data"))
    options.localArchives = [dir.path("L3DAS_Task1_dev.zip")]
    options.mirror = server.url("mirror")
    options.jobs = 2
    let outcomes = try downloader.run(
      try catalog.archives(matching: ["l3das21/task1-dev", "l3das21/task2-dev"]), options: options)
    #expect(outcomes.map(\.status) == ["local", "downloaded"])
    #expect(outcomes.map(\.folders) == [["L3DAS_Task1_dev"], ["L3DAS_Task2_dev"]])
    #expect(
      server.requests.map(\.path) == ["/mirror/L3DAS_Task2_dev.zip", "/mirror/L3DAS_Task2_dev.zip"])
    // The local archive is used in place, not copied.
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: dir.path("data/archives").path) == [
        "L3DAS_Task2_dev.zip"
      ])
    #expect(
      try DatasetLockStore(directory: dir.path("data")).record("L3DAS_Task1_dev.zip")?.sha256
        == (try digest(task1, "sha256")))
  }

  @Test("the free-space check runs before any download when sizes are published")
  func spaceCheck() throws {
    let server = try LoopbackHTTPServer()
    let dir = try TemporaryDirectory()
    let body = testBytes(50_000)
    server.set("files/L3DAS_Task1_dev.zip", .init(body: body))
    server.set(
      "api/records/4642005",
      .init(
        body: try Self.zenodoJSON([
          ("L3DAS_Task1_dev.zip", body, server.url("files/L3DAS_Task1_dev.zip"))
        ])))
    let catalog = try Self.loopbackCatalog(server)
    let downloader = DatasetDownloader(
      catalog: catalog, fileDownloader: fastDownloader(freeBytes: { _ in 60_000 }))
    let error = #expect(throws: DownloadError.self) {
      try downloader.run(
        try catalog.archives(matching: ["l3das21/task1-dev"]),
        options: .init(directory: dir.path("data")))
    }
    #expect(error?.code == .insufficientSpace)
    #expect(server.requests.map(\.path) == ["/api/records/4642005"])
  }

  // MARK: - Only good archives enter the lock file

  /// A one-archive selection (`l3das21/task2-dev`) served by a loopback mirror.
  struct Mirror {
    let server: LoopbackHTTPServer
    let dir: TemporaryDirectory
    let catalog: DatasetCatalog
    let entries: [DatasetCatalog.Entry]
    var target: URL { dir.path("data") }
    var archive: URL { target.appendingPathComponent("archives/L3DAS_Task2_dev.zip") }

    init(serving body: Data? = nil) throws {
      server = try LoopbackHTTPServer()
      dir = try TemporaryDirectory()
      catalog = try DatasetDownloaderTests.loopbackCatalog(server)
      entries = try catalog.archives(matching: ["l3das21/task2-dev"])
      if let body { serve(body) }
    }

    func serve(_ body: Data) {
      server.set("mirror/L3DAS_Task2_dev.zip", .init(body: body))
    }

    func options(extract: Bool = true) -> DatasetDownloader.Options {
      var options = DatasetDownloader.Options(directory: target)
      options.mirror = server.url("mirror")
      options.extract = extract
      return options
    }

    func run(_ options: DatasetDownloader.Options) throws -> [DatasetDownloader.Outcome] {
      try DatasetDownloader(catalog: catalog, fileDownloader: fastDownloader()).run(
        entries, options: options)
    }

    func lockedSHA() throws -> String? {
      try DatasetLockStore(directory: target).record("L3DAS_Task2_dev.zip")?.sha256
    }

    /// A small, valid Task 2 dev archive.
    func goodZip() throws -> Data {
      try makeZip(
        [
          .file("L3DAS_Task2_dev/data/split4_ov1_1_A.wav", testBytes(20_000)),
          .file("L3DAS_Task2_dev/labels/label_split4_ov1_1.csv", Data("x\n".utf8)),
        ], in: dir.url, name: "good.zip")
    }
  }

  @Test("a download that is not a valid zip is deleted and never recorded; the right one follows")
  func truncatedDownloadNotLocked() throws {
    let mirror = try Mirror()
    let zip = try mirror.goodZip()
    // The server sends a consistent length, but only half of the archive.
    mirror.serve(zip.prefix(zip.count / 2))
    let error = #expect(throws: DownloadError.self) { try mirror.run(mirror.options()) }
    #expect(error?.code == .corruptArchive)
    #expect(error?.message.contains("nothing was recorded in l3das-lock.json") == true)
    #expect(try mirror.lockedSHA() == nil)
    #expect(!FileManager.default.fileExists(atPath: mirror.archive.path))

    mirror.serve(zip)
    let outcomes = try mirror.run(mirror.options())
    #expect(outcomes.map(\.status) == ["downloaded"] && outcomes[0].folders == ["L3DAS_Task2_dev"])
    #expect(try mirror.lockedSHA() == (try digest(zip, "sha256")))
  }

  @Test("an HTML page served with 200 is named as such and never recorded")
  func htmlPageNotLocked() throws {
    let mirror = try Mirror(
      serving: Data("<!DOCTYPE html><html><body>Please sign in</body></html>".utf8))
    let error = #expect(throws: DownloadError.self) { try mirror.run(mirror.options()) }
    #expect(error?.code == .corruptArchive)
    #expect(error?.message.contains("an HTML page") == true, "\(String(describing: error))")
    #expect(try mirror.lockedSHA() == nil)
    #expect(tree(mirror.target.appendingPathComponent("archives")).isEmpty)
  }

  @Test("--from-archive of an HTML page is refused and never recorded")
  func localHTMLNotLocked() throws {
    let mirror = try Mirror()
    let page = mirror.dir.path("l3das.zip")
    try Data("<html><title>Error 403</title></html>".utf8).write(to: page)
    var options = mirror.options()
    options.localArchives = [page]
    let error = #expect(throws: DownloadError.self) { try mirror.run(options) }
    #expect(error?.code == .corruptArchive && error?.path == page.path)
    #expect(error?.message.contains("an HTML page") == true, "\(String(describing: error))")
    #expect(try mirror.lockedSHA() == nil)
    #expect(FileManager.default.fileExists(atPath: page.path))
  }

  @Test("without extraction, an archive is recorded only after every entry passed its CRC-32")
  func noExtractChecksEntries() throws {
    let mirror = try Mirror()
    let name = "L3DAS_Task2_dev/data/a.wav"
    var zip = try makeZip([.stored(name, testBytes(5000))], in: mirror.dir.url, name: "bad.zip")
    zip[30 + name.utf8.count + 100] ^= 0xFF
    mirror.serve(zip)
    let error = #expect(throws: DownloadError.self) { try mirror.run(mirror.options(extract: false)) }
    #expect(error?.code == .corruptArchive && error?.message.contains("CRC-32") == true)
    #expect(try mirror.lockedSHA() == nil)

    let good = try mirror.goodZip()
    mirror.serve(good)
    let outcomes = try mirror.run(mirror.options(extract: false))
    #expect(outcomes[0].folders.isEmpty && !outcomes[0].extractedNow)
    #expect(try mirror.lockedSHA() == (try digest(good, "sha256")))
  }

  @Test("an archive recorded without checks by an earlier version says how to recover")
  func legacyPoisonedLock() throws {
    let mirror = try Mirror()
    let page = Data("<!DOCTYPE html><html>login</html>".utf8)
    try FileManager.default.createDirectory(
      at: mirror.archive.deletingLastPathComponent(), withIntermediateDirectories: true)
    try page.write(to: mirror.archive)
    let store = try DatasetLockStore(directory: mirror.target)
    let sha256 = try digest(page, "sha256")
    try store.update("L3DAS_Task2_dev.zip") {
      $0 = .init(
        catalogName: "l3das21/task2-dev", sha256: sha256,
        bytes: Int64(page.count), md5: nil, source: "https://example.invalid", recorded: "then")
    }
    let error = #expect(throws: DownloadError.self) { try mirror.run(mirror.options()) }
    #expect(error?.code == .corruptArchive)
    let message = error?.message ?? ""
    #expect(message.contains("an HTML page"), "\(message)")
    #expect(message.contains("--relock"), "\(message)")
    #expect(message.contains("\"L3DAS_Task2_dev.zip\""), "\(message)")
    #expect(message.contains(mirror.target.appendingPathComponent("l3das-lock.json").path))
  }

  @Test("--from-archive takes a folder of archives, matched by name")
  func localFolder() throws {
    let server = try LoopbackHTTPServer()  // no routes: any request would fail the run
    let dir = try TemporaryDirectory()
    let folder = dir.path("downloads")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try makeZip(
      [.file("L3DAS_Task1_dev/data/1-1-1_A.wav", Data("1".utf8))], in: folder,
      name: "L3DAS_Task1_dev.zip")
    try makeZip(
      [.file("L3DAS_Task2_dev/data/split4_ov1_1_A.wav", Data("2".utf8))], in: folder,
      name: "L3DAS_Task2_dev.zip")
    try Data("notes".utf8).write(to: folder.appendingPathComponent("README.txt"))
    let catalog = try Self.loopbackCatalog(server)
    let downloader = DatasetDownloader(catalog: catalog, fileDownloader: fastDownloader())
    var options = DatasetDownloader.Options(directory: dir.path("data"))
    options.localArchives = [folder]
    let outcomes = try downloader.run(
      try catalog.archives(matching: ["l3das21/task1-dev", "l3das21/task2-dev"]), options: options)
    #expect(outcomes.map(\.status) == ["local", "local"])
    #expect(outcomes.map(\.folders) == [["L3DAS_Task1_dev"], ["L3DAS_Task2_dev"]])
    #expect(server.requests.isEmpty)

    // A folder holding none of the selected archives is a mistake worth naming.
    options.localArchives = [dir.path("data/L3DAS_Task1_dev")]
    let error = #expect(throws: DownloadError.self) {
      try downloader.run(try catalog.archives(matching: ["l3das21/task2-dev"]), options: options)
    }
    #expect(error?.message.contains("is a folder holding none of the selected archives") == true)
    #expect(error?.path == dir.path("data/L3DAS_Task1_dev").path)
  }

  @Test("a file:// mirror is a local folder, copied and checked like a download")
  func fileMirror() throws {
    let dir = try TemporaryDirectory()
    let folder = dir.path("mirror")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let zip = try makeZip(
      [.file("L3DAS_Task2_dev/data/split4_ov1_1_A.wav", Data("2".utf8))], in: folder,
      name: "L3DAS_Task2_dev.zip")
    let catalog = try DatasetCatalog.bundled()  // real hosts: must never be contacted
    let downloader = DatasetDownloader(catalog: catalog, fileDownloader: fastDownloader())
    var options = DatasetDownloader.Options(directory: dir.path("data"))
    options.mirror = folder
    let outcomes = try downloader.run(
      try catalog.archives(matching: ["l3das21/task2-dev"]), options: options)
    #expect(outcomes.map(\.status) == ["downloaded"])
    #expect(outcomes[0].folders == ["L3DAS_Task2_dev"])
    #expect(try Data(contentsOf: dir.path("data/archives/L3DAS_Task2_dev.zip")) == zip)
    #expect(try Data(contentsOf: folder.appendingPathComponent("L3DAS_Task2_dev.zip")) == zip)

    // A mirror folder without the archive names the missing file.
    let error = #expect(throws: DownloadError.self) {
      try downloader.run(try catalog.archives(matching: ["l3das21/task1-dev"]), options: options)
    }
    #expect(error?.path == folder.appendingPathComponent("L3DAS_Task1_dev.zip").path)
  }

  @Test("a --dir that is a file, or cannot be created, is named with the reason and the fix")
  func unusableDirectory() throws {
    let dir = try TemporaryDirectory()
    let catalog = try DatasetCatalog.bundled()
    let downloader = DatasetDownloader(catalog: catalog, fileDownloader: fastDownloader())
    let entries = try catalog.archives(matching: ["l3das21/task2-dev"])
    let file = dir.path("file")
    try Data("x".utf8).write(to: file)
    for (target, expected) in [
      (file, "is a file, not a folder"),
      (file.appendingPathComponent("data"), "is a file, not a folder"),
      // sysfs refuses new folders even to root: an unwritable place on any Linux machine.
      (URL(fileURLWithPath: "/sys/l3das-download-test"), "cannot create the dataset folder"),
    ] {
      var options = DatasetDownloader.Options(directory: target)
      options.mirror = URL(string: "http://127.0.0.1:9/")
      let error = #expect(throws: DownloadError.self) { try downloader.run(entries, options: options) }
      #expect(error?.code == .fileSystem)
      #expect(error?.path == target.path)
      #expect(error?.message.contains(expected) == true, "\(String(describing: error))")
      #expect(error?.description.contains("NSCocoaErrorDomain") == false)
    }
    #expect(try dir.entries() == ["file"])
  }

  @Test(
    "file-system errors are put in plain words",
    arguments: [
      (CocoaError(.fileWriteVolumeReadOnly) as any Error, "the file system is read-only"),
      (CocoaError(.fileWriteFileExists), "something already exists there"),
      (CocoaError(.fileWriteNoPermission), "permission denied"),
      (POSIXError(.ENOSPC), "no space left on the device"),
      (
        NSError(
          domain: NSCocoaErrorDomain, code: 512,
          userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOTDIR))]),
        "a part of the path is a file, not a folder"
      ),
    ] as [(any Error, String)])
  func plainWords(error: any Error, expected: String) {
    #expect(FileSystemReason.describe(error) == expected)
  }

  @Test("a lock file that is not valid JSON is named, with what it holds and how to recover")
  func brokenLockFile() throws {
    let mirror = try Mirror()
    try FileManager.default.createDirectory(at: mirror.target, withIntermediateDirectories: true)
    let lock = mirror.target.appendingPathComponent("l3das-lock.json")
    try Data("{\"version\": 1, \"archives\": {".utf8).write(to: lock)
    let error = #expect(throws: DownloadError.self) { try mirror.run(mirror.options()) }
    #expect(error?.code == .fileSystem && error?.path == lock.path)
    #expect(error?.message.hasPrefix("is not a valid lock file (not valid JSON") == true)
    #expect(error?.message.contains("move it away and run again") == true)
    #expect(mirror.server.requests.isEmpty)
  }
}
