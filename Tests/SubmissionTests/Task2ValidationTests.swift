import Datasets
import Foundation
import Submission
import Testing
import _TestSupport

@Suite("Task 2 submission validation")
struct Task2ValidationTests {
  /// Two 0.1 s scenes at 32 kHz; checks run with an explicit edition (300 frames).
  func fixture(frames: Int = 3_200) throws -> ValidationFixture {
    try ValidationFixture(items: ["split5_ov1_1": frames, "split5_ov2_1": frames], sampleRate: 32_000)
  }

  /// Validates `text` as split5_ov1_1.csv beside a valid split5_ov2_1.csv.
  func report(_ text: String, edition: Edition = .l3das22, listLimit: Int = 10) throws
    -> SubmissionReport
  {
    let f = try fixture()
    try f.write(text, "split5_ov1_1.csv")
    try f.write("", "split5_ov2_1.csv")
    return try f.validate(task: .soundEventLocalizationDetection, edition: edition, listLimit: listLimit)
  }

  @Test("the shipped example submission is valid")
  func example() throws {
    let report = try SubmissionValidator.validate(
      submission: examplesFolder.appendingPathComponent("task2"),
      test: examplesFolder.appendingPathComponent("test/task2"),
      options: .init(task: .soundEventLocalizationDetection, edition: .l3das22))
    #expect(report.isValid, "\(report.text)")
    #expect(report.problems.isEmpty)
    #expect(report.frameCount == 300)
  }

  @Test("valid rows: ids or names, spaces, quotes, CRLF, BOM, blank lines; an empty file")
  func valid() throws {
    let text = "\u{FEFF}0,7,0.5,-1.25,0.3\r\n1, Knock ,\"0.5\",-1.25,0.3\n\n299,13,2,1.5,-1\n"
    let r = try report(text)
    #expect(r.isValid, "\(r.text)")
    // Names and ids in one submission: valid, with a warning.
    #expect(r.kinds == [.mixedClassSpelling])
    #expect(r.problems[0].severity == .warning)
    #expect(try report("").problems.isEmpty)
    #expect(try report("3,Writing,1,1,1\n").problems.isEmpty)
  }

  @Test("every bad line is reported, each with its line and a hint")
  func everyLine() throws {
    let text = """
      0,7,0.5,-1.0,0.3
      x,7,0,0,0
      -1,7,0,0,0
      300,7,0,0,0
      5,Knok,0,0,0
      5,knock,0,0,0
      5,14,0,0,0
      5,7,nan,0,0
      5,7,0,abc,0
      5,7
      5,7,0,0,0,0
      6,7,0,0,12.5

      """
    let r = try report(text)
    let expected: [(Int, SubmissionProblem.Kind)] = [
      (2, .invalidFrame), (3, .invalidFrame), (4, .frameOutOfRange), (5, .unknownClass),
      (6, .unknownClass), (7, .unknownClass), (8, .invalidCoordinate), (9, .invalidCoordinate),
      (10, .wrongFieldCount), (11, .wrongFieldCount), (12, .coordinateOutOfRange),
    ]
    #expect(r.problems.map(\.line) == expected.map(\.0), "\(r.text)")
    #expect(r.kinds == expected.map(\.1))
    #expect(r.problems.allSatisfy { $0.file == "split5_ov1_1.csv" && $0.hint?.isEmpty == false })
    #expect(r.problems[3].hint?.contains("did you mean Knock (id 7)") == true)
    #expect(r.problems[4].hint?.contains("write Knock") == true)
    #expect(r.errorCount == 11)
    #expect(r.validItemCount == 1)
  }

  @Test("a header row is an error (the official validator silently eats it)")
  func header() throws {
    let r = try report("frame,class,x,y,z\n0,7,0,0,0\n")
    #expect(r.kinds == [.headerRow])
    #expect(r.problems[0].line == 1)
    let labels = try report("Start,End,Class,X,Y,Z\n")
    #expect(labels.problems.first?.message.contains("label file") == true)
  }

  @Test("more than 3 instances of a class in a frame and duplicate rows warn: the official metric scores them")
  func instances() throws {
    let r = try report("3,3,0,0,0\n3,3,0,0,1\n3,3,0,1,0\n3,3,1,0,0\n4,3,0,0,0\n4,3,0,0,0\n")
    #expect(r.kinds == [.tooManyInstances, .duplicateRow], "\(r.text)")
    #expect(r.problems[0].line == 4 && r.problems[0].severity == .warning)
    #expect(r.problems[0].message.contains("lines 1, 2, 3, 4"))
    #expect(r.problems[1].severity == .warning && r.problems[1].line == 6)
    #expect(r.isValid, "warnings only: validate accepts what the official scorer scores")
  }

  @Test("the frame range follows the edition; by default it comes from the test audio")
  func frameRange() throws {
    #expect(try report("450,7,0,0,0\n", edition: .l3das21).isValid)
    #expect(try report("600,7,0,0,0\n", edition: .l3das21).kinds == [.frameOutOfRange])
    // 1 s scenes without --edition: 10 frames, no edition.
    let f = try fixture(frames: 32_000)
    try f.write("9,7,0,0,0\n", "split5_ov1_1.csv")
    try f.write("10,7,0,0,0\n", "split5_ov2_1.csv")
    let r = try f.validate(task: .soundEventLocalizationDetection)
    #expect(r.frameCount == 10 && r.edition == nil)
    #expect(r.kinds == [.frameOutOfRange])
    #expect(r.problems[0].file == "split5_ov2_1.csv")
  }

  @Test("binary content and pickles are not text")
  func notText() throws {
    let f = try fixture()
    try f.write(bytes: [0x80, 0x04, 0x95, 0x00, 0x01], "split5_ov1_1.csv")
    try f.write(bytes: Array("0,Kn".utf8) + [0xC3, 0x28] + Array(",0,0,0\n".utf8), "split5_ov2_1.csv")
    let r = try f.validate(task: .soundEventLocalizationDetection, edition: .l3das22)
    #expect(r.kinds == [.notText, .notText], "\(r.text)")
    #expect(r.problems[1].message.contains("offset 4"))
  }

  @Test("rows filling half the labels' box look like the network's output before × 2; scaled rows do not")
  func normalised() throws {
    // Unscaled outputs of a trained network: x up to ±0.95, y ±0.7, z ±0.45.
    let unscaled = (0..<60).map { "\($0),7,\(-0.95 + Double($0) / 31.0),\(Double($0 % 7) / 10 - 0.3),0.45" }
      .joined(separator: "\n")
    let r = try report(unscaled)
    #expect(r.isValid)
    #expect(r.kinds == [.normalisedCoordinates])
    // Correctly scaled rows: a barely trained network near the microphone (what a tiny
    // model's `predict` writes) and a trained one spanning the room: no warning.
    let small = (0..<60).map { "\($0),7,0.25,-0.5,0.1" }.joined(separator: "\n")
    #expect(try report(small).kinds.isEmpty)
    let wide = (0..<60).map { "\($0),7,\(-1.9 + Double($0) / 16.0),0.5,-0.2" }.joined(separator: "\n")
    #expect(try report(wide).kinds.isEmpty)
  }

  @Test("problems of one kind are capped per file with a count of the rest")
  func capped() throws {
    let text = (0..<25).map { "\($0),7" }.joined(separator: "\n")
    let r = try report(text, listLimit: 5)
    #expect(r.problems(.wrongFieldCount).count == 5)
    // Said in words, after the lines it counts.
    #expect(r.problems(.moreProblems).first?.message.contains("20 more of the same (rows with the wrong number of fields") == true)
    #expect(r.problems.last?.kind == .moreProblems)
  }

  @Test("names are whole Task 2 stems, not text before the first underscore")
  func names() throws {
    let f = try fixture()
    try f.write("", "split5_ov1_1.csv")
    try f.write("", "split5.csv")
    try f.write("", "label_split5_ov2_1.csv")
    let r = try f.validate(task: .soundEventLocalizationDetection, edition: .l3das22)
    #expect(r.problems(.missingItem).map(\.file) == ["split5_ov2_1.csv"])
    #expect(r.problems(.unexpectedItem).count == 2)
    #expect(r.problems.contains { $0.hint == "drop the label_ prefix: name it split5_ov2_1.csv" })
  }
}
