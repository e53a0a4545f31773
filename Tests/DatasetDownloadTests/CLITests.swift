import Datasets
import Foundation
import Synthesis
import Testing
import _TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// The built `l3das`, with `HOME` pointing nowhere so a real Kaggle token is never used.
private let l3das = BuiltExecutable("l3das", environment: ["HOME": "/nonexistent"])

private func launch(_ arguments: [String]) throws -> (process: Process, stdout: Pipe, stderr: Pipe) {
  try l3das.launch(arguments)
}

private func run(_ arguments: [String]) throws -> BuiltExecutable.Result {
  try l3das.run(arguments)
}

@Suite("l3das download and verify commands")
struct DownloadCLITests {
  @Test("a download killed mid-file resumes from its .part and ends with the right SHA-256")
  func killAndResume() throws {
    let server = try LoopbackHTTPServer()
    let dir = try TemporaryDirectory()
    // A real archive: even without extraction, every entry is checked before it is recorded.
    let body = try makeZip(
      [.stored("L3DAS_Task1_dev/data/1-1-1_A.wav", testBytes(1_500_000, seed: 9))], in: dir.url,
      name: "source.zip")
    var route = LoopbackHTTPServer.Route(body: body)
    route.delayPerChunk = 0.01  // about 400 KiB/s
    server.set("mirror/L3DAS_Task1_dev.zip", route)
    let arguments = [
      "download", "l3das21/task1-dev", "--dir", dir.path("data").path, "--mirror",
      server.url("mirror").absoluteString, "--no-extract", "--quiet", "--json",
    ]
    let part = dir.path("data/archives/L3DAS_Task1_dev.zip.part")
    let (process, _, _) = try launch(arguments)
    let deadline = Date().addingTimeInterval(20)
    while (DiskSpace_fileSize(part) ?? 0) < 200_000 && Date() < deadline && process.isRunning {
      Thread.sleep(forTimeInterval: 0.02)
    }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    let partial = try #require(DiskSpace_fileSize(part))
    #expect(partial >= 200_000 && partial < Int64(body.count))
    #expect(
      !FileManager.default.fileExists(atPath: dir.path("data/archives/L3DAS_Task1_dev.zip").path))

    server.update("mirror/L3DAS_Task1_dev.zip") { $0.delayPerChunk = 0 }
    let result = try run(arguments)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("\"status\" : \"resumed\""))
    let ranges = server.requests.compactMap { $0.headers["range"] }
    let resumedFrom = try #require(ranges.last.flatMap { Int64($0.dropFirst(6).dropLast()) })
    #expect(resumedFrom >= 200_000)
    let final = dir.path("data/archives/L3DAS_Task1_dev.zip")
    #expect(try Digest.hex(ofFileAt: final, algorithm: .sha256) == (try digest(body, "sha256")))
    #expect(!FileManager.default.fileExists(atPath: part.path))
    let lock = try String(contentsOf: dir.path("data/l3das-lock.json"), encoding: .utf8)
    #expect(lock.contains(try digest(body, "sha256")))
  }

  @Test("verify exits 0 on a clean dataset and 1 with every problem listed, also as JSON")
  func verify() throws {
    let dir = try TemporaryDirectory()
    var configuration = SyntheticDataset.Configuration()
    configuration.task1Splits = []
    configuration.task2Splits = [.dev]
    configuration.task2ItemsPerSplit = 2
    configuration.task2SceneSeconds = 1
    try SyntheticDataset.generate(configuration, at: dir.url)
    // A synthetic dataset is checked against its own l3das-synth.json, not the published 150.
    let clean = try run(["verify", dir.url.path, "--quiet"])
    #expect(clean.status == 0, "\(clean.stdout)")
    let split = dir.path("L3DAS22_Task2_dev")
    let ok = try run(["verify", split.path, "--quiet"])
    #expect(ok.status == 0, "a split folder finds l3das-synth.json beside it: \(ok.stdout)")
    let synthJSON = dir.url.appendingPathComponent("l3das-synth.json")
    let saved = try Data(contentsOf: synthJSON)
    try FileManager.default.removeItem(at: synthJSON)
    let published = try run(["verify", dir.url.path, "--quiet"])
    #expect(published.status == 1 && published.stdout.contains("2 items, the published count is 150"))
    #expect(try run(["verify", dir.url.path, "--partial", "--quiet"]).status == 0)
    try saved.write(to: synthJSON)
    try FileManager.default.removeItem(at: split.appendingPathComponent("data/split4_ov2_1_A.wav"))
    try FileManager.default.removeItem(at: split.appendingPathComponent("data/split4_ov2_1_B.wav"))
    try FileManager.default.removeItem(at: split.appendingPathComponent("labels/label_split4_ov2_1.csv"))
    let short = try run(["verify", dir.url.path, "--quiet"])
    #expect(short.status == 1 && short.stdout.contains("1 items, l3das-synth.json's count is 2"), "\(short.stdout)")
    try FileManager.default.removeItem(at: split.appendingPathComponent("data/split4_ov1_1_B.wav"))
    let broken = try run(["verify", dir.url.path, "--json", "--quiet"])
    #expect(broken.status == 1)
    let report = try JSONDecoder().decode(VerificationReport.self, from: Data(broken.stdout.utf8))
    #expect(report.problems.map(\.kind) == [.missingPartner, .itemCount])
  }

  @Test("bad arguments exit 64")
  func usage() throws {
    #expect(try run(["download"]).status == 64)
    #expect(try run(["download", "l3das99"]).status == 64)
    #expect(try run(["download", "l3das21", "--jobs", "0"]).status == 64)
    let list = try run(["download", "--list"])
    #expect(list.status == 0 && list.stdout.contains("l3das21/task1-dev"))
  }

  @Test(
    "paths that cannot be what the option needs exit 64, naming the path and what is expected",
    arguments: [
      (["--dir", "FILE"], "FILE is a file, not a folder"),
      (["--from-archive", "DIR/none.zip"], "DIR/none.zip: no such file or folder"),
      (["--mirror", "file://DIR/none"], "no such folder DIR/none"),
      (["--mirror", "file://FILE"], "FILE is a file; a file:// mirror is a folder"),
      (["--mirror", "file://relative/folder"], "by its absolute path"),
      (["--max-expansion-ratio", "0.5"], "--max-expansion-ratio must be at least 1"),
    ])
  func badPaths(arguments: [String], expected: String) throws {
    let dir = try TemporaryDirectory()
    let file = dir.path("file")
    try Data("x".utf8).write(to: file)
    func fill(_ text: String) -> String {
      text.replacingOccurrences(of: "FILE", with: file.path)
        .replacingOccurrences(of: "DIR", with: dir.url.path)
    }
    let result = try run(["download", "l3das21/task2-dev"] + arguments.map(fill))
    #expect(result.status == 64, "\(result.stderr)")
    #expect(result.stderr.contains(fill(expected)), "\(result.stderr)")
    #expect(try dir.entries() == ["file"])
  }

  @Test("a --dir that cannot be created exits 1 with its path and the reason, not a Cocoa error")
  func unwritableDirectory() throws {
    // sysfs refuses new folders even to root: an unwritable place on any Linux machine.
    let result = try run([
      "download", "l3das21/task2-dev", "--dir", "/sys/l3das-cli-test", "--mirror",
      "http://127.0.0.1:9/", "--quiet",
    ])
    #expect(result.status == 1)
    #expect(
      result.stderr.contains("/sys/l3das-cli-test: cannot create the dataset folder"),
      "\(result.stderr)")
    #expect(!result.stderr.contains("NSCocoaErrorDomain"))
  }

  @Test("--retries 2 --timeout 1 gives up within seconds on a server that ignores Range and stalls")
  func givesUpOnStalls() throws {
    let server = try LoopbackHTTPServer()
    var route = LoopbackHTTPServer.Route(body: testBytes(200_000))
    route.ignoreRange = true
    route.stalls = 1000
    route.stallAfterBytes = 1000
    route.stallSeconds = 5
    server.set("mirror/L3DAS_Task1_dev.zip", route)
    let dir = try TemporaryDirectory()
    let started = Date()
    let (process, _, stderr) = try launch([
      "download", "l3das21/task1-dev", "--dir", dir.path("data").path, "--mirror",
      server.url("mirror").absoluteString, "--retries", "2", "--timeout", "1", "--quiet",
    ])
    let deadline = started.addingTimeInterval(45)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      Issue.record("download was still retrying after 45 s")
      return
    }
    let message = String(
      decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(process.terminationStatus == 1)
    #expect(Date().timeIntervalSince(started) < 30)
    #expect(message.contains("gave up after 2 attempts"), "\(message)")
    #expect(server.requests.count == 2)
  }

  @Test("--max-expansion-ratio inf lifts the expansion limit; a lying entry is still caught")
  func expansionOption() throws {
    let dir = try TemporaryDirectory()
    let name = "L3DAS_Task2_dev/data/a.wav"
    var zip = try makeZip([.file(name, Data(count: 1 << 20))], in: dir.url, name: "big.zip")
    patchZipEntry(&zip, name: name, uncompressedSize: 100 << 20)
    try zip.write(to: dir.path("big.zip"))
    let arguments = [
      "download", "l3das21/task2-dev", "--dir", dir.path("data").path, "--from-archive",
      dir.path("big.zip").path, "--quiet",
    ]
    let limited = try run(arguments)
    #expect(limited.status == 1 && limited.stderr.contains("more than the 200:1 allowed"))
    let unlimited = try run(arguments + ["--max-expansion-ratio", "inf"])
    #expect(unlimited.status == 1, "\(unlimited.stderr)")
    #expect(unlimited.stderr.contains("holds 1048576 bytes, but declares 104857600"))
    #expect(!FileManager.default.fileExists(atPath: dir.path("data/l3das-lock.json").path))
  }
}

private func DiskSpace_fileSize(_ url: URL) -> Int64? {
  (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.int64Value
}
