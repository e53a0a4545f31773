import Datasets
import Foundation
import Metrics
import Pipelines
import Synthesis
import Testing
import ZIPFoundation
import _TestSupport

/// Writes frame rows as a headerless submission CSV, classes as ids.
private func write(_ rows: [DetectionRow], to url: URL, offset: SIMD3<Double> = .zero) throws {
  let text = rows.map { r in
    let p = r.position + offset
    return "\(r.frame),\(r.soundClass.rawValue),\(p.x),\(p.y),\(p.z)"
  }.joined(separator: "\n")
  try (text.isEmpty ? "" : text + "\n").write(to: url, atomically: true, encoding: .utf8)
}

@Suite("Task 2 scoring")
struct Task2ScoringTests {
  /// A synthetic test split of three 6 s scenes (60 label frames each).
  private func makeSplit() throws -> (TemporaryDirectory, URL, [Task2Item]) {
    let dir = try TemporaryDirectory()
    var configuration = SyntheticDataset.Configuration()
    configuration.task1Splits = []
    configuration.task2Splits = [.test]
    configuration.task2ItemsPerSplit = 3
    configuration.task2SceneSeconds = 6
    try SyntheticDataset.generate(configuration, at: dir.path("data"))
    let split = dir.path("data/L3DAS22_Task2_test")
    return (dir, split, try SplitLocation(folder: split).task2Items().sortedItems())
  }

  @Test("the labels themselves score F = 1; positions moved 1.5 m lose every match at a 1 m threshold")
  func perfectAndShifted() throws {
    let (dir, split, items) = try makeSplit()
    defer { withExtendedLifetime(dir) {} }
    let perfect = dir.path("perfect")
    let shifted = dir.path("shifted")
    for folder in [perfect, shifted] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
    var referenceCount = 0
    for item in items {
      let rows = Task2Rows.frames(from: try item.loadLabels(), frameCount: 60, sceneSeconds: 6)
      referenceCount += rows.count
      try write(rows, to: perfect.appendingPathComponent("\(item.id).csv"))
      try write(rows, to: shifted.appendingPathComponent("\(item.id).csv"), offset: [1.5, 0, 0])
    }
    let report = try Task2Scoring.score(submission: perfect, truth: split, options: .init(frameCount: 60))
    #expect(report.total.truePositives == referenceCount && report.total.falsePositives == 0 && report.total.falseNegatives == 0)
    #expect(abs(report.total.fScore - 1) < 1e-12)
    #expect(report.perFile.map(\.file) == items.map { "\($0.id).csv" })
    for matching in [LocationSensitiveDetection.Matching.official, .oneToOne] {
      let near = try Task2Scoring.score(submission: shifted, truth: split, options: .init(threshold: 2, matching: matching, frameCount: 60))
      #expect(near.total.truePositives == referenceCount, "1.5 m < 2 m still matches")
      let far = try Task2Scoring.score(submission: shifted, truth: split, options: .init(threshold: 1, matching: matching, frameCount: 60))
      #expect(far.total.truePositives == 0 && far.total.falsePositives == referenceCount && far.total.falseNegatives == referenceCount)
    }
  }

  @Test("the report, DCASE-style part included, equals scoring the files one by one in name order")
  func sameAsSequential() throws {
    let (dir, split, items) = try makeSplit()
    defer { withExtendedLifetime(dir) {} }
    let submission = dir.path("jittered")
    try FileManager.default.createDirectory(at: submission, withIntermediateDirectories: true)
    var sequential = LocationSensitiveDetection(
      threshold: 1, matching: .oneToOne, frameCount: 60, includeDCASEStyle: true)
    for (index, item) in items.enumerated() {
      let reference = Task2Rows.frames(
        from: try item.loadLabels(), frameCount: 60, sceneSeconds: 6)
      let url = submission.appendingPathComponent("\(item.id).csv")
      try write(reference, to: url, offset: [0.3 * Double(index), -0.4, 0.7])
      sequential.update(
        prediction: try Task2Rows.read(url, frameCount: 60), reference: reference,
        file: "\(item.id).csv")
    }
    let report = try Task2Scoring.score(
      submission: submission, truth: split,
      options: .init(threshold: 1, matching: .oneToOne, frameCount: 60))
    #expect(report == sequential.report)
    #expect(report.dcaseStyle != nil)
  }

  @Test("file paths built by concatenation equal URL.appendingPathComponent(_:).path")
  func filePaths() {
    let folders = [
      "/tmp/sub", "/tmp/sub/", "/", "/tmp/a b", "/tmp/ünï", "/tmp/a%20b", "relative/dir",
    ]
    for folder in folders {
      for isDirectory in [true, false] {
        let url = URL(fileURLWithPath: folder, isDirectory: isDirectory)
        for name in ["x.csv", "split0_1.csv", "a b.csv", "é.csv"] {
          #expect(
            Task2Scoring.filePath(in: url.path, name) == url.appendingPathComponent(name).path,
            "\(folder) \(name)")
        }
      }
    }
  }

  @Test("missing files are listed, and a malformed row names its file and row")
  func errors() throws {
    let (dir, split, items) = try makeSplit()
    defer { withExtendedLifetime(dir) {} }
    let submission = dir.path("sub")
    try FileManager.default.createDirectory(at: submission, withIntermediateDirectories: true)
    try "".write(to: submission.appendingPathComponent("\(items[0].id).csv"), atomically: true, encoding: .utf8)
    let mismatch = #expect(throws: ScoringError.self) {
      try Task2Scoring.score(submission: submission, truth: split, options: .init(frameCount: 60))
    }
    #expect(mismatch?.code == .mismatchedItems && mismatch?.message.contains("missing 2") == true)
    for item in items.dropFirst() {
      try "0,Knock,1,0,0\n3,Dog,0,0,0\n".write(to: submission.appendingPathComponent("\(item.id).csv"), atomically: true, encoding: .utf8)
    }
    let error = #expect(throws: (any Error).self) {
      try Task2Scoring.score(submission: submission, truth: split, options: .init(frameCount: 60))
    }
    let text = "\(error.map { "\($0)" } ?? "")"
    #expect(text.contains("\(items[1].id).csv:2") && text.contains("Dog"), "\(text)")
  }

  @Test("a .zip submission is scored in place exactly like its folder; every bad file is listed, not only the first")
  func zipAndAllBadFiles() throws {
    let (dir, split, items) = try makeSplit()
    defer { withExtendedLifetime(dir) {} }
    let folder = dir.path("sub")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for item in items {
      try write(Task2Rows.frames(from: try item.loadLabels(), frameCount: 60, sceneSeconds: 6), to: folder.appendingPathComponent("\(item.id).csv"))
    }
    let zip = dir.path("sub.zip")
    try FileManager.default.zipItem(at: folder, to: zip, shouldKeepParent: false)
    let options = Task2Scoring.Options(frameCount: 60)
    #expect(try Task2Scoring.score(submission: zip, truth: split, options: options) == Task2Scoring.score(submission: folder, truth: split, options: options))
    for item in items.dropFirst() {
      try "0,Knock,1,0,0\n3,Dog,0,0,0\n".write(to: folder.appendingPathComponent("\(item.id).csv"), atomically: true, encoding: .utf8)
    }
    try FileManager.default.removeItem(at: zip)
    try FileManager.default.zipItem(at: folder, to: zip, shouldKeepParent: false)
    for submission in [folder, zip] {
      let error = #expect(throws: ScoringError.self) {
        try Task2Scoring.score(submission: submission, truth: split, options: options)
      }
      let text = error?.message ?? ""
      #expect(text.contains("2 files are not valid"), "\(text)")
      for item in items.dropFirst() { #expect(text.contains("\(item.id).csv:2: error:"), "\(text)") }
    }
  }

  @Test("the scene length comes from the truth: a 60 s split counts 600 frames; a contradicting --edition or --frames is refused")
  func editionFromTruth() throws {
    let dir = try TemporaryDirectory()
    var configuration = SyntheticDataset.Configuration()
    configuration.task1Splits = []
    configuration.task2Splits = [.test]
    configuration.task2ItemsPerSplit = 1
    configuration.edition = .l3das21
    try SyntheticDataset.generate(configuration, at: dir.path("data"))
    let named = dir.path("data/L3DAS_Task2_test")
    // The same split under a neutral name: only its audio tells its length.
    let neutral = dir.path("plain")
    try FileManager.default.copyItem(at: named, to: neutral)
    for truth in [named, neutral] {
      let scenes = try Task2Scenes.detect(truth: truth, edition: nil, frames: nil)
      #expect(scenes.frameCount == 600 && scenes.edition == .l3das21, "\(scenes)")
      #expect(throws: ScoringError.self) { try Task2Scenes.detect(truth: truth, edition: .l3das22, frames: nil) }
      #expect(throws: ScoringError.self) { try Task2Scenes.detect(truth: truth, edition: nil, frames: 300) }
    }
    #expect(try Task2Scenes.detect(truth: neutral, edition: .l3das21, frames: 600).frameCount == 600)
    // Scored with the detected frames, a late row of a 60 s scene counts; with 300 it would be refused.
    let item = try #require(try SplitLocation(folder: named).task2Items().sortedItems().first)
    let rows = Task2Rows.frames(from: try item.loadLabels(), frameCount: 600, sceneSeconds: 60)
    let submission = dir.path("sub")
    try FileManager.default.createDirectory(at: submission, withIntermediateDirectories: true)
    try "".write(to: submission.appendingPathComponent("\(item.id).csv"), atomically: true, encoding: .utf8)
    let report = try Task2Scoring.score(submission: submission, truth: neutral, options: .init(frameCount: 600))
    #expect(report.total.falseNegatives == rows.count && rows.contains { $0.frame >= 300 })
  }
}
