import Datasets
import Foundation
@testable import Metrics
import Testing

// Reference sets computed by the real reference code (Tools/reference/*_golden.py; see
// Fixtures/README.md): scipy's linear_sum_assignment and the DCASE SELDMetrics.

// MARK: - Fixture loading

private func fixture(_ name: String) throws -> URL {
  try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    .appendingPathComponent(name)
}

private func decode<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
  try JSONDecoder().decode(type, from: Data(contentsOf: try fixture(name)))
}

/// The CSV files of a case folder, in name order (the order the reference scored them in).
private func csvNames(in folder: URL) throws -> [String] {
  try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".csv") }
    .sorted()
}

/// Relative closeness for values computed from the same counts with the same formulas; sums of
/// distances are formed in another order (per file, then over files), hence not `==`.
private func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-12) -> Bool {
  a == b || abs(a - b) <= tolerance * max(abs(a), abs(b))
}

// MARK: - scipy's linear_sum_assignment

struct LSAPReferenceCase: Decodable, Sendable, CustomTestStringConvertible {
  var kind: String
  var rows: Int
  var cols: Int
  var cost: [Double]
  var row_ind: [Int]
  var col_ind: [Int]
  var testDescription: String { "\(kind) \(rows)×\(cols) \(cost)" }
}

@Suite("SELD: minimum-cost assignment breaks ties as scipy does")
struct MinimumCostAssignmentTests {
  @Test("every matrix of lsap.json gets scipy's assignment, ties and rectangles included")
  func scipyAssignments() throws {
    let cases: [LSAPReferenceCase] = referenceCases("lsap.json")
    #expect(cases.count == 480)
    var solver = MinimumCostAssignment()
    var mismatches: [String] = []
    for c in cases {
      c.cost.withUnsafeBufferPointer { solver.solve(cost: $0, rowCount: c.rows, columnCount: c.cols) }
      var expected = [Int](repeating: -1, count: c.rows)
      for (row, column) in zip(c.row_ind, c.col_ind) { expected[row] = column }
      if solver.columnOfRow != expected {
        mismatches.append("\(c.testDescription): scipy \(expected), ours \(solver.columnOfRow)")
      }
    }
    let count = mismatches.count
    #expect(count == 0, "\(count) of \(cases.count) differ, e.g.\n\(mismatches.prefix(3).joined(separator: "\n"))")
  }

  @Test("three rows and two columns at equal total cost: scipy's pairing, not another optimum")
  func threeByTwoTie() {
    // Rows: truths at x = 0, 3, 1.5; columns: predictions at x = 1, 2. Both T2P0 + T1P1 and
    // T0P0 + T2P1 cost 1.5; scipy chooses the first.
    let cost: [Double] = [1, 2, 2, 1, 0.5, 0.5]
    var solver = MinimumCostAssignment()
    cost.withUnsafeBufferPointer { solver.solve(cost: $0, rowCount: 3, columnCount: 2) }
    #expect(solver.columnOfRow == [-1, 1, 0])
  }

  @Test("empty matrices assign nothing")
  func empty() {
    var solver = MinimumCostAssignment()
    [Double]().withUnsafeBufferPointer { solver.solve(cost: $0, rowCount: 3, columnCount: 0) }
    #expect(solver.columnOfRow == [-1, -1, -1])
    [Double]().withUnsafeBufferPointer { solver.solve(cost: $0, rowCount: 0, columnCount: 2) }
    #expect(solver.columnOfRow.isEmpty)
  }
}

// MARK: - DCASE SELDMetrics

struct DCASE2021Counts: Decodable, Sendable {
  var TP: Int
  var FP: Int
  var FN: Int
  var S: Int
  var D: Int
  var I: Int
  var Nref: Int
  var DE_TP: Int
  var DE_FP: Int
  var DE_FN: Int
  var total_DE: Double
}

struct DCASE2021Result: Decodable, Sendable {
  var counts: DCASE2021Counts
  var er: Double
  var f: Double
  var le: Double
  var lr: Double
}

/// One case of a Task 2 reference set: its folders and settings, and what the reference
/// computed (`expected`, decoded from the same JSON object).
struct Task2ReferenceCase<Expected: Decodable & Sendable>: Decodable, Sendable,
  CustomTestStringConvertible
{
  var name: String
  var n_frames: Int
  var threshold: Double
  var prediction: String
  var truth: String
  var expected: Expected
  var testDescription: String { name }

  private enum CodingKeys: String, CodingKey { case name, n_frames, threshold, prediction, truth }

  init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    name = try container.decode(String.self, forKey: .name)
    n_frames = try container.decode(Int.self, forKey: .n_frames)
    threshold = try container.decode(Double.self, forKey: .threshold)
    prediction = try container.decode(String.self, forKey: .prediction)
    truth = try container.decode(String.self, forKey: .truth)
    expected = try Expected(from: decoder)
  }

  /// The case's files, read as l3das reads them, in name order (the reference's order).
  func files() throws -> [(name: String, prediction: [DetectionRow], reference: [DetectionRow])] {
    let predictionFolder = try fixture(prediction)
    let truthFolder = try fixture(truth)
    let names = try csvNames(in: truthFolder)
    #expect(try csvNames(in: predictionFolder) == names)
    return try names.map { name in
      (
        name,
        try Task2Rows.read(predictionFolder.appendingPathComponent(name), frameCount: n_frames),
        try Task2Rows.read(truthFolder.appendingPathComponent(name), frameCount: n_frames)
      )
    }
  }
}

struct DCASE2022Counts: Decodable, Sendable {
  var TP: [Double]
  var FP: [Double]
  var FP_spatial: [Double]
  var FN: [Double]
  var Nref: [Double]
  var DE_TP: [Double]
  var DE_FP: [Double]
  var DE_FN: [Double]
  var total_DE: [Double]
  var S: Int
  var D: Int
  var I: Int
}

struct DCASE2022Result: Decodable, Sendable {
  struct Classwise: Decodable, Sendable {
    var f: [Double]
    var le: [Double]
    var lr: [Double]
  }
  var counts: DCASE2022Counts
  var er: Double
  var f: Double
  var le: Double
  var lr: Double
  var classwise: Classwise?
}

struct DCASEExpected: Decodable, Sendable {
  var dcase2021: DCASE2021Result
  var dcase2022_macro: DCASE2022Result
  var dcase2022_micro: DCASE2022Result
}

typealias DCASEReferenceCase = Task2ReferenceCase<DCASEExpected>

/// A reference set's JSON: its `cases` (the other keys say where it came from).
private struct ReferenceSet<Case: Decodable>: Decodable { var cases: [Case] }

/// The `cases` of a reference set; none when it cannot be read (the count tests then fail).
private func referenceCases<Case: Decodable>(_ name: String) -> [Case] {
  (try? decode(ReferenceSet<Case>.self, name).cases) ?? []
}

private let dcaseCases: [DCASEReferenceCase] = referenceCases("seld-dcase.json")

@Suite("SELD: DCASE-style metrics equal DCASE's SELDMetrics on the same inputs (metres)")
struct DCASEReferenceTests {
  @Test("the reference set is complete")
  func complete() {
    #expect(dcaseCases.count == 21)
  }

  @Test("DCASE 2021: TP, FP, FN, S, D, I, Nref, DE counts exactly; ER, F, LE, LR", arguments: dcaseCases)
  func dcase2021(_ c: DCASEReferenceCase) throws {
    var metric = DCASEStyleSELD(threshold: c.threshold, frameCount: c.n_frames)
    for file in try c.files() { metric.update(prediction: file.prediction, reference: file.reference) }
    let report = metric.report
    let expected = c.expected.dcase2021.counts
    let counts: [Int] = [
      report.truePositives, report.falsePositives, report.falseNegatives, report.substitutions,
      report.deletions, report.insertions, report.referenceCount, report.localizationTruePositives,
      report.localizationFalsePositives, report.localizationFalseNegatives,
    ]
    let official: [Int] = [
      expected.TP, expected.FP, expected.FN, expected.S, expected.D, expected.I, expected.Nref,
      expected.DE_TP, expected.DE_FP, expected.DE_FN,
    ]
    #expect(counts == official, "TP FP FN S D I Nref DE_TP DE_FP DE_FN")
    #expect(close(report.totalLocalizationError, expected.total_DE))
    #expect(close(report.errorRate, c.expected.dcase2021.er))
    #expect(close(report.fScore, c.expected.dcase2021.f))
    #expect(close(report.localizationRecall, c.expected.dcase2021.lr))
    if expected.DE_TP == 0 {
      #expect(report.localizationError == nil && c.expected.dcase2021.le == 180)
    } else {
      #expect(close(try #require(report.localizationError), c.expected.dcase2021.le))
    }
  }
}

@Suite("SELD: DCASE 2022/2023-style metrics equal DCASE 2022's SELDMetrics (metres)")
struct DCASE2022ReferenceTests {
  @Test(
    "per-class TP, FP, spatial FP, FN, Nref, DE counts and S, D, I exactly; ER, F, LE, LR, macro and micro",
    arguments: dcaseCases, DCASEStyleSELD.Averaging.allCases)
  func dcase2022(_ c: DCASEReferenceCase, averaging: DCASEStyleSELD.Averaging) throws {
    let expected = averaging == .macro ? c.expected.dcase2022_macro : c.expected.dcase2022_micro
    var metric = DCASEStyleSELD(
      threshold: c.threshold, frameCount: c.n_frames,
      variant: DCASEStyleSELD.Variant(rules: .dcase2022, averaging: averaging))
    for file in try c.files() { metric.update(prediction: file.prediction, reference: file.reference) }
    let report = metric.report
    #expect(report.rules == .dcase2022 && report.averaging == averaging)
    let counts = expected.counts
    for (k, score) in report.perClass.enumerated() {
      let ours: [Int] = [
        score.truePositives, score.falsePositives - score.spatialFalsePositives,
        score.spatialFalsePositives, score.falseNegatives, score.referenceCount,
        score.localizationTruePositives, score.localizationFalseNegatives,
      ]
      let official = [
        counts.TP, counts.FP, counts.FP_spatial, counts.FN, counts.Nref, counts.DE_TP, counts.DE_FN,
      ].map { Int($0[k]) }
      #expect(ours == official, "class \(k): TP FP FP_spatial FN Nref DE_TP DE_FN")
    }
    let sdi: [Int] = [report.substitutions, report.deletions, report.insertions]
    #expect(sdi == [counts.S, counts.D, counts.I])
    #expect(report.localizationFalsePositives == Int(counts.DE_FP.reduce(0, +)))
    #expect(close(report.errorRate, expected.er))
    #expect(close(report.fScore, expected.f))
    #expect(close(report.localizationRecall, expected.lr))
    // DCASE writes 180 where a class (macro) or the whole set (micro) has no DE_TP.
    let undefined =
      averaging == .macro ? counts.DE_TP.contains(0) : counts.DE_TP.reduce(0, +) == 0
    if undefined {
      #expect(report.localizationError == nil)
    } else {
      #expect(close(try #require(report.localizationError), expected.le))
    }
    if let classwise = expected.classwise {
      for (k, score) in report.perClass.enumerated() {
        #expect(close(score.fScore, classwise.f[k]), "class \(k) F")
        #expect(close(score.localizationRecall, classwise.lr[k]), "class \(k) LR")
        if counts.DE_TP[k] == 0 {
          #expect(score.localizationError == nil && classwise.le[k] == 180, "class \(k) LE")
        } else {
          #expect(close(try #require(score.localizationError), classwise.le[k]), "class \(k) LE")
        }
      }
    }
  }

  @Test("some cases exercise what tells 2022 from 2021: spatial FPs, undefined class LEs, the file length")
  func coverage() {
    #expect(dcaseCases.contains { $0.expected.dcase2022_micro.counts.FP_spatial.contains { $0 > 0 } })
    #expect(dcaseCases.contains { !$0.expected.dcase2022_macro.counts.DE_TP.contains(0) })
    #expect(dcaseCases.contains { $0.expected.dcase2022_macro.le == 180 })
    #expect(
      dcaseCases.contains {
        $0.expected.dcase2021.counts.Nref != Int($0.expected.dcase2022_micro.counts.Nref.reduce(0, +))
      })
  }

  @Test("DCASE 2022: a file without reference rows has no segment, so its predictions count nothing")
  func emptyReference() {
    var metric = DCASEStyleSELD(threshold: 1, frameCount: 300, variant: .dcase2022)
    metric.update(
      prediction: [DetectionRow(frame: 3, soundClass: .knock, position: .zero)], reference: [])
    let report = metric.report
    let counts: [Int] = [report.truePositives, report.falsePositives, report.falseNegatives]
    #expect(counts == [0, 0, 0] && report.referenceCount == 0)
    var dcase2021 = DCASEStyleSELD(threshold: 1, frameCount: 300)
    dcase2021.update(
      prediction: [DetectionRow(frame: 3, soundClass: .knock, position: .zero)], reference: [])
    #expect(dcase2021.report.falsePositives == 1)
  }

  @Test("the text summary names the rules, the averaging and the inclusive threshold")
  func summary() {
    let metric = DCASEStyleSELD(threshold: 2, frameCount: 300, variant: .dcase2022)
    #expect(
      metric.report.summary
        == "DCASE 2022-style (macro, 1 s segments, ≤ 2.0 m): ER 0.0000  F 0.0000  LE n/a  LR 0.0000")
  }
}

// MARK: - L3DAS21's location_sensitive_detection

struct L3DAS21Expected: Decodable, Sendable {
  struct File: Decodable, Sendable {
    var file: String
    var tp: Int
    var fp: Int
    var fn: Int
    var f_score: Double
  }
  struct Total: Decodable, Sendable {
    var tp: Int
    var fp: Int
    var fn: Int
    var precision: Double
    var recall: Double
    var f_score: Double
  }
  var files: [File]
  var total: Total
}

typealias L3DAS21ReferenceCase = Task2ReferenceCase<L3DAS21Expected>

private let l3das21Cases: [L3DAS21ReferenceCase] = referenceCases("seld-l3das21.json")

@Suite("SELD: the L3DAS21 count equals L3DAS21's location_sensitive_detection")
struct L3DAS21ReferenceTests {
  @Test("the reference set is complete")
  func complete() {
    #expect(l3das21Cases.count == 33)
  }

  @Test(
    "every file: the official TP, FP (negative ones too), FN and F; the totals as evaluate_baseline_task2.py",
    arguments: l3das21Cases)
  func officialCounts(_ c: L3DAS21ReferenceCase) throws {
    let files = try c.files()
    #expect(files.map(\.name) == c.expected.files.map(\.file))
    var metric = LocationSensitiveDetection(
      threshold: c.threshold, matching: .l3das21, frameCount: c.n_frames)
    for (file, expected) in zip(files, c.expected.files) {
      let score = metric.update(
        prediction: file.prediction, reference: file.reference, file: file.name)
      let counts: [Int] = [score.truePositives, score.falsePositives, score.falseNegatives]
      #expect(counts == [expected.tp, expected.fp, expected.fn], "\(file.name)")
      #expect(close(score.fScore, expected.f_score), "\(file.name)")
    }
    let report = metric.report
    let total = report.total
    let counts: [Int] = [total.truePositives, total.falsePositives, total.falseNegatives]
    let expected = c.expected.total
    #expect(counts == [expected.tp, expected.fp, expected.fn])
    #expect(close(total.precision, expected.precision))
    #expect(close(total.recall, expected.recall))
    #expect(close(total.fScore, expected.f_score))
    // The per-class counts of this rule add up to the total.
    #expect(report.perClass.reduce(DetectionScore()) { $0 + $1.score } == total)
  }

  @Test("L3DAS21 is scored with its own count by default; L3DAS22 with the final one")
  func editionDefaults() {
    #expect(Edition.l3das21.officialMatching == .l3das21)
    #expect(Edition.l3das22.officialMatching == .official)
  }
}
