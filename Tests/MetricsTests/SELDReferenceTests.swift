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

private struct AssignmentFile: Decodable { var cases: [LSAPReferenceCase] }

@Suite("SELD: minimum-cost assignment breaks ties as scipy does")
struct MinimumCostAssignmentTests {
  @Test("every matrix of lsap.json gets scipy's assignment, ties and rectangles included")
  func scipyAssignments() throws {
    let cases = try decode(AssignmentFile.self, "lsap.json").cases
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

struct DCASEReferenceCase: Decodable, Sendable, CustomTestStringConvertible {
  var name: String
  var note: String
  var n_frames: Int
  var threshold: Double
  var prediction: String
  var truth: String
  var dcase2021: DCASE2021Result
  var testDescription: String { name }

  /// The case's files, read as l3das reads them, in name order.
  func files() throws -> [(prediction: [DetectionRow], reference: [DetectionRow])] {
    let predictionFolder = try fixture(prediction)
    let truthFolder = try fixture(truth)
    let names = try csvNames(in: truthFolder)
    #expect(try csvNames(in: predictionFolder) == names)
    return try names.map { name in
      (
        try Task2Rows.read(predictionFolder.appendingPathComponent(name), frameCount: n_frames),
        try Task2Rows.read(truthFolder.appendingPathComponent(name), frameCount: n_frames)
      )
    }
  }
}

private struct DCASEFile: Decodable { var cases: [DCASEReferenceCase] }

private let dcaseCases: [DCASEReferenceCase] = {
  (try? decode(DCASEFile.self, "seld-dcase.json").cases) ?? []
}()

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
    let expected = c.dcase2021.counts
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
    #expect(close(report.errorRate, c.dcase2021.er))
    #expect(close(report.fScore, c.dcase2021.f))
    #expect(close(report.localizationRecall, c.dcase2021.lr))
    if expected.DE_TP == 0 {
      #expect(report.localizationError == nil && c.dcase2021.le == 180)
    } else {
      #expect(close(try #require(report.localizationError), c.dcase2021.le))
    }
  }
}
