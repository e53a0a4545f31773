import Datasets
import Foundation
import Metrics
import NumPyIO
import Submission
import Testing
import _TestSupport

@Suite("Submission writers")
struct SubmissionWriterTests {
  @Test("a Task 1 submission written item by item validates and reads back")
  func task1() throws {
    let f = try ValidationFixture(items: ["1-1-0000": 400, "1-1-0001": 300], sampleRate: 16_000)
    let destination = f.directory.path("out1")
    let writer = try SubmissionWriter(destination: destination, task: .speechEnhancement)
    let a = (0..<400).map { Float($0) / 1000 }
    try writer.addTask1(id: "1-1-0000", estimate: a)
    try writer.addTask1(id: "1-1-0001", estimate: [Float](repeating: 0.25, count: 300))
    #expect(!FileManager.default.fileExists(atPath: destination.path))
    try writer.commit()
    let report = try f.validate(task: .speechEnhancement, submission: destination)
    #expect(report.isValid && report.problems.isEmpty, "\(report.text)")
    #expect(try NumPyFile.readFloats(destination.appendingPathComponent("1-1-0000.npy")).values == a)
    // No staging folder is left.
    #expect(try f.directory.entries().sorted() == ["out1", "submission", "test"])
  }

  @Test("a Task 2 submission: ordered rows, ids or names, empty files; the scorer reads them back")
  func task2() throws {
    let f = try ValidationFixture(items: ["split5_ov1_1": 320, "split5_ov2_1": 320], sampleRate: 32_000)
    let destination = f.directory.path("out2")
    let writer = try SubmissionWriter(
      destination: destination, task: .soundEventLocalizationDetection, frameCount: 300)
    let rows = [
      DetectionRow(frame: 12, soundClass: .writing, position: SIMD3(0.1, 0.2, 0.3)),
      DetectionRow(frame: 3, soundClass: .knock, position: SIMD3(-1.5, 0.25, 1e-7)),
      DetectionRow(frame: 12, soundClass: .knock, position: SIMD3(1, 1, 1)),
    ]
    try writer.addTask2(id: "split5_ov1_1", rows: rows)
    try writer.addTask2(id: "split5_ov2_1", rows: [])
    try writer.commit()
    let report = try f.validate(task: .soundEventLocalizationDetection, edition: .l3das22, submission: destination)
    #expect(report.isValid && report.problems.isEmpty, "\(report.text)")
    let text = try String(contentsOf: destination.appendingPathComponent("split5_ov1_1.csv"), encoding: .utf8)
    #expect(text == "3,7,-1.5,0.25,1e-07\n12,7,1.0,1.0,1.0\n12,13,0.1,0.2,0.3\n")
    let back = try Task2Rows.read(destination.appendingPathComponent("split5_ov1_1.csv"), frameCount: 300)
    #expect(back == [rows[1], rows[2], rows[0]])
    #expect(try Data(contentsOf: destination.appendingPathComponent("split5_ov2_1.csv")).isEmpty)
    #expect(SubmissionWriter.csvText([rows[0]], classSpelling: .name) == "12,Writing,0.1,0.2,0.3\n")
  }

  @Test("bad values are refused before anything is written; discard leaves nothing")
  func refused() throws {
    let directory = try TemporaryDirectory()
    let destination = directory.path("out")
    let writer = try SubmissionWriter(destination: destination, task: .speechEnhancement)
    #expect(throws: SubmissionError.self) { try writer.addTask1(id: "a", estimate: [0, .nan]) }
    #expect(throws: SubmissionError.self) { try writer.addTask1(id: "a", estimate: []) }
    #expect(throws: SubmissionError.self) { try writer.addTask1(id: "../a", estimate: [0]) }
    try writer.addTask1(id: "a", estimate: [0.5])
    #expect(throws: SubmissionError.self) { try writer.addTask1(id: "a", estimate: [0.5]) }
    writer.discard()
    #expect(try directory.entries().isEmpty)

    let t2 = try SubmissionWriter(
      destination: destination, task: .soundEventLocalizationDetection, frameCount: 300)
    let row = DetectionRow(frame: 1, soundClass: .knock, position: .zero)
    #expect(throws: SubmissionError.self) {
      try t2.addTask2(id: "s", rows: [DetectionRow(frame: 300, soundClass: .knock, position: .zero)])
    }
    #expect(throws: SubmissionError.self) {
      try t2.addTask2(id: "s", rows: [DetectionRow(frame: 1, soundClass: .knock, position: SIMD3(.nan, 0, 0))])
    }
    #expect(throws: SubmissionError.self) { try t2.addTask2(id: "s", rows: [row, row, row, row]) }
  }

  @Test("an existing destination is kept unless replacement is asked for, then replaced whole")
  func replace() throws {
    let directory = try TemporaryDirectory()
    let destination = directory.path("out")
    try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
    try Data("old".utf8).write(to: destination.appendingPathComponent("old.npy"))
    #expect(throws: SubmissionError.self) {
      try SubmissionWriter(destination: destination, task: .speechEnhancement)
    }
    let writer = try SubmissionWriter(destination: destination, task: .speechEnhancement, replaceExisting: true)
    try writer.addTask1(id: "new", estimate: [0.1])
    try writer.commit()
    #expect(try FileManager.default.contentsOfDirectory(atPath: destination.path) == ["new.npy"])
    #expect(try directory.entries() == ["out"])
  }
}
