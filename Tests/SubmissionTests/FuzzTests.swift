import Datasets
import Foundation
import Metrics
import NumPyIO
import Submission
import TensorModule
import Testing
import _TestSupport

/// Randomly corrupted `.npy` and CSV files, fed to the readers and to the validator: no crash,
/// no hang, and every failure a specific error with a message.
@Suite("Fuzzing the readers and the validator", .timeLimit(.minutes(3)))
struct FuzzTests {
  static let casesPerKind = 10_000

  // MARK: - Corpus

  static let descriptors = [
    "<f4", ">f4", "<f8", "<f2", "<i2", "|u1", "|b1", "|O", "<c8", "<U10", "[('a', '<f4')]", "<f16",
    "bogus", "", "<f4'", "<V8",
  ]
  static let shapes = [
    "(64,)", "(1, 64)", "(4, 16)", "()", "(18446744073709551616,)", "(-1,)",
    "(9999999999, 9999999999)", "(99999999999999999999999999,)", "((", "(1,2,3,4,5,6,7,8)", "(64",
    "64", "(0,)", "(3037000500, 3037000500)", "(1e9,)", "(१२,)",
  ]

  /// One corrupted `.npy` file: a valid file of a random dtype, order and version, then 1–3
  /// random corruptions.
  static func corruptNumPy(_ rng: inout SplitMix64) -> [UInt8] {
    let count = Int.random(in: 0...64, using: &rng)
    let descr = ["<f4", ">f8", "<f2", "<i2"].randomElement(using: &rng)!
    let size = descr == "<f4" ? 4 : descr == ">f8" ? 8 : 2
    let data = (0..<(count * size)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(count),), }"
    var version: UInt8 = [1, 2, 3].randomElement(using: &rng)!
    for _ in 0..<Int.random(in: 1...3, using: &rng) {
      switch Int.random(in: 0..<6, using: &rng) {
      case 0: header = header.replacingOccurrences(of: "(\(count),)", with: shapes.randomElement(using: &rng)!)
      case 1: header = header.replacingOccurrences(of: "'\(descr)'", with: "'\(descriptors.randomElement(using: &rng)!)'")
      case 2: header = header.replacingOccurrences(of: "False", with: ["True", "1", "'x'", "None", ""].randomElement(using: &rng)!)
      case 3:
        var scalars = Array(header.unicodeScalars)
        if !scalars.isEmpty {
          scalars.remove(at: Int.random(in: 0..<scalars.count, using: &rng))
        }
        header = String(String.UnicodeScalarView(scalars))
      case 4: version = UInt8.random(in: 0...5, using: &rng)
      default: header = ["", "{", "}", "{'descr': '<f4'}", "__import__('os').system('x')", "[]"].randomElement(using: &rng)!
      }
    }
    var bytes = numPyBytes(header: header, data: data, version: version == 1 ? 1 : 2)
    if version != 1 && version != 2 { bytes[6] = version }
    switch Int.random(in: 0..<7, using: &rng) {
    case 0: bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
    case 1:
      for _ in 0..<Int.random(in: 1...8, using: &rng) where !bytes.isEmpty {
        bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
      }
    case 2: bytes += (0..<Int.random(in: 1...100, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    case 3: bytes = (0..<Int.random(in: 0...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    case 4 where bytes.count >= 12:
      // A random header length, up to 4 GiB for versions 2 and 3.
      for k in 8..<(bytes[6] == 1 ? 10 : 12) { bytes[k] = UInt8.random(in: 0...255, using: &rng) }
    case 5: bytes = [0x80, 0x04] + bytes
    default: break
    }
    return bytes
  }

  static let fields = [
    "", " ", ",", ",,,,", "1e400", "-0", "0x1p3", "inf", "-inf", "NaN", "１２", "\"", "\"\"\"", "\t",
    "\u{0}", String(repeating: "9", count: 400), "Knock", "knock", "Knok", "Writing", "13", "14", "-1",
    "299", "300", "7.0", "7.5", "1_000", "1e5", ".5", "5.", "+3", "--3", "é", "🎧", "\\N", "null",
    "frame", "Start", "0.1", "-1.25",
  ]

  /// One corrupted detection CSV.
  static func corruptCSV(_ rng: inout SplitMix64) -> [UInt8] {
    var lines: [String] = []
    for _ in 0..<Int.random(in: 0...30, using: &rng) {
      if Int.random(in: 0..<3, using: &rng) == 0 {
        lines.append("\(Int.random(in: 0..<300, using: &rng)),\(Int.random(in: 0..<14, using: &rng)),0.5,-1.25,0.3")
      } else {
        let count = Int.random(in: 0...7, using: &rng)
        lines.append((0..<count).map { _ in fields.randomElement(using: &rng)! }.joined(separator: ","))
      }
    }
    var bytes = Array(lines.joined(separator: ["\n", "\r\n", "\r"].randomElement(using: &rng)!).utf8)
    switch Int.random(in: 0..<6, using: &rng) {
    case 0: bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
    case 1:
      for _ in 0..<Int.random(in: 1...8, using: &rng) where !bytes.isEmpty {
        bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
      }
    case 2: bytes = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    case 3: bytes += Array(String(repeating: ",", count: Int.random(in: 1...2_000, using: &rng)).utf8)
    case 4: bytes = [0xEF, 0xBB, 0xBF] + bytes
    default: break
    }
    return bytes
  }

  // MARK: - Readers

  @Test("10,000 corrupted .npy files: the header parser, the reader and the streaming scanner")
  func numPyReaders() throws {
    var rng = SplitMix64Seeded.make(0x6E70_7966)
    var failures = 0
    for _ in 0..<Self.casesPerKind {
      let bytes = Self.corruptNumPy(&rng)
      var outcomes: [String] = []
      do {
        let result = try bytes.withUnsafeBytes { try NumPyFile.readFloats($0, path: "fuzz.npy") }
        outcomes.append("ok \(result.values.count)")
      } catch let error as NumPyError {
        #expect(!error.message.isEmpty && error.description.hasPrefix("fuzz.npy: "))
        outcomes.append("error")
        failures += 1
      }
      // The scanner, fed in random chunks, agrees with the reader on success or failure.
      var scanner = NumPyScanner(path: "fuzz.npy")
      let chunk = Int.random(in: 1...97, using: &rng)
      do {
        var offset = 0
        while offset < bytes.count {
          let end = min(bytes.count, offset + chunk)
          try bytes[offset..<end].withUnsafeBytes { try scanner.consume($0) }
          offset = end
        }
        let result = try scanner.finish()
        outcomes.append("ok \(result.header.elementCount)")
      } catch let error as NumPyError {
        #expect(!error.message.isEmpty)
        outcomes.append("error")
      }
      #expect(outcomes[0] == outcomes[1], "reader and scanner disagree on \(bytes)")
    }
    #expect(failures > Self.casesPerKind / 2)
  }

  @Test("10,000 corrupted CSV files: the scorer's reader, stopping and collecting")
  func csvReaders() throws {
    var rng = SplitMix64Seeded.make(0x6373_7666)
    for _ in 0..<Self.casesPerKind {
      let bytes = Self.corruptCSV(&rng)
      let collected = bytes.withUnsafeBytes {
        Task2Rows.parseCollectingErrors(bytes: $0, path: "fuzz.csv", frameCount: 300)
      }
      #expect(collected.errors.allSatisfy { !$0.message.isEmpty && $0.row != nil })
      let text = String(decoding: bytes, as: UTF8.self)
      do {
        let rows = try Task2Rows.parse(text, path: "fuzz.csv", frameCount: 300)
        if Array(text.utf8) == bytes {
          #expect(collected.errors.isEmpty && rows == collected.rows)
        }
      } catch let error as MetricsError {
        #expect(!error.message.isEmpty)
        if Array(text.utf8) == bytes { #expect(collected.errors.first == error) }
      }
    }
  }

  // MARK: - Validator

  @Test("10,000 corrupted Task 1 files through the validator, 100 per submission; the scorers' reader agrees on each")
  func task1Validator() throws {
    let ids = (0..<100).map { String(format: "9-9-%04d", $0) }
    let f = try ValidationFixture(items: Dictionary(uniqueKeysWithValues: ids.map { ($0, 64) }), sampleRate: 16_000)
    var rng = SplitMix64Seeded.make(0x7431_6675)
    var invalid = 0
    for _ in 0..<(Self.casesPerKind / ids.count) {
      for id in ids { try f.write(bytes: Self.corruptNumPy(&rng), "\(id).npy") }
      let report = try f.validate(task: .speechEnhancement)
      #expect(report.problems.allSatisfy { !$0.message.isEmpty && $0.file != nil })
      let filesWithErrors = Set(report.problems.filter { $0.severity == .error }.compactMap(\.file))
      #expect(filesWithErrors.count + report.validItemCount == ids.count)
      invalid += filesWithErrors.count
      // validate ≡ score: the scorers' reader accepts exactly the files validate accepts, reads
      // the values NumPy would, and refuses the others with validate's own lines.
      let items = try SubmissionItems(url: f.submission, task: .speechEnhancement)
      for id in ids {
        let file = "\(id).npy"
        let expected = report.problems.filter { $0.file == file && $0.severity == .error }.map(\.description)
        do {
          let values = try items.estimate(id, expectedLength: 64)
          #expect(expected.isEmpty, "score read \(file), which validate refused: \(expected)")
          let bytes = try [UInt8](Data(contentsOf: f.url(file)))
          let reference = try bytes.withUnsafeBytes { try NumPyFile.readFloats($0, path: file).values }
          #expect(values == reference)
        } catch let error as SubmissionFileError {
          #expect(error.problems.map(\.description) == expected, "score and validate disagree on \(file)")
        }
      }
    }
    #expect(invalid > Self.casesPerKind / 2)
  }

  @Test("10,000 corrupted Task 2 files through the validator, 100 per submission; the scorers' reader agrees on each")
  func task2Validator() throws {
    let ids = (0..<100).map { "split9_ov1_\($0)" }
    let f = try ValidationFixture(items: Dictionary(uniqueKeysWithValues: ids.map { ($0, 32) }), sampleRate: 32_000)
    var rng = SplitMix64Seeded.make(0x7432_6675)
    for _ in 0..<(Self.casesPerKind / ids.count) {
      for id in ids { try f.write(bytes: Self.corruptCSV(&rng), "\(id).csv") }
      let report = try f.validate(task: .soundEventLocalizationDetection, edition: .l3das22)
      #expect(report.problems.allSatisfy { !$0.message.isEmpty })
      let filesWithErrors = Set(report.problems.filter { $0.severity == .error }.compactMap(\.file))
      #expect(filesWithErrors.count + report.validItemCount == ids.count)
      let items = try SubmissionItems(url: f.submission, task: .soundEventLocalizationDetection)
      for id in ids {
        let file = "\(id).csv"
        let expected = report.problems.filter { $0.file == file && $0.severity == .error }.map(\.description)
        do {
          let rows = try items.rows(id, frameCount: Edition.l3das22.task2FrameCount)
          #expect(expected.isEmpty, "score read \(file), which validate refused: \(expected)")
          #expect(rows.allSatisfy { (0..<300).contains($0.frame) })
        } catch let error as SubmissionFileError {
          #expect(error.problems.map(\.description) == expected, "score and validate disagree on \(file)")
        }
      }
    }
  }
}
