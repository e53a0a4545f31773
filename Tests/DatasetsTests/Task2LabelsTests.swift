import Datasets
import Foundation
import Testing
import _TestSupport

@Suite("Task 2 label CSV files")
struct Task2LabelsTests {
  let knock = SoundEvent(
    startSeconds: 0.5, endSeconds: 2.25, soundClass: .knock, position: [1, -0.5, 0.25])

  @Test("the official shape with an extra File column parses into events")
  func officialShape() throws {
    let text = """
      File,Start,End,Class,X,Y,Z
      split4_ov1_3.wav,0.5,2.25,Knock,1.0,-0.5,0.25
      split4_ov1_3.wav,3,4.5,Writing,-2,1.5,-1

      """
    let events = try Task2Labels.parse(text, path: "label.csv")
    #expect(
      events == [
        knock,
        SoundEvent(
          startSeconds: 3, endSeconds: 4.5, soundClass: .writing, position: [-2, 1.5, -1]),
      ])
  }

  @Test("columns are found by name in any order, with a BOM, CRLF, quotes and blank lines")
  func tolerantDialect() throws {
    let text =
      "\u{FEFF}Z, class ,END,start,Y,X,Note\r\n\r\n"
      + "0.25,\"Knock\",2.25, 0.5 ,-0.5,1.0,\"a, \"\"quoted\"\"\r\nnote\"\r\n\r\n\r\n"
    #expect(try Task2Labels.parse(text, path: "x.csv") == [knock])
  }

  @Test("a header with no rows is an empty label file")
  func headerOnly() throws {
    #expect(try Task2Labels.parse("Start,End,Class,X,Y,Z\n", path: "x.csv").isEmpty)
  }

  @Test(
    "the class may be an official name or an id 0–13",
    arguments: [
      ("Knock", SoundClass.knock), ("7", .knock), ("0", .chinkAndClink), ("13", .writing),
      ("Male_speech_and_man_speaking", .maleSpeechAndManSpeaking),
      ("\"Chink_and_clink\"", .chinkAndClink),
    ])
  func classByNameOrID(field: String, expected: SoundClass) throws {
    let events = try Task2Labels.parse("Start,End,Class,X,Y,Z\n0,1,\(field),0,0,0\n", path: "x.csv")
    #expect(events.map(\.soundClass) == [expected])
  }

  struct Malformed: Sendable, CustomTestStringConvertible {
    var name: String
    var text: String
    var code: DatasetError.Code
    var line: Int
    var fragment: String
    var testDescription: String { name }
  }

  static let header = "Start,End,Class,X,Y,Z\n"
  static let good = "0,1,Knock,0,0,0\n"

  static let malformed: [Malformed] = [
    Malformed(name: "empty file", text: "\n\n", code: .malformedCSV, line: 1, fragment: "empty"),
    Malformed(
      name: "missing End column after a blank first line",
      text: "\nStart,Class,X,Y,Z\n0,Knock,0,0,0\n",
      code: .malformedCSV, line: 2, fragment: "missing required column End"),
    Malformed(
      name: "no header row", text: "0,1,Knock,0,0,0\n", code: .malformedCSV, line: 1,
      fragment: "first row must be a header"),
    Malformed(
      name: "repeated column", text: "Start,End,Class,X,Y,Z,x\n", code: .malformedCSV, line: 1,
      fragment: "more than once"),
    Malformed(
      name: "too few fields", text: header + good + "0,1,Knock,0,0\n", code: .malformedCSV, line: 3,
      fragment: "expected 6 fields as in the header, found 5"),
    Malformed(
      name: "too many fields", text: header + "0,1,Knock,0,0,0,9\n", code: .malformedCSV, line: 2,
      fragment: "found 7"),
    Malformed(
      name: "unparsable Start", text: header + good + good + "abc,1,Knock,0,0,0\n",
      code: .malformedCSV,
      line: 4, fragment: "column Start: 'abc' is not a number"),
    Malformed(
      name: "unparsable Y", text: header + "0,1,Knock,0,1.2.3,0\n", code: .malformedCSV, line: 2,
      fragment: "column Y"),
    Malformed(
      name: "NaN End", text: header + good + "0,nan,Knock,0,0,0\n", code: .invalidValue, line: 3,
      fragment: "column End: nan is not a finite number"),
    Malformed(
      name: "infinite X", text: header + "0,1,Knock,inf,0,0\n", code: .invalidValue, line: 2,
      fragment: "column X"),
    Malformed(
      name: "unknown class name", text: header + good + "0,1,Dog,0,0,0\n", code: .invalidValue,
      line: 3,
      fragment: "unknown class 'Dog'"),
    Malformed(
      name: "class id out of range", text: header + "0,1,14,0,0,0\n", code: .invalidValue, line: 2,
      fragment: "unknown class '14'"),
    Malformed(
      name: "class name in the wrong case", text: header + "0,1,knock,0,0,0\n", code: .invalidValue,
      line: 2, fragment: "unknown class"),
    Malformed(
      name: "End before Start", text: header + "2,1.5,Knock,0,0,0\n", code: .invalidValue, line: 2,
      fragment: "End 1.5 is before Start 2"),
    Malformed(
      name: "negative Start", text: header + "-0.1,1,Knock,0,0,0\n", code: .invalidValue, line: 2,
      fragment: "Start -0.1 is negative"),
    Malformed(
      name: "unterminated quote", text: header + good + "0,1,\"Knock,0,0,0\n", code: .malformedCSV,
      line: 3, fragment: "never closed"),
    Malformed(
      name: "text after a closing quote", text: header + "0,1,\"Knock\"x,0,0,0\n",
      code: .malformedCSV,
      line: 2, fragment: "after the closing quote"),
    Malformed(
      name: "CRLF lines are counted once",
      text: "Start,End,Class,X,Y,Z\r\n0,1,Knock,0,0,0\r\n\r\n0,x,Knock,0,0,0\r\n",
      code: .malformedCSV, line: 4, fragment: "column End"),
    Malformed(
      name: "a quoted line break moves later line numbers",
      text: "Start,End,Class,X,Y,Z,Note\n0,1,Knock,0,0,0,\"two\nlines\"\n0,1,Dog,0,0,0,n\n",
      code: .invalidValue, line: 4, fragment: "Dog"),
  ]

  @Test("every malformed file is rejected naming the file and the line", arguments: malformed)
  func rejects(_ example: Malformed) {
    let error = #expect(throws: DatasetError.self) {
      try Task2Labels.parse(example.text, path: "labels/label_split4_ov1_3.csv")
    }
    #expect(error?.code == example.code)
    #expect(error?.line == example.line)
    #expect(error?.path == "labels/label_split4_ov1_3.csv")
    #expect(error?.description.hasPrefix("labels/label_split4_ov1_3.csv:\(example.line): ") == true)
    #expect(error?.message.contains(example.fragment) == true, "\(String(describing: error))")
  }

  @Test("csvText writes the canonical header, official names and trimmed numbers")
  func canonicalText() {
    let events = [
      knock,
      SoundEvent(
        startSeconds: 1.23456789, endSeconds: 30, soundClass: .femaleSpeechAndWomanSpeaking,
        position: [1e-7, -1.25e-10, 0]),
    ]
    #expect(
      Task2Labels.csvText(events) == """
        Start,End,Class,X,Y,Z
        0.5,2.25,Knock,1,-0.5,0.25
        1.234568,30,Female_speech_and_woman_speaking,0.0000001,-0.000000000125,0

        """)
  }

  @Test("events survive csvText and parse unchanged")
  func roundTrip() throws {
    let events = SoundClass.allCases.enumerated().map { i, soundClass in
      let start = Double(i) * 1.234567
      return SoundEvent(
        startSeconds: start, endSeconds: start + 0.000001 * Double(i * 7919 % 1000),
        soundClass: soundClass,
        position: [0.1 + 0.2 * Double(i), -1.2345678901234567 / Double(i + 1), 3e-9 * Double(i)])
    }
    let rounded = events.map { event in
      var copy = event
      copy.startSeconds = (event.startSeconds * 1e6).rounded() / 1e6
      copy.endSeconds = (event.endSeconds * 1e6).rounded() / 1e6
      return copy
    }
    #expect(try Task2Labels.parse(Task2Labels.csvText(events), path: "x.csv") == rounded)
    let numbers = Task2Labels.csvText(events).split(separator: "\n").dropFirst().flatMap { row in
      row.split(separator: ",").enumerated().filter { $0.offset != 2 }.map(\.element)
    }
    #expect(numbers.count == 5 * events.count)
    #expect(numbers.allSatisfy { !$0.contains("e") }, "no exponent notation")
  }

  @Test("write is atomic and read gives the events back")
  func fileRoundTrip() throws {
    let dir = try TemporaryDirectory()
    let url = dir.path("label_split0_ov3_7.csv")
    try Task2Labels.write([knock], to: url)
    #expect(try Task2Labels.read(url) == [knock])
    #expect(try dir.entries() == ["label_split0_ov3_7.csv"])
    try Task2Labels.write([], to: url)
    #expect(try Task2Labels.read(url).isEmpty)
  }

  @Test("reading a missing file or writing into a missing folder fails clearly")
  func fileErrors() throws {
    let dir = try TemporaryDirectory()
    let missing = #expect(throws: DatasetError.self) { try Task2Labels.read(dir.path("none.csv")) }
    #expect(missing?.code == .notFound)
    #expect(missing?.path == dir.path("none.csv").path)
    let unwritable = #expect(throws: DatasetError.self) {
      try Task2Labels.write([knock], to: dir.path("no/such/folder/x.csv"))
    }
    #expect(unwritable?.code == .writeFailed)
  }

  @Test("a file that is not UTF-8 is a read error")
  func notUTF8() throws {
    let dir = try TemporaryDirectory()
    try Data([0x53, 0x74, 0xFF, 0xFE, 0x0A]).write(to: dir.path("bad.csv"))
    let error = #expect(throws: DatasetError.self) { try Task2Labels.read(dir.path("bad.csv")) }
    #expect(error?.code == .readFailed)
  }
}
