import Datasets
import Foundation
import NumPyIO
import Submission
import Testing
import _TestSupport

@Suite("Task 1 submission validation")
struct Task1ValidationTests {
  let length = 1_600

  func fixture() throws -> ValidationFixture {
    try ValidationFixture(items: ["84-121123-0000": length, "84-121123-0001": length], sampleRate: 16_000)
  }

  func validEstimate() -> [Float] { (0..<length).map { Float(sin(Double($0) * 0.05)) * 0.1 } }

  @Test("the shipped example submission is valid")
  func example() throws {
    let report = try SubmissionValidator.validate(
      submission: examplesFolder.appendingPathComponent("task1"),
      test: examplesFolder.appendingPathComponent("test/task1"),
      options: .init(task: .speechEnhancement))
    #expect(report.isValid, "\(report.text)")
    #expect(report.problems.isEmpty)
    #expect(report.expectedItemCount == 2 && report.validItemCount == 2)
  }

  @Test("a valid submission: (N,), (1, N), float16/64 and big-endian arrays, .DS_Store ignored")
  func valid() throws {
    let f = try fixture()
    try f.writeNumPy(validEstimate(), shape: [length], "84-121123-0000.npy")
    try f.writeNumPy(validEstimate(), shape: [1, length], "84-121123-0001.npy")
    try f.write("junk", ".DS_Store")
    var report = try f.validate(task: .speechEnhancement)
    #expect(report.isValid, "\(report.text)")
    #expect(report.problems.isEmpty)
    #expect(report.validItemCount == 2)

    // Big-endian float64 and little-endian float16.
    var be: [UInt8] = []
    for v in validEstimate() { withUnsafeBytes(of: Double(v).bitPattern.bigEndian) { be += $0 } }
    try f.write(bytes: numPyBytes(header: "{'descr': '>f8', 'fortran_order': False, 'shape': (\(length),), }", data: be), "84-121123-0000.npy")
    var half: [UInt8] = []
    for v in validEstimate() { withUnsafeBytes(of: Float16(v).bitPattern.littleEndian) { half += $0 } }
    try f.write(bytes: numPyBytes(header: "{'descr': '<f2', 'fortran_order': False, 'shape': (\(length),), }", data: half, version: 2), "84-121123-0001.npy")
    report = try f.validate(task: .speechEnhancement)
    #expect(report.isValid, "\(report.text)")
  }

  @Test("multichannel, column, scalar and 3-D arrays are not mono")
  func notMono() throws {
    let f = try fixture()
    try f.writeNumPy([Float](repeating: 0.1, count: 4 * length), shape: [4, length], "84-121123-0000.npy")
    try f.writeNumPy([Float](repeating: 0.1, count: length), shape: [length, 1], "84-121123-0001.npy")
    var report = try f.validate(task: .speechEnhancement)
    #expect(!report.isValid)
    #expect(report.kinds == [.notMono, .notMono])
    #expect(report.problems[0].message.contains("holds 4 channels"))
    #expect(report.problems[0].file == "84-121123-0000.npy")
    #expect(report.problems[1].message.contains("column"))

    try f.writeNumPy([0.5], shape: [], "84-121123-0000.npy")
    try f.writeNumPy([Float](repeating: 0.1, count: length), shape: [1, 1, length], "84-121123-0001.npy")
    report = try f.validate(task: .speechEnhancement)
    #expect(report.kinds == [.notMono, .notMono])
    #expect(report.problems[0].message.contains("0-d"))
    #expect(report.problems[1].message.contains("3 axes"))
  }

  @Test("a wrong length names both lengths and the direction")
  func wrongLength() throws {
    let f = try fixture()
    try f.writeNumPy([Float](repeating: 0.1, count: length + 64), shape: [length + 64], "84-121123-0000.npy")
    try f.writeNumPy([Float](repeating: 0.1, count: length - 1), shape: [length - 1], "84-121123-0001.npy")
    let report = try f.validate(task: .speechEnhancement)
    #expect(report.kinds == [.wrongLength, .wrongLength])
    #expect(report.problems[0].message.contains("\(length + 64) samples"))
    #expect(report.problems[0].message.contains("64 too many"))
    #expect(report.problems[0].hint?.contains("x[:\(length)]") == true)
    #expect(report.problems[1].message.contains("1 too few"))
  }

  @Test("NaN and infinite samples are counted with the first position; silence is a warning")
  func values() throws {
    let f = try fixture()
    var bad = validEstimate()
    bad[100] = .nan
    bad[200] = .infinity
    try f.writeNumPy(bad, shape: [length], "84-121123-0000.npy")
    try f.writeNumPy([Float](repeating: 0, count: length), shape: [length], "84-121123-0001.npy")
    let report = try f.validate(task: .speechEnhancement)
    #expect(report.kinds == [.nonFinite, .silent])
    #expect(report.problems[0].message.contains("2 of \(length) samples"))
    #expect(report.problems[0].message.contains("first at sample 100"))
    #expect(report.problems[1].severity == .warning)
    #expect(!report.isValid)
    #expect(report.validItemCount == 1)
  }

  @Test("integer arrays are not float")
  func notFloat() throws {
    let f = try fixture()
    let ints = [UInt8](repeating: 1, count: 2 * length)
    try f.write(bytes: numPyBytes(header: "{'descr': '<i2', 'fortran_order': False, 'shape': (\(length),), }", data: ints), "84-121123-0000.npy")
    try f.writeNumPy(validEstimate(), shape: [length], "84-121123-0001.npy")
    let report = try f.validate(task: .speechEnhancement)
    #expect(report.kinds == [.notFloat])
    #expect(report.problems[0].message.contains("dtype <i2 is not a float type"))
  }

  @Test("pickles, wrong magic, truncated and trailing files are invalid .npy, never loaded")
  func invalidNumPy() throws {
    let f = try fixture()
    let cases: [([UInt8], String)] = [
      ([0x80, 0x04, 0x95] + [UInt8](repeating: 0x41, count: 40), "pickle"),
      (Array("hello, this is text".utf8), "magic"),
      (Array(NumPyFile.encode(validEstimate(), shape: [length]).dropLast(10)), "needs"),
      (Array(NumPyFile.encode(validEstimate(), shape: [length])) + [1, 2, 3], "3 bytes follow"),
      ([], "empty"),
      (Array(NumPyFile.encode(validEstimate(), shape: [length]).prefix(30)), "cut short"),
    ]
    for (bytes, phrase) in cases {
      try f.write(bytes: bytes, "84-121123-0000.npy")
      try f.writeNumPy(validEstimate(), shape: [length], "84-121123-0001.npy")
      let report = try f.validate(task: .speechEnhancement)
      #expect(report.kinds == [.invalidNumPy], "\(phrase): \(report.text)")
      #expect(report.problems.first?.message.contains(phrase) == true, "\(phrase): \(report.text)")
      #expect(report.problems.first?.hint?.isEmpty == false)
    }
  }

  @Test("missing, unexpected and misnamed files, folders and Task 2 files are all reported at once")
  func names() throws {
    let f = try fixture()
    try f.writeNumPy(validEstimate(), shape: [length], "84-121123-0000_A.npy")
    try f.writeNumPy(validEstimate(), shape: [length], "99-000000-0000.npy")
    try f.write("1,2,3", "84-121123-0001.csv")
    try f.write("notes", "README.txt")
    try f.writeNumPy(validEstimate(), shape: [length], "84-121123-0001.NPY")
    try FileManager.default.createDirectory(at: f.url("nested"), withIntermediateDirectories: true)
    let report = try f.validate(task: .speechEnhancement)
    #expect(!report.isValid)
    #expect(report.problems(.missingItem).count == 2)
    #expect(report.problems(.unexpectedItem).count == 2)
    #expect(report.problems(.unexpectedFile).count == 4)
    let misnamed = report.problems.first { $0.file == "84-121123-0000_A.npy" }
    #expect(misnamed?.hint == "drop the mic suffix: name it 84-121123-0000.npy")
    let csv = report.problems.first { $0.file == "84-121123-0001.csv" }
    #expect(csv?.hint?.contains("--task 2") == true)
    let upper = report.problems.first { $0.file == "84-121123-0001.NPY" }
    #expect(upper?.hint?.contains("case-sensitive") == true)
    #expect(report.problems.contains { $0.file == "nested/" })
    #expect(report.submittedFileCount == 5)
    // Every problem has a message; file problems name their file.
    #expect(report.problems.allSatisfy { !$0.message.isEmpty && $0.file != nil })
  }

  @Test("lists are capped: 30 missing items give 10 lines and a count")
  func capped() throws {
    var items: [String: Int] = [:]
    for i in 0..<30 { items[String(format: "1-2-%04d", i)] = 160 }
    let f = try ValidationFixture(items: items, sampleRate: 16_000)
    let report = try f.validate(task: .speechEnhancement)
    #expect(report.problems(.missingItem).count == 10)
    let more = report.problems(.moreProblems)
    #expect(more.count == 1)
    #expect(more.first?.message.contains("20 more of the same (missing items; 30 in all") == true)
    #expect(report.errorCount == 11)
  }

  @Test("a 48 kHz test item expects the librosa-resampled 16 kHz length")
  func resampledLength() throws {
    let f = try ValidationFixture(items: ["1-1-0001": 4_801], sampleRate: 48_000)
    try f.writeNumPy([Float](repeating: 0.1, count: 1_601), shape: [1_601], "1-1-0001.npy")
    let report = try f.validate(task: .speechEnhancement)
    #expect(report.isValid, "\(report.text)")
  }

  @Test("a missing submission or test folder is an error, not a report")
  func usage() throws {
    let f = try fixture()
    #expect(throws: SubmissionError.self) {
      try f.validate(task: .speechEnhancement, submission: f.directory.path("nope"))
    }
    #expect(throws: SubmissionError.self) {
      try SubmissionValidator.validate(
        submission: f.submission, test: f.directory.path("nope"), options: .init(task: .speechEnhancement))
    }
    try f.write("x", "file.txt")
    #expect(throws: SubmissionError.self) {
      try f.validate(task: .speechEnhancement, submission: f.url("file.txt"))
    }
  }
}
