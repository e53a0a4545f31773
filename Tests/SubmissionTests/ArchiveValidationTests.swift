import Datasets
import Foundation
import NumPyIO
import Submission
import Testing
import ZIPFoundation
import _TestSupport

/// Writes a zip with the given entries (`nil` data: a directory; `symlink`: a link to "x").
func makeZip(
  _ url: URL, _ entries: [(path: String, data: Data?)], symlinks: [String] = [],
  compression: CompressionMethod = .deflate
) throws {
  let archive = try Archive(url: url, accessMode: .create)
  for (path, data) in entries {
    if let data {
      try archive.addEntry(
        with: path, type: .file, uncompressedSize: Int64(data.count),
        compressionMethod: compression
      ) { position, size in data.subdata(in: Int(position)..<Int(position) + size) }
    } else {
      try archive.addEntry(with: path, type: .directory, uncompressedSize: Int64(0)) { _, _ in Data() }
    }
  }
  for path in symlinks {
    let target = Data("../../etc/passwd".utf8)
    try archive.addEntry(with: path, type: .symlink, uncompressedSize: Int64(target.count)) {
      position, size in target.subdata(in: Int(position)..<Int(position) + size)
    }
  }
}

@Suite("Zipped submissions")
struct ArchiveValidationTests {
  let length = 800

  func fixture() throws -> ValidationFixture {
    try ValidationFixture(items: ["1-2-0000": length, "1-2-0001": length], sampleRate: 16_000)
  }

  func estimate() -> Data {
    NumPyFile.encode((0..<length).map { Float($0 % 50) / 100 }, shape: [length])
  }

  @Test("a zip is validated in place, flat or with one top folder; macOS metadata is ignored")
  func valid() throws {
    let f = try fixture()
    let flat = f.directory.path("flat.zip")
    try makeZip(flat, [("1-2-0000.npy", estimate()), ("1-2-0001.npy", estimate())])
    var report = try f.validate(task: .speechEnhancement, submission: flat)
    #expect(report.isValid, "\(report.text)")
    #expect(report.validItemCount == 2)

    let nested = f.directory.path("nested.zip")
    try makeZip(
      nested,
      [
        ("team/", nil), ("team/1-2-0000.npy", estimate()), ("team/1-2-0001.npy", estimate()),
        ("__MACOSX/team/._1-2-0000.npy", Data([0, 1])), ("team/.DS_Store", Data([1])),
      ])
    report = try f.validate(task: .speechEnhancement, submission: nested)
    #expect(report.isValid, "\(report.text)")
    #expect(report.problems.isEmpty)
    // Nothing was extracted next to the archive.
    #expect(try f.directory.entries().sorted() == ["flat.zip", "nested.zip", "submission", "test"])
  }

  @Test("absolute paths, '..', backslashes and symbolic links are refused and never read")
  func hostile() throws {
    let f = try fixture()
    let zip = f.directory.path("hostile.zip")
    try makeZip(
      zip,
      [
        ("1-2-0000.npy", estimate()), ("/etc/1-2-0001.npy", estimate()),
        ("../1-2-0001.npy", estimate()), ("a/../../evil.npy", estimate()),
        ("..\\win.npy", estimate()), ("C:/x.npy", estimate()),
      ], symlinks: ["1-2-0001.npy"], compression: .none)
    let report = try f.validate(task: .speechEnhancement, submission: zip)
    #expect(!report.isValid)
    let refused = report.problems(.unsafeArchiveEntry)
    #expect(refused.count == 6, "\(report.text)")
    #expect(refused.contains { $0.message.contains("symbolic link") })
    #expect(refused.contains { $0.message.contains("absolute path") })
    #expect(refused.contains { $0.message.contains("'..'") })
    #expect(refused.contains { $0.message.contains("backslash") })
    #expect(refused.contains { $0.message.contains("drive letter") })
    // The refused entries do not count as answers.
    #expect(report.problems(.missingItem).map(\.file) == ["1-2-0001.npy"])
  }

  @Test("a corrupt archive or entry is a problem in the report")
  func corrupt() throws {
    let f = try fixture()
    let garbage = f.directory.path("garbage.zip")
    try Data("PK\u{3}\u{4} this is not really a zip".utf8).write(to: garbage)
    var report = try f.validate(task: .speechEnhancement, submission: garbage)
    #expect(report.kinds.first == .unreadableSubmission)

    // Flip bytes inside a stored entry's data: the CRC-32 check catches it.
    let zip = f.directory.path("crc.zip")
    try makeZip(zip, [("1-2-0000.npy", estimate()), ("1-2-0001.npy", estimate())], compression: .none)
    var bytes = [UInt8](try Data(contentsOf: zip))
    let data = [UInt8](estimate())
    if let start = (0..<(bytes.count - data.count)).first(where: { Array(bytes[$0..<($0 + 64)]) == Array(data[0..<64]) }) {
      bytes[start + 300] ^= 0x55
    }
    try Data(bytes).write(to: zip)
    report = try f.validate(task: .speechEnhancement, submission: zip)
    #expect(report.kinds == [.unreadableFile], "\(report.text)")
    #expect(report.problems.first?.message.contains("CRC-32") == true)
  }

  @Test("Task 2 zips: rows are checked inside the archive")
  func task2() throws {
    let f = try ValidationFixture(items: ["split5_ov1_1": 320], sampleRate: 32_000)
    let zip = f.directory.path("t2.zip")
    try makeZip(zip, [("split5_ov1_1.csv", Data("0,7,0,0,0\n400,7,0,0,0\n".utf8))])
    let report = try f.validate(task: .soundEventLocalizationDetection, edition: .l3das22, submission: zip)
    #expect(report.kinds == [.frameOutOfRange])
    #expect(report.problems.first?.line == 2)
  }
}

@Suite("Zipped submissions: encrypted entries")
struct EncryptedArchiveTests {
  @Test("an encrypted entry is refused by name, and the entries the zip reader cannot reach after it are named too")
  func encrypted() throws {
    let f = try ValidationFixture(items: ["1-2-0000": 800, "1-2-0001": 800], sampleRate: 16_000)
    let estimate = NumPyFile.encode([Float](repeating: 0.1, count: 800), shape: [800])
    let url = f.directory.path("locked.zip")
    try makeZip(url, [("1-2-0000.npy", estimate), ("1-2-0001.npy", estimate)], compression: .none)
    var bytes = try Data(contentsOf: url)
    patchZipEntry(&bytes, name: "1-2-0000.npy", addFlags: 1)
    try bytes.write(to: url)
    let report = try f.validate(task: .speechEnhancement, submission: url)
    #expect(!report.isValid)
    let encrypted = report.problems.first { $0.file == "1-2-0000.npy" && $0.kind == .unsafeArchiveEntry }
    #expect(encrypted?.message.contains("encrypted") == true, "\(report.text)")
    // Never silently missing: the second entry is either read or named as unreadable.
    #expect(
      report.problems.allSatisfy { $0.kind != .missingItem || $0.message.contains("1-2-0000") },
      "\(report.text)")
  }
}
