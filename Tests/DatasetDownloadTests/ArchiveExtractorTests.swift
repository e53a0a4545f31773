import Datasets
import Foundation
import L3DASCore
import Testing
import _TestSupport

@testable import DatasetDownload

@Suite("ArchiveExtractor: safe extraction and Kaggle normalisation")
struct ArchiveExtractorTests {
  /// A Kaggle-shaped L3DAS22 archive: a wrapper folder, doubly nested splits, train360 in two
  /// parts each with an info.csv.
  static func kaggleItems() -> [ZipItem] {
    var items: [ZipItem] = []
    for name in ["L3DAS22_Task2_dev", "L3DAS22_Task1_train360_1", "L3DAS22_Task1_train360_2"] {
      items.append(.directory("l3das22/\(name)/\(name)/data/"))
    }
    items += [
      .file("l3das22/L3DAS22_Task2_dev/L3DAS22_Task2_dev/data/split4_ov1_1_A.wav", Data("a".utf8)),
      .file(
        "l3das22/L3DAS22_Task2_dev/L3DAS22_Task2_dev/labels/label_split4_ov1_1.csv",
        Data("h\n".utf8)),
      .file(
        "l3das22/L3DAS22_Task1_train360_1/L3DAS22_Task1_train360_1/data/1-1-1_A.wav", Data("1".utf8)
      ),
      .file(
        "l3das22/L3DAS22_Task1_train360_1/L3DAS22_Task1_train360_1/labels/1-1-1.txt",
        Data("ONE".utf8)),
      .file(
        "l3das22/L3DAS22_Task1_train360_1/L3DAS22_Task1_train360_1/info.csv",
        Data("id,len\n1-1-1,3\n".utf8)),
      .file(
        "l3das22/L3DAS22_Task1_train360_2/L3DAS22_Task1_train360_2/data/2-2-2_A.wav", Data("2".utf8)
      ),
      .file(
        "l3das22/L3DAS22_Task1_train360_2/L3DAS22_Task1_train360_2/labels/2-2-2.txt",
        Data("TWO".utf8)),
      .file(
        "l3das22/L3DAS22_Task1_train360_2/L3DAS22_Task1_train360_2/info.csv",
        Data("id,len\r\n1-1-1,3\r\n2-2-2,4\r\n".utf8)),
      .file("__MACOSX/._junk", Data("x".utf8)),
    ]
    return items
  }

  @Test("L3DAS23: Kaggle names renamed, train360 parts merged with their headerless audio_image.csv as a union of rows, the images folder kept")
  func l3das23() throws {
    let dir = try TemporaryDirectory()
    let target = dir.path("data")
    try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
    let one = "L3DAS23_Task1_train_360_part1"
    let two = "L3DAS23_Task1_train_360_part2"
    let items: [ZipItem] = [
      .file("\(one)/\(one)/data/1-1-1_A.wav", Data("1".utf8)),
      .file("\(one)/\(one)/audio_image.csv", Data("1-1-1,house_3.png\n0-0-0,house_1.png\n".utf8)),
      .file("\(two)/\(two)/data/2-2-2_A.wav", Data("2".utf8)),
      // No header in either part: the first rows differ, which a header-aware merge refuses.
      .file("\(two)/\(two)/audio_image.csv", Data("2-2-2,house_9.png\r\n0-0-0,house_1.png\r\n".utf8)),
      .file("L3DAS23_Task1_images/L3DAS23_Task1_images/house_1.png", Data("png".utf8)),
    ]
    try makeZip(items, in: dir.url, name: "l3das23-task1.zip")
    let catalog = try DatasetCatalog.bundled()
    let renames = try #require(catalog.datasets.first { $0.name == "l3das23" }?.folderRenames)
    var extractor = ArchiveExtractor()
    extractor.folderRenames = renames
    let names = try extractor.extract(dir.path("l3das23-task1.zip"), into: target) { _ in }
    #expect(names == ["L3DAS23_Task1_images", "L3DAS23_Task1_train360"])
    let pairs = try String(
      contentsOf: target.appendingPathComponent("L3DAS23_Task1_train360/audio_image.csv"), encoding: .utf8)
    #expect(pairs == "1-1-1,house_3.png\n0-0-0,house_1.png\n2-2-2,house_9.png\n")
    #expect(FileManager.default.fileExists(atPath: target.appendingPathComponent("L3DAS23_Task1_images/house_1.png").path))
    #expect(SplitFolderName("L3DAS23_Task1_images") == nil, "an asset, not a split")
  }

  @Test("Kaggle nesting is flattened and train360 parts are merged (data, labels, info.csv)")
  func normalises() throws {
    let dir = try TemporaryDirectory()
    let target = dir.path("data")
    try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
    try makeZip(Self.kaggleItems(), in: dir.url, name: "l3das22.zip")
    var placed: [String] = []
    let names = try ArchiveExtractor().extract(dir.path("l3das22.zip"), into: target) {
      placed.append($0)
    }
    #expect(names == ["L3DAS22_Task1_train360", "L3DAS22_Task2_dev"])
    #expect(placed == names)
    #expect(
      tree(target) == [
        "L3DAS22_Task1_train360", "L3DAS22_Task1_train360/data",
        "L3DAS22_Task1_train360/data/1-1-1_A.wav",
        "L3DAS22_Task1_train360/data/2-2-2_A.wav", "L3DAS22_Task1_train360/info.csv",
        "L3DAS22_Task1_train360/labels", "L3DAS22_Task1_train360/labels/1-1-1.txt",
        "L3DAS22_Task1_train360/labels/2-2-2.txt", "L3DAS22_Task2_dev", "L3DAS22_Task2_dev/data",
        "L3DAS22_Task2_dev/data/split4_ov1_1_A.wav", "L3DAS22_Task2_dev/labels",
        "L3DAS22_Task2_dev/labels/label_split4_ov1_1.csv",
      ])
    let info = try String(
      contentsOf: target.appendingPathComponent("L3DAS22_Task1_train360/info.csv"), encoding: .utf8)
    #expect(info == "id,len\n1-1-1,3\n2-2-2,4\n")
    // The loaders see one train360 split with one root.
    let layout = try DatasetLayout.discover(at: target)
    let train360 = try #require(layout.location(of: .train360, task: .speechEnhancement))
    #expect(train360.roots.map(\.lastPathComponent) == ["L3DAS22_Task1_train360"])

    // Idempotent: a second run with what was placed changes nothing.
    let before = tree(target)
    try ArchiveExtractor().extract(dir.path("l3das22.zip"), into: target, alreadyPlaced: Set(names))
    { _ in
      Issue.record("nothing should be placed twice")
    }
    #expect(tree(target) == before)
    // A folder that exists but was not placed by us is a conflict, and nothing is touched.
    let conflict = #expect(throws: DownloadError.self) {
      try ArchiveExtractor().extract(dir.path("l3das22.zip"), into: target)
    }
    #expect(conflict?.code == .conflict)
    #expect(tree(target) == before)
  }

  @Test("L3DAS23 folder renames come from the catalog")
  func renames() throws {
    let dir = try TemporaryDirectory()
    try makeZip(
      [
        .file("L3DAS23_Task1_train_100/L3DAS23_Task1_train_100/data/1-1-1_A.wav", Data("1".utf8)),
        .file(
          "L3DAS23_Task1_train_360_part1/L3DAS23_Task1_train_360_part1/data/1-1-2_A.wav",
          Data("1".utf8)),
        .file(
          "L3DAS23_Task1_train_360_part1/L3DAS23_Task1_train_360_part1/info.csv",
          Data("id\n1-1-2\n3-3-3\n".utf8)),
        .file(
          "L3DAS23_Task1_train_360_part2/L3DAS23_Task1_train_360_part2/data/3-3-3_A.wav",
          Data("1".utf8)),
      ], in: dir.url, name: "l3das23-task1.zip")
    let catalog = try DatasetCatalog.bundled()
    let renames = try #require(catalog.datasets.first { $0.name == "l3das23" }?.folderRenames)
    let target = dir.path("out")
    try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
    let names = try ArchiveExtractor(folderRenames: renames).extract(
      dir.path("l3das23-task1.zip"), into: target)
    #expect(names == ["L3DAS23_Task1_train100", "L3DAS23_Task1_train360"])
    #expect(
      tree(target.appendingPathComponent("L3DAS23_Task1_train360")) == [
        "data", "data/1-1-2_A.wav", "data/3-3-3_A.wav", "info.csv",
      ])
  }

  @Test(
    "archives with unsafe entries are refused before anything is written",
    arguments: [
      (
        "dotdot",
        [
          ZipItem.file("L3DAS_Task2_dev/data/x.wav", Data("ok".utf8)),
          .file("../evil", Data("evil".utf8)),
        ]
      ),
      ("nested-dotdot", [.file("L3DAS_Task2_dev/../../evil", Data("evil".utf8))]),
      ("absolute", [.file("/tmp/l3das-absolute-evil-entry", Data("evil".utf8))]),
      (
        "symlink",
        [
          .symlink("L3DAS_Task2_dev/link", target: "../../../etc"),
          .file("L3DAS_Task2_dev/link/passwd", Data("x".utf8)),
        ]
      ),
    ] as [(String, [ZipItem])])
  func unsafe(name: String, items: [ZipItem]) throws {
    let dir = try TemporaryDirectory()
    let target = dir.path("a/b/target")
    try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
    try makeZip(items, in: dir.url, name: "evil.zip")
    let before = tree(dir.url)
    let error = #expect(throws: DownloadError.self) {
      try ArchiveExtractor().extract(dir.path("evil.zip"), into: target)
    }
    #expect(error?.code == .unsafeArchive, "\(name)")
    #expect(tree(dir.url) == before, "\(name)")
    #expect(!FileManager.default.fileExists(atPath: "/tmp/l3das-absolute-evil-entry"))
  }

  @Test("a truncated archive is reported and leaves the target as it was")
  func truncated() throws {
    let dir = try TemporaryDirectory()
    let target = dir.path("target")
    try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
    let zip = try makeZip(
      [
        .file("L3DAS_Task2_dev/data/a.wav", testBytes(200_000)),
        .file("L3DAS_Task2_dev/data/b.wav", testBytes(200_000, seed: 2)),
      ],
      in: dir.url)
    for cut in [zip.count / 2, zip.count - 30] {
      try zip.prefix(cut).write(to: dir.path("cut.zip"))
      let error = #expect(throws: DownloadError.self) {
        try ArchiveExtractor().extract(dir.path("cut.zip"), into: target)
      }
      #expect(error?.code == .corruptArchive)
      #expect(tree(target).isEmpty)
    }
  }

  @Test("a corrupted entry fails its CRC-32 and nothing is placed")
  func badCRC() throws {
    let dir = try TemporaryDirectory()
    let target = dir.path("target")
    try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
    let payload = Data(repeating: 0x41, count: 5000)
    let url = dir.path("stored.zip")
    var zip = try makeZip(
      [.file("L3DAS_Task2_dev/data/a.wav", payload)], in: dir.url, name: "stored.zip")
    // Flip a byte of the compressed data (just after the 30-byte header and the name).
    zip[30 + "L3DAS_Task2_dev/data/a.wav".utf8.count + 2] ^= 0xFF
    try zip.write(to: url)
    let error = #expect(throws: DownloadError.self) {
      try ArchiveExtractor().extract(url, into: target)
    }
    #expect(error?.code == .corruptArchive)
    #expect(tree(target).isEmpty)
  }

  /// Extracts the archive `bytes` and expects it refused with `code`, with `expected` in the
  /// message, the archive's path as the error's path, and nothing left in the target.
  static func expectRefused(
    _ bytes: Data, _ code: DownloadError.Code, saying expected: String,
    by extractor: ArchiveExtractor = ArchiveExtractor(),
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let dir = try TemporaryDirectory()
    let target = dir.path("target")
    try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
    let archive = dir.path("archive.zip")
    try bytes.write(to: archive)
    let error = #expect(throws: DownloadError.self, sourceLocation: sourceLocation) {
      try extractor.extract(archive, into: target)
    }
    #expect(error?.code == code, sourceLocation: sourceLocation)
    #expect(error?.path == archive.path, sourceLocation: sourceLocation)
    #expect(
      error?.message.contains(expected) == true, "\(String(describing: error))",
      sourceLocation: sourceLocation)
    #expect(tree(target).isEmpty, sourceLocation: sourceLocation)
  }

  @Test("an entry that inflates beyond its declared size is stopped, naming archive and entry")
  func lyingEntry() throws {
    let dir = try TemporaryDirectory()
    // 4 MiB of zeros deflate to a few KiB; the headers are patched to declare 1000 bytes.
    var zip = try makeZip(
      [
        .file("L3DAS_Task2_dev/data/a.wav", Data("fine".utf8)),
        .file("L3DAS_Task2_dev/data/bomb.wav", Data(count: 4 << 20)),
      ], in: dir.url)
    patchZipEntry(&zip, name: "L3DAS_Task2_dev/data/bomb.wav", uncompressedSize: 1000)
    try Self.expectRefused(
      zip, .unsafeArchive,
      saying: "'L3DAS_Task2_dev/data/bomb.wav' inflates to more than the 1000 bytes",
      by: ArchiveExtractor(freeBytes: { _ in 10_000 }))
  }

  @Test("an archive whose entries declare more than 200 times its size is refused up front")
  func expansionRatio() throws {
    let dir = try TemporaryDirectory()
    let silence = [ZipItem.file("L3DAS_Task2_dev/data/a.wav", Data(count: 1 << 20))]
    var zip = try makeZip(silence, in: dir.url)
    patchZipEntry(&zip, name: "L3DAS_Task2_dev/data/a.wav", uncompressedSize: 100 << 20)
    try Self.expectRefused(
      zip, .unsafeArchive,
      saying: "more than the 200:1 allowed (a zip bomb?); if you trust the archive, allow more "
        + "with --max-expansion-ratio")

    // The same megabyte of silence, declared honestly, is far below the 64 MiB allowance.
    let target = dir.path("target")
    try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
    try makeZip(silence, in: dir.url, name: "ok.zip")
    try ArchiveExtractor().extract(dir.path("ok.zip"), into: target)
    #expect(tree(target) == ["L3DAS_Task2_dev", "L3DAS_Task2_dev/data", "L3DAS_Task2_dev/data/a.wav"])
  }

  @Test("an encrypted entry refuses the archive, naming the entry")
  func encrypted() throws {
    let dir = try TemporaryDirectory()
    var zip = try makeZip(
      [
        .file("L3DAS_Task2_dev/data/a.wav", Data("a".utf8)),
        .file("L3DAS_Task2_dev/data/secret.wav", Data("s".utf8)),
      ], in: dir.url)
    patchZipEntry(&zip, name: "L3DAS_Task2_dev/data/secret.wav", addFlags: 1)
    try Self.expectRefused(
      zip, .unsafeArchive, saying: "'L3DAS_Task2_dev/data/secret.wav' is encrypted")
  }

  @Test(
    "an entry name that appears twice, or is both a file and a folder, refuses the archive",
    arguments: [
      (
        [
          ZipItem.file("L3DAS_Task2_dev/data/a.wav", Data("first".utf8)),
          .file("L3DAS_Task2_dev/data/a.wav", Data("second".utf8)),
        ], "'L3DAS_Task2_dev/data/a.wav' appears twice"
      ),
      (
        [
          ZipItem.file("L3DAS_Task2_dev/data", Data("file".utf8)),
          .file("L3DAS_Task2_dev/data/a.wav", Data("a".utf8)),
        ], "'L3DAS_Task2_dev/data' is both a file and a folder"
      ),
    ] as [([ZipItem], String)])
  func nameClash(items: [ZipItem], expected: String) throws {
    let dir = try TemporaryDirectory()
    try Self.expectRefused(try makeZip(items, in: dir.url), .unsafeArchive, saying: expected)
  }

  @Test("a stored entry whose bytes changed fails its CRC-32; one shorter than declared fails too")
  func damagedEntries() throws {
    let dir = try TemporaryDirectory()
    let name = "L3DAS_Task2_dev/data/a.wav"
    var stored = try makeZip([.stored(name, testBytes(5000))], in: dir.url)
    stored[30 + name.utf8.count + 2500] ^= 0xFF
    try Self.expectRefused(stored, .corruptArchive, saying: "'\(name)' fails its CRC-32 check")
    var short = try makeZip([.file(name, testBytes(5000))], in: dir.url)
    patchZipEntry(&short, name: name, uncompressedSize: 6000)
    try Self.expectRefused(short, .corruptArchive, saying: "holds 5000 bytes, but declares 6000")
  }

  @Test(
    "a file that is not a zip archive is named for what it is",
    arguments: [
      ("<!DOCTYPE html>\n<html><head><title>Sign in</title></head></html>", "is an HTML page"),
      ("<?xml version='1.0'?><Error><Code>AccessDenied</Code></Error>", "is an XML document"),
      ("{\"message\": \"Unauthorized\"}", "is a JSON document"),
      ("", "is an empty file, not a zip archive"),
    ])
  func notAZip(content: String, expected: String) throws {
    try Self.expectRefused(Data(content.utf8), .corruptArchive, saying: expected)
  }

  @Test("a ZIP64 archive (written by Python's zipfile with force_zip64) is extracted")
  func zip64() throws {
    let dir = try TemporaryDirectory()
    let base64 =
      "UEsDBC0AAAAIAAAAIQANqFIo//////////8eABQATDNEQVNfVGFzazJfZGV2L2RhdGEvemlwNjQudHh0AQAQAAwAAAAAAAAADgAAAAAAAACryiwwM1FIzSspquQCAFBLAQItAy0AAAAIAAAAIQANqFIoDgAAAAwAAAAeAAAAAAAAAAAAAACAAQAAAABMM0RBU19UYXNrMl9kZXYvZGF0YS96aXA2NC50eHRQSwUGAAAAAAEAAQBMAAAAXgAAAAAA"
    try #require(Data(base64Encoded: base64)).write(to: dir.path("zip64.zip"))
    let target = dir.path("target")
    try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
    try ArchiveExtractor().extract(dir.path("zip64.zip"), into: target)
    #expect(
      try String(
        contentsOf: target.appendingPathComponent("L3DAS_Task2_dev/data/zip64.txt"), encoding: .utf8
      )
        == "zip64 entry\n")
  }

  @Test(
    "entry paths are judged safe or unsafe",
    arguments: [
      ("L3DAS_Task1_dev/data/a.wav", false, true), ("a/../b", false, false), ("..", false, false),
      ("/etc/passwd", false, false), ("a\\..\\b", false, false), ("C:/x", false, false),
      ("a/b", true, false), ("a/..b/c", false, true),
    ])
  func safety(path: String, isSymlink: Bool, safe: Bool) {
    #expect((ArchivePath.unsafeReason(path: path, isSymlink: isSymlink) == nil) == safe)
  }
}
