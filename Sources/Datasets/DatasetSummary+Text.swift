import Foundation

extension DatasetSummary {
  /// A table with one row per split, aligned for a fixed-width terminal, followed by the
  /// sampled problems of every split that has any.
  ///
  /// Columns: split name, item count, total duration (`H:MM:SS`), shortest and longest item
  /// in seconds, sample rates, channel counts, sample formats, label files (Task 2 CSVs or
  /// Task 1 clean speech), transcripts, `info.csv` rows (`-` if none) and problem count.
  public func renderText() -> String {
    let headers = [
      "Split", "Items", "Total", "Min s", "Max s", "Rate Hz", "Ch", "Format", "Labels", "Texts",
      "Info rows", "Problems",
    ]
    let rightAligned: Set<Int> = [1, 2, 3, 4, 8, 9, 10, 11]
    let rows = splits.map { split -> [String] in
      [
        split.name, "\(split.itemCount)", Self.clock(split.totalSeconds),
        split.minimumItemSeconds.map { String(format: "%.2f", $0) } ?? "-",
        split.maximumItemSeconds.map { String(format: "%.2f", $0) } ?? "-",
        Self.list(split.sampleRates.map(String.init)),
        Self.list(split.channelCounts.map(String.init)),
        Self.list(split.sampleFormats), "\(split.labelFileCount)", "\(split.transcriptFileCount)",
        split.infoRowCount.map(String.init) ?? "-", "\(split.problemCount)",
      ]
    }
    let widths = headers.indices.map { column in
      ([headers] + rows).map { $0[column].count }.max() ?? 0
    }
    func line(_ cells: [String]) -> String {
      cells.enumerated().map { column, cell in
        let padding = String(repeating: " ", count: widths[column] - cell.count)
        return rightAligned.contains(column) ? padding + cell : cell + padding
      }
      .joined(separator: "  ")
      .replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }
    var lines = ["Dataset \(root)", line(headers)]
    lines += rows.map(line)
    for split in splits where split.problemCount > 0 {
      lines.append("")
      lines.append(
        "\(split.name): \(split.problemCount) problem\(split.problemCount == 1 ? "" : "s")")
      lines += split.problems.map { "  \($0)" }
      if split.problemCount > split.problems.count {
        lines.append("  … and \(split.problemCount - split.problems.count) more")
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// `H:MM:SS` for a duration in seconds.
  private static func clock(_ seconds: Double) -> String {
    let whole = Int(seconds.rounded())
    return String(format: "%d:%02d:%02d", whole / 3600, whole / 60 % 60, whole % 60)
  }

  private static func list(_ values: [String]) -> String {
    values.isEmpty ? "-" : values.joined(separator: ",")
  }
}
