import Datasets
import Foundation
import Metrics
import Testing
import _TestSupport

// MARK: - Fixture loading

private struct SELDCounts: Decodable, Sendable {
  var tp: Int
  var fp: Int
  var fn: Int
  var f_score: Double?
}

private struct SELDThresholdResult: Decodable, Sendable {
  var official: SELDCounts
  var optimal: SELDCounts
}

private struct SELDCase: Decodable, Sendable {
  var name: String
  var truth: String
  var prediction: String
  var n_frames: Int
  var by_threshold: [String: SELDThresholdResult]
}

private struct SELDFile: Decodable { var cases: [SELDCase] }

private func fixturesURL() throws -> URL {
  try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
}

private func loadCases() throws -> [SELDCase] {
  let data = try Data(contentsOf: try fixturesURL().appendingPathComponent("seld.json"))
  return try JSONDecoder().decode(SELDFile.self, from: data).cases
}

/// The F tolerance against the stored official F: the formula and the operation order are the
/// official ones, so the values agree to the last bit; 1e-12 only allows for JSON printing.
private let fScoreTolerance = 1e-12

private func row(_ frame: Int, _ soundClass: SoundClass, _ x: Double, _ y: Double, _ z: Double)
  -> DetectionRow
{
  DetectionRow(frame: frame, soundClass: soundClass, position: SIMD3(x, y, z))
}

private func counts(_ score: DetectionScore) -> [Int] {
  [score.truePositives, score.falsePositives, score.falseNegatives]
}

// MARK: - Official fixtures

@Suite("SELD: location-sensitive detection against the official function")
struct SELDFixtureTests {
  @Test("every case of seld.json, at 2.0, 1.0 and 0.3 m: official counts, one-to-one counts, F")
  func sharedFixture() throws {
    let cases = try loadCases()
    #expect(cases.count == 8)
    let root = try fixturesURL()
    var checked = 0
    for c in cases {
      let prediction = try Task2Rows.read(
        root.appendingPathComponent(c.prediction), frameCount: c.n_frames)
      let reference = try Task2Rows.read(
        root.appendingPathComponent(c.truth), frameCount: c.n_frames)
      #expect(c.by_threshold.keys.sorted() == ["0.3", "1.0", "2.0"], "\(c.name)")
      for (key, expected) in c.by_threshold {
        let threshold = try #require(Double(key))
        let official = LocationSensitiveDetection.score(
          prediction: prediction, reference: reference, frameCount: c.n_frames,
          threshold: threshold, matching: .official)
        let oneToOne = LocationSensitiveDetection.score(
          prediction: prediction, reference: reference, frameCount: c.n_frames,
          threshold: threshold, matching: .oneToOne)
        #expect(
          counts(official) == [expected.official.tp, expected.official.fp, expected.official.fn],
          "\(c.name) at \(key) m, official")
        #expect(
          counts(oneToOne) == [expected.optimal.tp, expected.optimal.fp, expected.optimal.fn],
          "\(c.name) at \(key) m, one-to-one")
        let officialF = try #require(expected.official.f_score)
        #expect(abs(official.fScore - officialF) <= fScoreTolerance, "\(c.name) at \(key) m, F")
        checked += 1
      }
    }
    #expect(checked == 24)
  }

  @Test("the accumulator sums counts over files and reports per-file official F")
  func accumulatesOverFiles() throws {
    let cases = try loadCases()
    let root = try fixturesURL()
    var metric = LocationSensitiveDetection(threshold: 2.0, frameCount: 100)
    var expected = DetectionScore()
    for c in cases {
      let prediction = try Task2Rows.read(
        root.appendingPathComponent(c.prediction), frameCount: 100)
      let reference = try Task2Rows.read(root.appendingPathComponent(c.truth), frameCount: 100)
      metric.update(prediction: prediction, reference: reference, file: c.name)
      let official = try #require(c.by_threshold["2.0"]?.official)
      expected += DetectionScore(
        truePositives: official.tp, falsePositives: official.fp, falseNegatives: official.fn)
    }
    let report = metric.report
    #expect(report.total == expected)
    #expect(report.perFile.map(\.file) == cases.map(\.name))
    for (file, c) in zip(report.perFile, cases) {
      let officialF = try #require(c.by_threshold["2.0"]?.official.f_score)
      #expect(abs(file.score.fScore - officialF) <= fScoreTolerance, "\(c.name)")
    }
    // The per-class official counts never exceed the total (the rule is not additive).
    let classTP = report.perClass.reduce(0) { $0 + $1.score.truePositives }
    #expect(classTP <= report.total.truePositives)
    #expect(report.perClass.map(\.soundClass) == SoundClass.allCases)
  }

  @Test("one-to-one per-class counts add up to the total")
  func oneToOnePerClassIsAdditive() throws {
    let cases = try loadCases()
    let root = try fixturesURL()
    var metric = LocationSensitiveDetection(threshold: 1.0, matching: .oneToOne, frameCount: 100)
    for c in cases {
      metric.update(
        prediction: try Task2Rows.read(root.appendingPathComponent(c.prediction)),
        reference: try Task2Rows.read(root.appendingPathComponent(c.truth)), file: c.name)
    }
    let report = metric.report
    let sum = report.perClass.reduce(DetectionScore()) { $0 + $1.score }
    #expect(sum == report.total)
  }
}

// MARK: - Hand cases

@Suite("SELD: hand-computed cases")
struct SELDHandTests {
  @Test("FACTS §3.2 defect 1: official 3 TP where a one-to-one matching allows 2")
  func greedyOvercount() {
    let truth = [
      row(0, .chinkAndClink, 0, 0, 0), row(0, .chinkAndClink, 0.5, 0, 0),
      row(0, .computerKeyboard, 0, 0, 1),
    ]
    let prediction = [
      row(0, .chinkAndClink, 0.25, 0, 0), row(0, .computerKeyboard, 0, 0, 1),
      row(0, .computerKeyboard, 0.1, 0, 1),
    ]
    let official = LocationSensitiveDetection.score(
      prediction: prediction, reference: truth, frameCount: 300)
    #expect(counts(official) == [3, 0, 0])
    #expect(official.fScore == 1.0)
    let oneToOne = LocationSensitiveDetection.score(
      prediction: prediction, reference: truth, frameCount: 300, matching: .oneToOne)
    #expect(counts(oneToOne) == [2, 1, 1])
    #expect(abs(oneToOne.fScore - 2.0 / 3.0) < 1e-12)
  }

  @Test("FACTS §3.2 pre-fix example (double counting) under the final rule: FP 1, F 0.667")
  func noDoubleCounting() {
    let truth = [row(0, .knock, 0, 0, 0)]
    let prediction = [row(0, .knock, 0, 0, 0), row(1, .knock, 1, 1, 0)]
    let score = LocationSensitiveDetection.score(
      prediction: prediction, reference: truth, frameCount: 300)
    #expect(counts(score) == [1, 1, 0])
    #expect(abs(score.fScore - 2.0 / 3.0) < 1e-12)
    // And the mirror case: truth without prediction in frame 1 counts once as FN.
    let mirrored = LocationSensitiveDetection.score(
      prediction: truth, reference: prediction, frameCount: 300)
    #expect(counts(mirrored) == [1, 0, 1])
  }

  @Test("FACTS §3.2 pre-fix example (negative FP): TP 1, FP 0, FN 1; L3DAS21's TP 2, FP -1")
  func noNegativeFalsePositives() {
    let truth = [row(0, .chinkAndClink, 0, 0, 0), row(0, .chinkAndClink, 0.5, 0, 0)]
    let prediction = [row(0, .chinkAndClink, 0.25, 0, 0)]
    for matching in [LocationSensitiveDetection.Matching.official, .oneToOne] {
      let score = LocationSensitiveDetection.score(
        prediction: prediction, reference: truth, frameCount: 300, matching: matching)
      #expect(counts(score) == [1, 0, 1], "\(matching)")
      #expect(abs(score.fScore - 2.0 / 3.0) < 1e-12)
    }
    let l3das21 = LocationSensitiveDetection.score(
      prediction: prediction, reference: truth, frameCount: 300, matching: .l3das21)
    #expect(counts(l3das21) == [2, -1, 0])
    #expect(l3das21.precision == 2 / (1 + DetectionScore.epsilon))
    #expect(abs(l3das21.fScore - 4.0 / 3.0) < 1e-12)
  }

  @Test("L3DAS21 counts a frame with rows on one side twice")
  func l3das21DoubleCounts() {
    let truth = [row(0, .knock, 0, 0, 0)]
    let prediction = [row(0, .knock, 0, 0, 0), row(1, .knock, 1, 1, 0)]
    let score = LocationSensitiveDetection.score(
      prediction: prediction, reference: truth, frameCount: 600, matching: .l3das21)
    #expect(counts(score) == [1, 2, 0])
    #expect(abs(score.fScore - 0.5) < 1e-12)
    let mirrored = LocationSensitiveDetection.score(
      prediction: truth, reference: prediction, frameCount: 600, matching: .l3das21)
    #expect(counts(mirrored) == [1, 0, 2])
  }

  @Test("FACTS §3.2 Hungarian-vs-cardinality example at 1 m: one TP in both modes")
  func distanceExactlyTwoIsNotWithinOne() {
    let truth = [row(0, .laughter, 1.5, 0.75, -1.5), row(0, .laughter, -1.5, -1.25, -0.25)]
    let prediction = [row(0, .laughter, -1, -1, 0.5), row(0, .laughter, -1.5, -1.25, 1.75)]
    for matching in LocationSensitiveDetection.Matching.allCases {
      let score = LocationSensitiveDetection.score(
        prediction: prediction, reference: truth, frameCount: 300, threshold: 1, matching: matching)
      #expect(counts(score) == [1, 1, 1], "\(matching)")
    }
  }

  @Test(
    "a distance exactly equal to the threshold is not a match",
    arguments: [
      (SIMD3<Double>(2, 0, 0), 2.0), (SIMD3<Double>(1.5, 2, 0), 2.5), (SIMD3<Double>(0, 0, 1), 1.0),
    ])
  func thresholdIsStrict(offset: SIMD3<Double>, threshold: Double) {
    let truth = [DetectionRow(frame: 4, soundClass: .printer, position: .zero)]
    let prediction = [DetectionRow(frame: 4, soundClass: .printer, position: offset)]
    for matching in LocationSensitiveDetection.Matching.allCases {
      let at = LocationSensitiveDetection.score(
        prediction: prediction, reference: truth, frameCount: 10, threshold: threshold,
        matching: matching)
      #expect(counts(at) == [0, 1, 1])
      let above = LocationSensitiveDetection.score(
        prediction: prediction, reference: truth, frameCount: 10, threshold: threshold.nextUp,
        matching: matching)
      #expect(counts(above) == [1, 0, 0])
    }
  }

  @Test("class given by id and by name are normalised before matching")
  func classIdAndNameMatch() throws {
    let prediction = try Task2Rows.parse("3,7,0.1,0.2,0.3\n3,13.0,1,1,1\n", path: "pred.csv")
    let reference = try Task2Rows.parse("3,Knock,0.1,0.2,0.3\n3,Writing,1,1,1\n", path: "ref.csv")
    #expect(prediction == reference)
    let score = LocationSensitiveDetection.score(
      prediction: prediction, reference: reference, frameCount: 300)
    #expect(counts(score) == [2, 0, 0])
  }

  @Test("a wrong class never matches, however close")
  func wrongClass() {
    let score = LocationSensitiveDetection.score(
      prediction: [row(0, .knock, 0, 0, 0)], reference: [row(0, .printer, 0, 0, 0)],
      frameCount: 1)
    #expect(counts(score) == [0, 1, 1])
  }

  @Test("empty prediction and reference give zero counts and F = 0 (not NaN)")
  func emptyFiles() throws {
    #expect(try Task2Rows.parse("", path: "empty.csv").isEmpty)
    #expect(try Task2Rows.parse("\n", path: "newline.csv").isEmpty)
    #expect(try Task2Rows.parse("\r\n  \r\n", path: "blank.csv").isEmpty)
    var metric = LocationSensitiveDetection(frameCount: 300, includeDCASEStyle: true)
    let score = metric.update(prediction: [], reference: [], file: "empty")
    #expect(counts(score) == [0, 0, 0])
    #expect(score.fScore == 0)
    #expect(metric.report.total.precision == 0)
    let onlyPrediction = metric.update(
      prediction: [row(0, .knock, 0, 0, 0)], reference: [], file: "fp")
    #expect(counts(onlyPrediction) == [0, 1, 0])
    let onlyReference = metric.update(
      prediction: [], reference: [row(299, .knock, 0, 0, 0)], file: "fn")
    #expect(counts(onlyReference) == [0, 0, 1])
    #expect(counts(metric.report.total) == [0, 1, 1])
    #expect(metric.report.perFile.count == 3)
  }

  @Test("rows in any order give the same counts as rows sorted by frame")
  func orderDoesNotMatter() throws {
    var generator = TestRandom(seed: 7)
    var truth: [DetectionRow] = []
    var prediction: [DetectionRow] = []
    for frame in 0..<200 {
      for _ in 0..<Int(generator.next() % 4) { truth.append(generator.row(frame: frame)) }
      for _ in 0..<Int(generator.next() % 4) { prediction.append(generator.row(frame: frame)) }
    }
    for matching in LocationSensitiveDetection.Matching.allCases {
      let sorted = LocationSensitiveDetection.score(
        prediction: prediction, reference: truth, frameCount: 200, matching: matching)
      let shuffled = LocationSensitiveDetection.score(
        prediction: Array(prediction.reversed()), reference: truth.shuffled(using: &generator),
        frameCount: 200, matching: matching)
      #expect(sorted == shuffled)
      #expect(sorted.truePositives > 0)
    }
  }

  @Test("one-to-one never exceeds official, and equals a brute-force maximum matching")
  func oneToOneIsMaximum() {
    var generator = TestRandom(seed: 11)
    for _ in 0..<300 {
      // One frame, two classes, up to 4 + 4 rows in a 1 m cube: many ties and conflicts.
      let p = (0..<Int(generator.next() % 5)).map { _ in generator.row(frame: 0, classes: 2, box: 1)
      }
      let r = (0..<Int(generator.next() % 5)).map { _ in generator.row(frame: 0, classes: 2, box: 1)
      }
      let official = LocationSensitiveDetection.score(
        prediction: p, reference: r, frameCount: 1, threshold: 0.6)
      let oneToOne = LocationSensitiveDetection.score(
        prediction: p, reference: r, frameCount: 1, threshold: 0.6, matching: .oneToOne)
      #expect(oneToOne.truePositives <= official.truePositives)
      #expect(oneToOne.truePositives == bruteForceMatching(p, r, threshold: 0.6))
    }
  }
}

/// The largest number of disjoint matching pairs, by trying every assignment.
private func bruteForceMatching(_ p: [DetectionRow], _ r: [DetectionRow], threshold: Double) -> Int
{
  func matches(_ a: DetectionRow, _ b: DetectionRow) -> Bool {
    let d = a.position - b.position
    return a.soundClass == b.soundClass && (d * d).sum().squareRoot() < threshold
  }
  func best(_ j: Int, _ used: Set<Int>) -> Int {
    guard j < r.count else { return 0 }
    var result = best(j + 1, used)
    for i in p.indices where !used.contains(i) && matches(p[i], r[j]) {
      result = max(result, 1 + best(j + 1, used.union([i])))
    }
    return result
  }
  return best(0, [])
}

/// SplitMix64, so the random cases are the same on every run and platform.
private struct TestRandom: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  mutating func row(frame: Int, classes: Int = 14, box: Double = 2) -> DetectionRow {
    let soundClass = SoundClass(rawValue: Int(next() % UInt64(classes))) ?? .knock
    let position = SIMD3(
      Double.random(in: -box...box, using: &self), Double.random(in: -box...box, using: &self),
      Double.random(in: -box...box, using: &self))
    return DetectionRow(frame: frame, soundClass: soundClass, position: position)
  }
}

// MARK: - Reading rows

@Suite("SELD: reading detection CSVs")
struct SELDReadingTests {
  @Test("CRLF, a trailing newline, a BOM, spaces, quotes and 12.0-style frames are accepted")
  func tolerantReading() throws {
    let text = "\u{FEFF}0,Knock,1,2,3\r\n 12.0 , \"Printer\" ,-0.5,1e-1,+2.25\r\n\r\n"
    let rows = try Task2Rows.parse(text, path: "x.csv", frameCount: 300)
    #expect(rows == [row(0, .knock, 1, 2, 3), row(12, .printer, -0.5, 0.1, 2.25)])
  }

  @Test("every official class name and every id 0–13 is read as its class")
  func everyClass() throws {
    for soundClass in SoundClass.allCases {
      let byName = try Task2Rows.parse("1,\(soundClass.officialName),0,0,0", path: "n.csv")
      let byID = try Task2Rows.parse("1,\(soundClass.rawValue),0,0,0", path: "i.csv")
      let spaced = try Task2Rows.parse(" 1 , \(soundClass.officialName) ,0,0,0", path: "s.csv")
      #expect(byName.map(\.soundClass) == [soundClass])
      #expect(byID.map(\.soundClass) == [soundClass])
      #expect(spaced.map(\.soundClass) == [soundClass])
    }
  }

  @Test("reading a file gives the same rows as parsing its text")
  func readFile() throws {
    let url = try fixturesURL().appendingPathComponent("seld/jitter_small_pred.csv")
    let text = try String(contentsOf: url, encoding: .utf8)
    let parsed = try Task2Rows.parse(text, path: url.path)
    #expect(try Task2Rows.read(url) == parsed)
    #expect(parsed.count == 128)
    let first = try #require(parsed.first)
    #expect(
      first == row(0, .keysJangling, -0.6679045729671084, 1.0727436861588324, -0.14251166713587457))
  }

  @Test("a missing file is .notFound and names the path")
  func missingFile() {
    let url = URL(fileURLWithPath: "/nonexistent/pred/x.csv")
    let error = #expect(throws: MetricsError.self) { try Task2Rows.read(url) }
    #expect(error?.code == .notFound)
    #expect(error?.path == "/nonexistent/pred/x.csv")
  }

  struct Malformed: Sendable, CustomTestStringConvertible {
    var text: String
    var code: MetricsError.Code
    var row: Int
    var message: String
    var testDescription: String { "\(code): \(text.debugDescription)" }
  }

  @Test(
    "every malformed row names the file and the 1-based row",
    arguments: [
      Malformed(
        text: "frame,class,x,y,z\n0,Knock,0,0,0\n", code: .headerRow, row: 1,
        message: "looks like a header; submission CSVs have none"),
      Malformed(
        text: "Start,End,Class,X,Y,Z\n1,2,Knock,0,0,0\n", code: .headerRow, row: 1,
        message: "looks like the header of a label file"),
      Malformed(
        text: "0,Knock,0,0,0\n1,Dog,0,0,0\n", code: .unknownClass, row: 2,
        message: "unknown class 'Dog'"),
      Malformed(
        text: "0,knock,0,0,0\n", code: .unknownClass, row: 1, message: "unknown class 'knock'"),
      Malformed(text: "0,14,0,0,0\n", code: .unknownClass, row: 1, message: "unknown class id 14"),
      Malformed(
        text: "0,Knock,0,0\n", code: .wrongFieldCount, row: 1, message: "expected 5 fields"),
      Malformed(
        text: "0,Knock,0,0,0,0\n", code: .wrongFieldCount, row: 1, message: "found 6"),
      Malformed(
        text: "0,Knock,0,0,0\n\n1.5,Knock,0,0,0\n", code: .invalidFrame, row: 3,
        message: "frame '1.5' is not a whole number"),
      Malformed(
        text: "-1,Knock,0,0,0\n", code: .invalidFrame, row: 1, message: "frame -1 is negative"),
      Malformed(
        text: "x,Knock,0,0,0\n", code: .invalidFrame, row: 1,
        message: "frame 'x' is not a whole number"),
      Malformed(
        text: "0,Knock,0,0,0\r\n300,Knock,0,0,0\r\n", code: .frameOutOfRange, row: 2,
        message: "frame 300 is out of range: the files have 300 frames (0–299)"),
      Malformed(
        text: "0,Knock,abc,0,0\n", code: .invalidCoordinate, row: 1,
        message: "x: 'abc' is not a number"),
      Malformed(
        text: "0,Knock,0,nan,0\n", code: .invalidCoordinate, row: 1,
        message: "y: 'nan' is not a finite number"),
      Malformed(
        text: "0,Knock,0,0,\n", code: .invalidCoordinate, row: 1, message: "z: '' is not a number"),
      Malformed(
        text: "0,Knock,0,0,0x1p3\n", code: .invalidCoordinate, row: 1, message: "is not a number"),
    ])
  func malformed(_ c: Malformed) {
    let error = #expect(throws: MetricsError.self) {
      try Task2Rows.parse(c.text, path: "pred/x.csv", frameCount: 300)
    }
    #expect(error?.code == c.code)
    #expect(error?.path == "pred/x.csv")
    #expect(error?.row == c.row)
    #expect(error?.message.contains(c.message) == true, "\(String(describing: error))")
    #expect(error?.description.hasPrefix("pred/x.csv:\(c.row): ") == true)
  }

  @Test("the error description reads path:row: message")
  func errorDescription() {
    let error = MetricsError(.unknownClass, "unknown class 'Dog'", path: "pred/x.csv", row: 3)
    #expect(error.description == "pred/x.csv:3: unknown class 'Dog'")
  }

  @Test("fast decimal parsing agrees bit for bit with Double(String)")
  func decimalParsing() throws {
    var generator = TestRandom(seed: 3)
    var texts: [String] = [
      "0", "-0", "0.0", "1", "-1.5", "2.", ".5", "1e3", "1E-3", "123456789012345678",
      "0.000000000000000001", "9007199254740993", "1.7976931348623157e308", "5e-324",
      "0.1", "0.30000000000000004", "1234567890123456789", "12345678901234567890.5",
    ]
    for _ in 0..<20_000 {
      let value = Double.random(in: -4...4, using: &generator)
      texts.append("\(value)")
      var digits = ""
      for _ in 0..<(1 + Int(generator.next() % 19)) { digits.append(String(generator.next() % 10)) }
      let point = Int(generator.next() % UInt64(digits.count + 1))
      var decimal = digits
      decimal.insert(".", at: decimal.index(decimal.startIndex, offsetBy: point))
      texts.append(decimal)
      texts.append(digits + "e-\(generator.next() % 25)")
    }
    for text in texts {
      let csv = "0,Knock,\(text),0,0"
      let parsed = try Task2Rows.parse(csv, path: "n.csv")
      let expected = try #require(Double(text), "\(text)")
      #expect(parsed.first?.position.x.bitPattern == expected.bitPattern, "\(text)")
    }
  }
}

// MARK: - The plain-row path and the general path

/// A random detection CSV mixing what the plain-row path reads (Python-style numbers, names,
/// ids, LF and CRLF) with what only the general path reads (exponents, 20+ digit numbers,
/// `12.0` frames, `7.0` ids), and the rows it must give (values from `Double(String)`).
private func randomDetectionCSV(_ g: inout TestRandom, lines: Int) -> (String, [DetectionRow]) {
  func pick<T>(_ options: [T]) -> T { options[Int(g.next() % UInt64(options.count))] }
  func number() -> String {
    let value = Double.random(in: -4...4, using: &g)
    switch g.next() % 16 {
    case 0: return String(format: "%.\(g.next() % 24)f", value)  // up to 24 decimals
    case 1: return pick(["0", "-0", "-0.0", "+2.25", ".5", "5.", "3", "1e-05", "2.5E+3", "-7e0"])
    case 2:
      return pick([
        "0.000123456789012345678", "4503599627370496.5", "9007199254740993",
        "0.30000000000000004", "1234567890123456789", "0.1", "-1.9999999999999999",
      ])
    case 3: return "\(value * 1e-6)"  // Swift prints these with an exponent
    default: return "\(value)"  // the shortest round trip, as Python's repr
    }
  }
  var text = g.next() % 8 == 0 ? "\u{FEFF}" : ""
  var rows: [DetectionRow] = []
  for index in 0..<lines {
    if g.next() % 40 == 0 { text += pick(["\n", "\r\n", "  \n"]) }
    let frame = Int(g.next() % 600)
    let soundClass = SoundClass.allCases[Int(g.next() % 14)]
    let frameText = g.next() % 30 == 0 ? "\(frame).0" : "\(frame)"
    let classText: String
    switch g.next() % 10 {
    case 0, 1: classText = "\(soundClass.rawValue)"
    case 2: classText = g.next() % 2 == 0 ? "\(soundClass.rawValue).0" : "0\(soundClass.rawValue)"
    default: classText = soundClass.officialName
    }
    let (x, y, z) = (number(), number(), number())
    text += "\(frameText),\(classText),\(x),\(y),\(z)"
    if index < lines - 1 || g.next() % 2 == 0 { text += g.next() % 5 == 0 ? "\r\n" : "\n" }
    // NaN (never equal bit for bit to a parsed value) if the generator wrote a non-number.
    let position = SIMD3([x, y, z].map { Double($0) ?? .nan })
    rows.append(DetectionRow(frame: frame, soundClass: soundClass, position: position))
  }
  return (text, rows)
}

/// Equal rows, positions compared bit for bit (so -0.0 is not 0.0).
private func identical(_ a: [DetectionRow], _ b: [DetectionRow]) -> Bool {
  a.count == b.count
    && zip(a, b).allSatisfy { p, q in
      p.frame == q.frame && p.soundClass == q.soundClass
        && (0..<3).allSatisfy { p.position[$0].bitPattern == q.position[$0].bitPattern }
    }
}

/// The same text with a space before every non-blank line: the plain-row path takes no
/// spaces, so every row then goes through the general path.
private func throughGeneralPath(_ text: String) -> String {
  var text = text
  let bom = text.hasPrefix("\u{FEFF}")
  if bom { text.removeFirst() }
  let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
    line.allSatisfy({ $0 == " " || $0 == "\r" }) ? String(line) : " " + line
  }
  return (bom ? "\u{FEFF}" : "") + lines.joined(separator: "\n")
}

@Suite("SELD: the plain-row reader and the general reader agree")
struct SELDPlainRowTests {
  @Test("fixtures and 400 random files: the same rows through both paths, and as written")
  func bothPathsGiveTheSameRows() throws {
    let root = try fixturesURL().appendingPathComponent("seld")
    for name in try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
    where name.hasSuffix(".csv") {
      let text = try String(contentsOf: root.appendingPathComponent(name), encoding: .utf8)
      let plain = try Task2Rows.parse(text, path: name)
      let general = try Task2Rows.parse(throughGeneralPath(text), path: name)
      #expect(identical(plain, general), "\(name)")
    }
    var generator = TestRandom(seed: 21)
    for _ in 0..<400 {
      let (text, expected) = randomDetectionCSV(&generator, lines: 1 + Int(generator.next() % 60))
      let plain = try Task2Rows.parse(text, path: "r.csv", frameCount: 600)
      let general = try Task2Rows.parse(throughGeneralPath(text), path: "r.csv", frameCount: 600)
      #expect(identical(plain, expected), "\(text.debugDescription)")
      #expect(identical(general, expected), "\(text.debugDescription)")
    }
  }

  @Test("decimal ties and near-ties at 53 bits agree bit for bit with Double(String)")
  func ties() throws {
    var generator = TestRandom(seed: 5)
    var texts: [String] = []
    for q in 1...4 {
      var five: UInt64 = 1
      for _ in 0..<q { five *= 5 }
      for _ in 0..<2_000 {
        // s · 5^q / 10^q = s / 2^q with an odd 54-bit s: exactly halfway between two doubles.
        let s = (UInt64(1) << 53) | (generator.next() & ((UInt64(1) << 53) - 1)) | 1
        let (m, overflow) = s.multipliedReportingOverflow(by: five)
        guard !overflow else { continue }
        for mantissa in [m - 1, m, m + 1] {
          var digits = String(mantissa)
          while digits.count <= q { digits = "0" + digits }
          digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -q))
          texts.append(digits)
        }
      }
    }
    for text in texts {
      let rows = try Task2Rows.parse("0,Knock,\(text),-\(text),0", path: "t.csv")
      let expected = try #require(Double(text))
      #expect(rows.first?.position.x.bitPattern == expected.bitPattern, "\(text)")
      #expect(rows.first?.position.y.bitPattern == (-expected).bitPattern, "\(text)")
    }
  }

  @Test("reading into a fresh array or a reused buffer gives the rows of parsing the text")
  func readingPathsAgree() throws {
    let directory = try TemporaryDirectory(prefix: "seld-read")
    var generator = TestRandom(seed: 9)
    var files: [(URL, [DetectionRow])] = []
    for index in 0..<12 {
      let (text, expected) = randomDetectionCSV(
        &generator, lines: index % 3 == 0 ? 2_000 : 1 + Int(generator.next() % 50))
      let url = directory.path("\(index).csv")
      try text.write(to: url, atomically: true, encoding: .utf8)
      files.append((url, expected))
    }
    // Short rows: more rows than the reader's first guess (one per 48 bytes).
    let short = directory.path("short.csv")
    try String(repeating: "1,7,0,0,0\n", count: 5_000).write(
      to: short, atomically: true, encoding: .utf8)
    files.append(
      (
        short,
        Array(repeating: DetectionRow(frame: 1, soundClass: .knock, position: .zero), count: 5_000)
      ))
    let empty = directory.path("empty.csv")
    try "".write(to: empty, atomically: true, encoding: .utf8)
    files.append((empty, []))
    var buffer = Task2RowBuffer()
    for (url, expected) in files + files.reversed() {
      #expect(
        identical(try Task2Rows.read(url, frameCount: 600), expected), "\(url.lastPathComponent)")
      try Task2Rows.read(url, frameCount: 600, into: &buffer)
      #expect(identical(buffer.withRows { Array($0) }, expected), "\(url.lastPathComponent)")
    }
  }

  struct Malformed: Sendable, CustomTestStringConvertible {
    var text: String
    var code: MetricsError.Code
    var row: Int
    var message: String
    var testDescription: String { "\(code): \(text.debugDescription)" }
  }

  @Test(
    "rows that start like plain rows but are not: the same error, naming file and row, on every path",
    arguments: [
      Malformed(
        text: "0,Knock,0.5,1.5,2.5,3\n", code: .wrongFieldCount, row: 1, message: "found 6"),
      Malformed(
        text: "0,Knock,0,0,0\n1,Knocks,0,0,0\n", code: .unknownClass, row: 2,
        message: "unknown class 'Knocks'"),
      Malformed(text: "0,Kn,0,0,0\n", code: .unknownClass, row: 1, message: "unknown class 'Kn'"),
      Malformed(
        text: "0,Female_speech_and_woman_speakinG,0,0,0\n", code: .unknownClass, row: 1,
        message: "unknown class 'Female_speech_and_woman_speakinG'"),
      Malformed(
        text: "0,Knock,0,0,0\n1,Knock,0,0,0\n299,14,0,0,0", code: .unknownClass, row: 3,
        message: "unknown class id 14"),
      Malformed(
        text: "0,Knock,1.5e,0,0\n", code: .invalidCoordinate, row: 1,
        message: "x: '1.5e' is not a number"),
      Malformed(
        text: "0,Knock,0.1234567890123456789012,0,0\n5,Knock,0,0,--1\n", code: .invalidCoordinate,
        row: 2, message: "z: '--1' is not a number"),
      Malformed(
        text: "0,Knock,0,1e999,0\n", code: .invalidCoordinate, row: 1,
        message: "y: '1e999' is not a finite number"),
      Malformed(
        text: "0,Knock,0,0,0\n\r\n1234567890,Knock,0,0,0\n", code: .frameOutOfRange, row: 3,
        message: "frame 1234567890 is out of range"),
      Malformed(
        text: "0,Knock,0,0,0\n299,Knock,0,0,0\n300,Knock,0,0,0", code: .frameOutOfRange, row: 3,
        message: "frame 300 is out of range"),
      Malformed(
        text: "0,Knock,0,0,0\r\r\n", code: .invalidCoordinate, row: 1, message: "z: '0"),
      Malformed(text: "0,Knock,0,0,\n", code: .invalidCoordinate, row: 1, message: "z: '' is not"),
      Malformed(
        text: "0,Knock,-,0,0\n", code: .invalidCoordinate, row: 1, message: "x: '-' is not"),
      Malformed(
        text: "0,Knock,0,.,0\n", code: .invalidCoordinate, row: 1, message: "y: '.' is not"),
    ])
  func malformed(_ c: Malformed) throws {
    let directory = try TemporaryDirectory(prefix: "seld-malformed")
    let url = directory.path("x.csv")
    try c.text.write(to: url, atomically: true, encoding: .utf8)
    var buffer = Task2RowBuffer()
    let errors = [
      #expect(throws: MetricsError.self) {
        try Task2Rows.parse(c.text, path: url.path, frameCount: 300)
      },
      #expect(throws: MetricsError.self) { try Task2Rows.read(url, frameCount: 300) },
      #expect(throws: MetricsError.self) { try Task2Rows.read(url, frameCount: 300, into: &buffer) },
    ]
    for error in errors {
      #expect(error?.code == c.code)
      #expect(error?.path == url.path)
      #expect(error?.row == c.row)
      #expect(error?.message.contains(c.message) == true, "\(String(describing: error))")
      #expect(error == errors[0])
    }
  }
}

// MARK: - Label events to frames

@Suite("SELD: label events to frame rows (official quantisation)")
struct SELDFramesTests {
  @Test("1.0–2.0 s at 30 s / 300 frames covers frames 9…19, inclusive")
  func documentedCase() {
    let event = SoundEvent(
      startSeconds: 1.0, endSeconds: 2.0, soundClass: .knock, position: SIMD3(1, 0.5, -0.25))
    let rows = Task2Rows.frames(from: [event], frameCount: 300, sceneSeconds: 30)
    #expect(rows.map(\.frame) == Array(9...19))
    #expect(rows.allSatisfy { $0.soundClass == .knock && $0.position == SIMD3(1, 0.5, -0.25) })
  }

  // Expected frames computed with the official code: int(np.interp(round(t / 0.1) * 0.1,
  // (0, dur), (0, n − 1))).
  @Test(
    "frame indices equal the official converter's",
    arguments: [
      (0.0, 0, 0), (0.05, 0, 0), (0.15, 0, 0), (0.25, 1, 1), (0.35, 2, 2), (0.45, 3, 3),
      (2.05, 19, 19), (9.95, 98, 98), (12.34, 122, 122), (29.9, 298, 298), (29.95, 299, 299),
      (30.0, 299, 299), (31.0, 299, 309), (59.95, 299, 599), (60.0, 299, 599),
    ])
  func frameIndex(seconds: Double, l3das22: Int, l3das21: Int) {
    #expect(Task2Rows.frameIndex(seconds: seconds, frameCount: 300, sceneSeconds: 30) == l3das22)
    #expect(Task2Rows.frameIndex(seconds: seconds, frameCount: 600, sceneSeconds: 60) == l3das21)
  }

  @Test("rows are ordered by frame, then class, then event order; a 4th same-class event is kept")
  func orderingAndOverlaps() {
    let events = [
      SoundEvent(
        startSeconds: 0.3, endSeconds: 0.5, soundClass: .writing, position: SIMD3(1, 0, 0)),
      SoundEvent(startSeconds: 0.0, endSeconds: 0.4, soundClass: .knock, position: SIMD3(0, 1, 0)),
      SoundEvent(startSeconds: 0.2, endSeconds: 0.3, soundClass: .knock, position: SIMD3(0, 2, 0)),
      SoundEvent(startSeconds: 0.2, endSeconds: 0.3, soundClass: .knock, position: SIMD3(0, 3, 0)),
      SoundEvent(startSeconds: 0.2, endSeconds: 0.3, soundClass: .knock, position: SIMD3(0, 4, 0)),
    ]
    let rows = Task2Rows.frames(from: events, frameCount: 300, sceneSeconds: 30)
    // Frames: writing 0.3→2, 0.5→4; knock 0.0→0, 0.4→3; the three short knocks 0.2→1, 0.3→2.
    let listed = rows.map { "\($0.frame):\($0.soundClass.officialName):\(Int($0.position.y))" }
    #expect(
      listed == [
        "0:Knock:1",
        "1:Knock:1", "1:Knock:2", "1:Knock:3", "1:Knock:4",
        "2:Knock:1", "2:Knock:2", "2:Knock:3", "2:Knock:4", "2:Writing:0",
        "3:Knock:1", "3:Writing:0",
        "4:Writing:0",
      ])
  }

  @Test("rows converted from labels score perfectly against themselves")
  func selfScore() {
    let events = [
      SoundEvent(startSeconds: 1, endSeconds: 2, soundClass: .knock, position: SIMD3(0, 0, 0)),
      SoundEvent(startSeconds: 1.5, endSeconds: 4, soundClass: .knock, position: SIMD3(0.5, 0, 0)),
    ]
    let rows = Task2Rows.frames(from: events, frameCount: 300, sceneSeconds: 30)
    let score = LocationSensitiveDetection.score(prediction: rows, reference: rows, frameCount: 300)
    #expect(counts(score) == [rows.count, 0, 0])
  }
}

// MARK: - DCASE-style

private func tpFpFn(_ r: DCASEStyleSELDReport) -> [Int] {
  [r.truePositives, r.falsePositives, r.falseNegatives]
}

private func sdi(_ r: DCASEStyleSELDReport) -> [Int] {
  [r.substitutions, r.deletions, r.insertions]
}

@Suite("SELD: DCASE 2021-style segment metrics (metres)")
struct SELDDCASEStyleTests {
  private func report(
    _ prediction: [DetectionRow], _ reference: [DetectionRow], threshold: Double = 1.0
  ) -> DCASEStyleSELDReport {
    var metric = DCASEStyleSELD(threshold: threshold, frameCount: 20)
    metric.update(prediction: prediction, reference: reference)
    return metric.report
  }

  private func track(_ frames: Range<Int>, _ soundClass: SoundClass, _ x: Double) -> [DetectionRow]
  {
    frames.map { DetectionRow(frame: $0, soundClass: soundClass, position: SIMD3(x, 0, 0)) }
  }

  @Test("a track 0.5 m off, within 1 m: TP, ER 0, LE 0.5, LR 1")
  func closeTrack() throws {
    let r = report(track(0..<10, .knock, 0.5), track(0..<10, .knock, 0))
    #expect(tpFpFn(r) == [1, 0, 0])
    #expect(r.referenceCount == 1)
    #expect(r.errorRate == 0)
    #expect(abs(r.fScore - 1) < 1e-12)
    #expect(abs(try #require(r.localizationError) - 0.5) < 1e-12)
    #expect(abs(r.localizationRecall - 1) < 1e-12)
  }

  @Test("a track exactly at the threshold is a TP (≤, unlike the L3DAS rule)")
  func inclusiveThreshold() {
    let r = report(track(0..<10, .knock, 1), track(0..<10, .knock, 0))
    #expect(r.truePositives == 1)
  }

  @Test("a track 3 m off: FP and insertion, ER 1, F 0, LE 3")
  func farTrack() throws {
    let r = report(track(0..<10, .knock, 3), track(0..<10, .knock, 0))
    #expect(tpFpFn(r) == [0, 1, 0])
    #expect(sdi(r) == [0, 0, 1])
    #expect(abs(r.errorRate - 1) < 1e-12)
    #expect(r.fScore == 0)
    #expect(abs(try #require(r.localizationError) - 3) < 1e-12)
    #expect(abs(r.localizationRecall - 1) < 1e-12)
  }

  @Test("a missed track: FN and deletion, LE undefined, LR 0")
  func missedTrack() {
    let r = report([], track(0..<10, .knock, 0) + track(10..<20, .printer, 0))
    #expect(tpFpFn(r) == [0, 0, 2])
    #expect(sdi(r) == [0, 2, 0])
    #expect(r.referenceCount == 2)
    #expect(abs(r.errorRate - 1) < 1e-12)
    #expect(r.localizationError == nil)
    #expect(r.localizationRecall == 0)
  }

  @Test("a wrong class in the same segment is one substitution")
  func substitution() {
    let r = report(track(0..<10, .printer, 0), track(0..<10, .knock, 0))
    #expect(r.falsePositives == 1 && r.falseNegatives == 1)
    #expect(sdi(r) == [1, 0, 0])
    #expect(r.localizationFalsePositives == 1 && r.localizationFalseNegatives == 1)
  }

  @Test("two same-class references, one prediction: Hungarian picks the nearer, one FN")
  func multiInstance() throws {
    let reference = track(0..<10, .knock, 0) + track(0..<10, .knock, 2)
    let r = report(track(0..<10, .knock, 1.9), reference)
    #expect(tpFpFn(r) == [1, 0, 1])
    #expect(sdi(r) == [0, 1, 0])
    #expect(abs(r.errorRate - 0.5) < 1e-12)
    #expect(abs(r.fScore - 2.0 / 3.0) < 1e-12)
    #expect(abs(try #require(r.localizationError) - 0.1) < 1e-12)
    #expect(abs(r.localizationRecall - 0.5) < 1e-12)
  }

  @Test("distances are averaged per reference track over the segment's frames")
  func averaging() throws {
    // 5 frames at 0.2 m and 5 at 1.6 m: mean 0.9 ≤ 1 → TP, although half the frames are far.
    let prediction = track(0..<5, .knock, 0.2) + track(5..<10, .knock, 1.6)
    let r = report(prediction, track(0..<10, .knock, 0))
    #expect(r.truePositives == 1)
    #expect(abs(try #require(r.localizationError) - 0.9) < 1e-12)
  }

  @Test("no common frame inside a segment adds the predicted track count to FN (as DCASE 2021)")
  func noCommonFrame() {
    let r = report(track(5..<10, .knock, 0), track(0..<5, .knock, 0))
    #expect(tpFpFn(r) == [0, 0, 1])
    #expect(r.localizationFalseNegatives == 1)
    #expect(r.deletions == 1)
  }

  @Test("the optional report in LocationSensitiveDetection equals a separate accumulator")
  func embedded() throws {
    let prediction = track(0..<10, .knock, 0.5) + track(3..<14, .printer, 3)
    let reference = track(0..<12, .knock, 0) + track(0..<10, .printer, 0)
    var metric = LocationSensitiveDetection(threshold: 1, frameCount: 20, includeDCASEStyle: true)
    metric.update(prediction: prediction, reference: reference, file: "a")
    let embedded = try #require(metric.report.dcaseStyle)
    #expect(embedded == report(prediction, reference))
    let data = try JSONEncoder().encode(metric.report)
    let decoded = try JSONDecoder().decode(DetectionReport.self, from: data)
    #expect(decoded == metric.report)
  }
}
