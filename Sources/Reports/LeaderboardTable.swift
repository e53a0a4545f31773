import Foundation
import L3DASCore
public import Pipelines

/// The ranking as rows of cells, shared by the Markdown, CSV and HTML outputs.
public struct LeaderboardTable: Sendable {
  /// Column titles.
  public var columns: [String]
  /// One row per entry, in board order; cells are plain text.
  public var rows: [[String]]
  /// Which columns hold numbers (right-aligned, sorted numerically in the page).
  public var numeric: [Bool]
  /// Per row, the texts of its problems (warnings of ranked entries, errors of the others),
  /// for the CSV's last column.
  public var notes: [String]

  /// The table of `result`.
  public init(_ result: Leaderboard.Result) {
    if result.task == 1 {
      columns = ["Rank", "Submission", "Metric", "STOI", "WER", "Scored", "Skipped", "Status"]
      numeric = [true, false, true, true, true, true, true, false]
    } else {
      columns = [
        "Rank", "Submission", "F", "Precision", "Recall", "TP", "FP", "FN", "DCASE ER", "DCASE F",
        "LE (m)", "Status",
      ]
      numeric = [true, false, true, true, true, true, true, true, true, true, true, false]
    }
    let columnCount = columns.count
    notes = result.entries.map { entry in
      (entry.problems.map(\.description) + (entry.failure.map { ["failed: \($0)"] } ?? [])).joined(separator: "; ")
    }
    rows = result.entries.map { entry in
      let rank = entry.rank.map(String.init) ?? "–"
      let status = Self.status(entry)
      if let report = entry.task1 {
        return [
          rank, entry.name, Self.number(report.metric), Self.number(report.stoi), Self.number(report.wer),
          String(report.scoredCount), String(report.skippedCount), status,
        ]
      }
      if let report = entry.task2 {
        let d = report.dcaseStyle
        return [
          rank, entry.name, Self.number(report.total.fScore), Self.number(report.total.precision),
          Self.number(report.total.recall), String(report.total.truePositives),
          String(report.total.falsePositives), String(report.total.falseNegatives),
          d.map { Self.number($0.errorRate) } ?? "", d.map { Self.number($0.fScore) } ?? "",
          d?.localizationError.map { Self.number($0) } ?? "", status,
        ]
      }
      let blanks = Array(repeating: "", count: columnCount - 3)
      return [rank, entry.name] + blanks + [status]
    }
  }

  /// "ok", "ok (2 warnings)", "invalid: 3 errors" or "failed: …".
  public static func status(_ entry: Leaderboard.Entry) -> String {
    if let failure = entry.failure { return "failed: " + (failure.split(separator: "\n").first.map(String.init) ?? failure) }
    let errors = entry.errors.count
    if errors > 0 { return "invalid: \(errors) error\(errors == 1 ? "" : "s")" }
    let warnings = entry.problems.count
    return warnings == 0 ? "ok" : "ok (\(warnings) warning\(warnings == 1 ? "" : "s"))"
  }

  /// Four decimals, as the challenge pages print scores.
  static func number(_ value: Double) -> String { String(format: "%.4f", value) }

  /// A GitHub-flavoured Markdown table, with the invalid submissions' problems below it.
  public func markdown(title: String, result: Leaderboard.Result) -> String {
    func cell(_ text: String) -> String {
      text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
    var lines = ["# \(title)", ""]
    lines.append("Truth: `\(result.truth)` (\(result.itemCount) items). " + Self.settings(result))
    lines.append("")
    lines.append("| " + columns.joined(separator: " | ") + " |")
    lines.append("|" + numeric.map { $0 ? " ---: |" : " --- |" }.joined())
    for row in rows { lines.append("| " + row.map(cell).joined(separator: " | ") + " |") }
    let warned = result.entries.filter { entry in entry.isRanked && entry.problems.contains { $0.severity == .warning } }
    if !warned.isEmpty {
      lines += ["", "## Warnings", ""]
      for entry in warned {
        let warnings = entry.problems.filter { $0.severity == .warning }
        lines.append("- **\(cell(entry.name))**:")
        for problem in warnings.prefix(20) { lines.append("  - \(cell(problem.description))") }
        if warnings.count > 20 { lines.append("  - … \(warnings.count - 20) more") }
      }
    }
    let unranked = result.entries.filter { !$0.isRanked }
    if !unranked.isEmpty {
      lines += ["", "## Not ranked", ""]
      for entry in unranked {
        lines.append("- **\(cell(entry.name))** (`\(entry.path)`): \(cell(Self.status(entry)))")
        if let failure = entry.failure, failure.contains("\n") {
          for line in failure.split(separator: "\n").dropFirst().prefix(20) { lines.append("  - \(cell(String(line)))") }
        }
        for problem in entry.errors.prefix(20) { lines.append("  - \(cell(problem.description))") }
        if entry.errors.count > 20 { lines.append("  - … \(entry.errors.count - 20) more") }
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// RFC 4180 CSV with a header row.
  public var csv: String {
    let field = CSVCell.escape
    let header = columns.map { $0.lowercased().replacingOccurrences(of: " ", with: "_") }
      .map { $0.replacingOccurrences(of: "(", with: "").replacingOccurrences(of: ")", with: "") }
    let lines = [header + ["problems"]] + zip(rows, notes).map { $0 + [$1] }
    return lines.map { $0.map(field).joined(separator: ",") }.joined(separator: "\n") + "\n"
  }

  /// One line describing how the board was scored.
  static func settings(_ result: Leaderboard.Result) -> String {
    if result.task == 1 {
      return "Metric: mean of (STOI + 1 − WER)/2; transcriber: \(result.transcriber ?? "unknown")."
    }
    guard let options = result.task2Options else { return "" }
    return "Metric: location-sensitive F (micro), threshold \(options.threshold) m, matching \(options.matching.rawValue), \(options.frameCount) frames per file."
  }
}
