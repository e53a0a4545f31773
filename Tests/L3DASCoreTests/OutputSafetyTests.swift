import Foundation
import L3DASCore
import Testing
import _TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// The pid of a process that has just ended (for "stale" staging entries).
private func deadProcessID() throws -> pid_t {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/bin/true")
  try process.run()
  process.waitUntilExit()
  return process.processIdentifier
}

@Suite("OutputFolder: what a command may write into or replace")
struct OutputFolderTests {
  @Test("absent, empty, marked, foreign, file and link are told apart without following links")
  func states() throws {
    let dir = try TemporaryDirectory()
    #expect(OutputFolder.state(of: dir.path("none")) == .absent)
    try FileManager.default.createDirectory(at: dir.path("empty"), withIntermediateDirectories: false)
    #expect(OutputFolder.state(of: dir.path("empty")) == .empty)
    try FileManager.default.createDirectory(at: dir.path("mine"), withIntermediateDirectories: false)
    try OutputFolder.mark(dir.path("mine"), command: "predict")
    #expect(OutputFolder.state(of: dir.path("mine")) == .marked(command: "predict"))
    try FileManager.default.createDirectory(at: dir.path("data"), withIntermediateDirectories: false)
    try Data("x".utf8).write(to: dir.path("data/a.wav"))
    #expect(OutputFolder.state(of: dir.path("data")) == .foreign)
    try Data("x".utf8).write(to: dir.path("file"))
    #expect(OutputFolder.state(of: dir.path("file")) == .notAFolder("a regular file"))
    try FileManager.default.createSymbolicLink(at: dir.path("link"), withDestinationURL: dir.path("mine"))
    #expect(OutputFolder.state(of: dir.path("link")) == .notAFolder("a symbolic link"))
  }

  @Test("only an empty or same-command folder may be replaced, and only with --overwrite")
  func replaceRule() throws {
    let dir = try TemporaryDirectory()
    let mine = dir.path("mine")
    try FileManager.default.createDirectory(at: mine, withIntermediateDirectories: false)
    try OutputFolder.mark(mine, command: "predict")
    #expect(try OutputFolder.checkReplaceable(mine, command: "predict", replace: true) == .marked(command: "predict"))
    #expect(throws: OutputFolderError.self) {
      try OutputFolder.checkReplaceable(mine, command: "predict", replace: false)
    }
    #expect(throws: OutputFolderError.self) {
      try OutputFolder.checkReplaceable(mine, command: "train", replace: true)
    }
    try FileManager.default.createDirectory(at: dir.path("data"), withIntermediateDirectories: false)
    try Data("x".utf8).write(to: dir.path("data/a.wav"))
    let error = #expect(throws: OutputFolderError.self) {
      try OutputFolder.checkReplaceable(dir.path("data"), command: "predict", replace: true)
    }
    #expect(error?.description.contains("not written by 'l3das predict'") == true)
    #expect(try OutputFolder.checkReplaceable(dir.path("data"), command: "train", replace: true, acceptUnmarked: true) == .foreign)
    try Data("x".utf8).write(to: dir.path("file"))
    #expect(throws: OutputFolderError.self) {
      try OutputFolder.checkReplaceable(dir.path("file"), command: "predict", replace: true)
    }
  }

  @Test("a folder holding an input or the current folder is refused even when marked")
  func containment() throws {
    let dir = try TemporaryDirectory()
    let root = dir.path("root")
    let split = root.appendingPathComponent("L3DAS22_Task2_test")
    try FileManager.default.createDirectory(at: split, withIntermediateDirectories: true)
    try OutputFolder.mark(root, command: "predict")
    let inputError = #expect(throws: OutputFolderError.self) {
      try OutputFolder.checkReplaceable(root, command: "predict", inputs: [split], replace: true)
    }
    #expect(inputError?.description.contains("holds the input") == true)
    // Through a link to the same folder, too.
    try FileManager.default.createSymbolicLink(at: dir.path("alias"), withDestinationURL: split)
    #expect(throws: OutputFolderError.self) {
      try OutputFolder.checkReplaceable(root, command: "predict", inputs: [dir.path("alias")], replace: true)
    }
    let current = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    let cwdError = #expect(throws: OutputFolderError.self) {
      try OutputFolder.checkReplaceable(current.deletingLastPathComponent(), command: "predict", replace: true)
    }
    #expect(cwdError?.description.contains("current folder") == true)
    #expect(throws: OutputFolderError.self) {
      try OutputFolder.checkReplaceable(URL(fileURLWithPath: "/"), command: "predict", replace: true)
    }
  }
}

@Suite("Staging entries, locks and scratch folders")
struct StagingTests {
  @Test("stale staging entries of dead processes of this machine are removed, live and foreign ones kept")
  func staleStaging() throws {
    let dir = try TemporaryDirectory()
    let dead = try deadProcessID()
    let host = StagingPath.host
    let names = [
      ".out.l3das-partial-\(host)-\(dead)-17",  // ours, dead: removed
      ".out.l3das-tmp-\(host)-\(dead)-18",  // ours, dead: removed
      ".out.l3das-partial-\(host)-\(getppid())-19",  // ours, alive: kept
      ".out.l3das-partial-otherhost-\(dead)-20",  // another machine's: kept
      ".other.l3das-partial-\(host)-\(dead)-21",  // another destination: kept by besides:
      ".out.partial-\(dead)-22",  // not ours: kept
    ]
    for name in names {
      try FileManager.default.createDirectory(at: dir.path(name), withIntermediateDirectories: false)
    }
    let removed = StagingPath.removeStale(besides: dir.path("out")).map(\.lastPathComponent)
    #expect(Set(removed) == Set(names[0...1]))
    #expect(try dir.entries() == names[2...].sorted())
    let fresh = StagingPath.make(besides: dir.path("out"))
    #expect(fresh.lastPathComponent.hasPrefix(".out.l3das-partial-\(host)-\(getpid())-"))
  }

  @Test("a second lock on a folder fails with a message; the lock ends with its owner")
  func folderLock() throws {
    let dir = try TemporaryDirectory()
    var first: FolderLock? = try FolderLock(dir.url, command: "train")
    let error = #expect(throws: OutputFolderError.self) { try FolderLock(dir.url, command: "train") }
    #expect(error?.description.contains("another 'l3das train' (pid \(getpid()))") == true)
    withExtendedLifetime(first) {}
    first = nil
    _ = try FolderLock(dir.url, command: "train")
  }

  @Test("a scratch folder goes with its value, and a dead process's is removed by the next")
  func scratch() throws {
    var scratch: ScratchFolder? = try ScratchFolder(purpose: "test")
    let url = try #require(scratch?.url)
    #expect(FileManager.default.fileExists(atPath: url.path))
    scratch = nil
    #expect(!FileManager.default.fileExists(atPath: url.path))
    let stale = FileManager.default.temporaryDirectory.appendingPathComponent(
      "l3das-test-\(StagingPath.host)-\(try deadProcessID())-5")
    try FileManager.default.createDirectory(at: stale, withIntermediateDirectories: false)
    _ = try ScratchFolder(purpose: "test")
    #expect(!FileManager.default.fileExists(atPath: stale.path))
  }
}

@Suite("RegularFile: reading only what is a file")
struct RegularFileTests {
  @Test("a FIFO is refused at once instead of blocking; links, limits and absence are named")
  func refusals() throws {
    let dir = try TemporaryDirectory()
    let fifo = dir.path("item.csv")
    #expect(mkfifo(fifo.path, 0o644) == 0)
    let started = Date()
    let error = #expect(throws: RegularFile.Failure.self) { try RegularFile.read(fifo) }
    #expect(Date().timeIntervalSince(started) < 2)
    #expect(error?.reason == .notARegularFile("a FIFO"))
    try Data(repeating: 65, count: 2000).write(to: dir.path("big"))
    let big = #expect(throws: RegularFile.Failure.self) { try RegularFile.read(dir.path("big"), limit: 1000) }
    #expect(big?.message == "the file is 2.0 KiB, more than the 1000 bytes this file may have")
    try FileManager.default.createSymbolicLink(at: dir.path("link"), withDestinationURL: dir.path("big"))
    #expect(try RegularFile.read(dir.path("link")).count == 2000)
    #expect(throws: RegularFile.Failure.self) { try RegularFile.read(dir.path("link"), followLinks: false) }
    #expect((try? RegularFile.read(dir.path("none"))) == nil)
  }

  @Test("byte counts never round a non-empty size to zero")
  func byteText() {
    #expect(RegularFile.byteText(1) == "1 bytes")
    #expect(RegularFile.byteText(70_000) == "68.4 KiB")
    #expect(RegularFile.byteText(100 << 20) == "100.0 MiB")
  }
}

@Suite("CSVCell: spreadsheet-safe fields")
struct CSVCellTests {
  @Test(
    "cells that a spreadsheet would evaluate are neutralised; numbers and text stay",
    arguments: [
      ("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""),
      ("+1+1", "'+1+1"), ("@SUM(1)", "'@SUM(1)"), ("-2+3", "'-2+3"), ("\tcmd", "'\tcmd"),
      ("\r=1", "\"'\r=1\""), ("-0.25", "-0.25"), ("1e-05", "1e-05"), ("-3", "-3"), ("team a", "team a"),
      ("a,b", "\"a,b\""),
    ])
  func escape(input: String, expected: String) {
    #expect(CSVCell.escape(input) == expected)
  }
}
