import Foundation
import Testing
import _TestSupport

@testable import DatasetDownload

@Suite("Lock records: what gets recorded, and replacing a wrong one")
struct LockRecoveryTests {
  typealias Mirror = DatasetDownloaderTests.Mirror

  @Test("a record of a bad download makes the right archive fail until --relock replaces it")
  func relock() throws {
    let mirror = try Mirror()
    let page = Data("<!DOCTYPE html><html>login</html>".utf8)
    let sha256 = try digest(page, "sha256")
    try FileManager.default.createDirectory(at: mirror.target, withIntermediateDirectories: true)
    try DatasetLockStore(directory: mirror.target).update("L3DAS_Task2_dev.zip") {
      $0 = .init(
        catalogName: "l3das21/task2-dev", sha256: sha256, bytes: Int64(page.count), md5: nil,
        source: "https://example.invalid", recorded: "then")
    }
    let zip = try mirror.goodZip()
    mirror.serve(zip)
    let error = #expect(throws: DownloadError.self) { try mirror.run(mirror.options()) }
    #expect(error?.code == .checksumMismatch)
    let message = error?.message ?? ""
    #expect(message.contains("run again with --relock"), "\(message)")
    #expect(
      message.contains(
        "delete the entry \"L3DAS_Task2_dev.zip\" under \"archives\" in "
          + mirror.target.appendingPathComponent("l3das-lock.json").path), "\(message)")

    var options = mirror.options()
    options.relock = true
    let outcomes = try mirror.run(options)
    #expect(outcomes.map(\.status) == ["downloaded"] && outcomes[0].folders == ["L3DAS_Task2_dev"])
    let record = try #require(
      try DatasetLockStore(directory: mirror.target).record("L3DAS_Task2_dev.zip"))
    #expect(record.sha256 == (try digest(zip, "sha256")) && record.extracted)
    // And the next run, without --relock, is content.
    #expect(try mirror.run(mirror.options()).map(\.status) == ["present"])
  }

  @Test("--relock of an extracted archive checks every entry again before recording it")
  func relockExtracted() throws {
    let mirror = try Mirror()
    let zip = try mirror.goodZip()
    mirror.serve(zip)
    _ = try mirror.run(mirror.options())
    let store = try DatasetLockStore(directory: mirror.target)
    try store.update("L3DAS_Task2_dev.zip") { $0?.sha256 = String(repeating: "0", count: 64) }
    var options = mirror.options()
    options.relock = true
    let outcomes = try mirror.run(options)
    #expect(outcomes.map(\.status) == ["present"] && !outcomes[0].extractedNow)
    let record = try #require(
      try DatasetLockStore(directory: mirror.target).record("L3DAS_Task2_dev.zip"))
    #expect(record.sha256 == (try digest(zip, "sha256")))
    #expect(record.extracted && record.extractedFolders == ["L3DAS_Task2_dev"])
  }

  @Test("check reads every entry and writes nothing")
  func checkWritesNothing() throws {
    let dir = try TemporaryDirectory()
    let name = "L3DAS_Task2_dev/data/a.wav"
    var zip = try makeZip([.stored(name, testBytes(3000))], in: dir.url, name: "a.zip")
    try ArchiveExtractor().check(dir.path("a.zip"))
    zip[30 + name.utf8.count + 10] ^= 1
    try zip.write(to: dir.path("a.zip"))
    let error = #expect(throws: DownloadError.self) { try ArchiveExtractor().check(dir.path("a.zip")) }
    #expect(error?.code == .corruptArchive)
    #expect(try dir.entries() == ["a.zip"])
  }

  @Test("the expansion limit is configurable, and nil lifts it")
  func expansionLimit() throws {
    let dir = try TemporaryDirectory()
    try makeZip(
      [.file("L3DAS_Task2_dev/data/a.wav", Data(count: 100_000))], in: dir.url, name: "z.zip")
    var strict = ArchiveExtractor(maxExpansionRatio: 2)
    strict.expansionAllowanceBytes = 0
    let error = #expect(throws: DownloadError.self) { try strict.check(dir.path("z.zip")) }
    #expect(error?.code == .unsafeArchive && error?.message.contains("2:1 allowed") == true)
    var open = ArchiveExtractor(maxExpansionRatio: nil)
    open.expansionAllowanceBytes = 0
    try open.check(dir.path("z.zip"))
  }
}
