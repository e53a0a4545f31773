import Foundation
public import Pipelines

/// The self-contained HTML leaderboard page: ranked table, plots as inline SVG, every table
/// sortable by clicking its header (a few lines of inline script), no external resources.
public enum HTMLReport {
  /// The page for `result`.
  public static func page(_ result: Leaderboard.Result) -> String {
    let title = "L3DAS Task \(result.task) leaderboard"
    let table = LeaderboardTable(result)
    let ranked = result.entries.filter(\.isRanked)
    var body = "<h1>\(SVGChart.escape(title))</h1>\n"
    body += "<p class=\"meta\">Truth: <code>\(SVGChart.escape(result.truth))</code> (\(result.itemCount) items). "
    body += SVGChart.escape(LeaderboardTable.settings(result)) + "</p>\n"
    body += "<h2>Ranking</h2>\n"
    body += htmlTable(
      id: "ranking", columns: table.columns, numeric: table.numeric, rows: table.rows,
      rowClass: { index in result.entries[index].rank == 1 ? "first" : (result.entries[index].isRanked ? nil : "unranked") })
    if !ranked.isEmpty {
      body += "<figure id=\"ranking-plot\">"
      body += SVGChart.horizontalBars(
        title: result.task == 1 ? "Task 1 metric (STOI + 1 − WER)/2" : "Location-sensitive F",
        labels: ranked.map(\.name), values: ranked.map { $0.score ?? 0 })
      body += "</figure>\n"
    }
    if result.task == 1 {
      body += task1Sections(ranked)
    } else {
      body += task2Sections(ranked)
    }
    let warned = result.entries.filter { entry in entry.isRanked && entry.problems.contains { $0.severity == .warning } }
    if !warned.isEmpty {
      body += "<h2 id=\"warnings\">Warnings</h2>\n"
      for entry in warned {
        let warnings = entry.problems.filter { $0.severity == .warning }
        body += "<div class=\"problem\"><h3>\(SVGChart.escape(entry.name))</h3><ul>"
        for problem in warnings.prefix(100) { body += "<li>\(SVGChart.escape(problem.description))</li>" }
        if warnings.count > 100 { body += "<li>… \(warnings.count - 100) more</li>" }
        body += "</ul></div>\n"
      }
    }
    let unranked = result.entries.filter { !$0.isRanked }
    if !unranked.isEmpty {
      body += "<h2 id=\"invalid\">Not ranked</h2>\n"
      for entry in unranked {
        body += "<div class=\"problem\"><h3>\(SVGChart.escape(entry.name))</h3>"
        body += "<p><code>\(SVGChart.escape(entry.path))</code>: \(SVGChart.escape(LeaderboardTable.status(entry)))</p><ul>"
        if let failure = entry.failure {
          for line in failure.split(separator: "\n").prefix(40) { body += "<li>\(SVGChart.escape(String(line)))</li>" }
        }
        for problem in entry.errors.prefix(100) { body += "<li>\(SVGChart.escape(problem.description))</li>" }
        if entry.errors.count > 100 { body += "<li>… \(entry.errors.count - 100) more</li>" }
        body += "</ul></div>\n"
      }
    }
    body += result.task == 1 ? task1Tables(ranked) : task2Tables(ranked)
    return """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <meta name="generator" content="l3das leaderboard">
      <title>\(SVGChart.escape(title))</title>
      <style>
      body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1200px; }
      table { border-collapse: collapse; margin: 8px 0 16px; }
      th, td { border: 1px solid #ccc; padding: 4px 8px; }
      th { background: #eef2f7; cursor: pointer; user-select: none; }
      th.sorted-asc::after { content: " ▲"; } th.sorted-desc::after { content: " ▼"; }
      td.num { text-align: right; font-variant-numeric: tabular-nums; }
      tr.first td { background: #fff3c4; font-weight: bold; }
      tr.unranked td { color: #999; }
      .meta { color: #555; }
      .problem { border-left: 4px solid #d62728; padding-left: 12px; margin: 8px 0; }
      figure { margin: 12px 0; }
      details { margin: 8px 0; }
      </style>
      </head>
      <body>
      \(body)
      <script>
      // Click a column header to sort its table; click again to reverse.
      document.querySelectorAll("table.sortable").forEach(function (table) {
        table.querySelectorAll("th").forEach(function (th, column) {
          th.addEventListener("click", function () {
            var ascending = !th.classList.contains("sorted-asc");
            table.querySelectorAll("th").forEach(function (h) { h.classList.remove("sorted-asc", "sorted-desc"); });
            th.classList.add(ascending ? "sorted-asc" : "sorted-desc");
            var numeric = th.dataset.numeric === "1";
            var body = table.tBodies[0];
            var rows = Array.prototype.slice.call(body.rows);
            rows.sort(function (a, b) {
              var x = a.cells[column].textContent, y = b.cells[column].textContent;
              var order;
              if (numeric) {
                var p = parseFloat(x), q = parseFloat(y);
                if (isNaN(p)) p = Infinity; if (isNaN(q)) q = Infinity;
                order = p - q;
              } else {
                order = x.localeCompare(y);
              }
              return ascending ? order : -order;
            });
            rows.forEach(function (row) { body.appendChild(row); });
          });
        });
      });
      </script>
      </body>
      </html>

      """
  }

  private static func task2Sections(_ ranked: [Leaderboard.Entry]) -> String {
    let reports = ranked.compactMap { entry in entry.task2.map { (entry.name, $0) } }
    guard let classes = reports.first?.1.perClass.map(\.name) else { return "" }
    var html = "<h2>Per class</h2>\n<figure id=\"per-class-f\">"
    html += SVGChart.groupedBars(
      title: "F per class" + (reports.count > SVGChart.palette.count ? " (first \(SVGChart.palette.count) submissions)" : ""),
      categories: classes,
      series: reports.prefix(SVGChart.palette.count).map { ($0.0, $0.1.perClass.map(\.score.fScore)) })
    html += "</figure>\n"
    for (index, entry) in ranked.enumerated() {
      guard let report = entry.task2 else { continue }
      html += "<details\(index == 0 ? " open" : "")><summary>\(SVGChart.escape(entry.name)): precision, recall and F per class</summary><figure class=\"per-class\">"
      html += SVGChart.groupedBars(
        title: "\(entry.name): precision, recall and F per class",
        categories: report.perClass.map(\.name),
        series: [
          ("F", report.perClass.map(\.score.fScore)),
          ("precision", report.perClass.map(\.score.precision)),
          ("recall", report.perClass.map(\.score.recall)),
        ])
      html += "</figure></details>\n"
    }
    return html
  }

  private static func task2Tables(_ ranked: [Leaderboard.Entry]) -> String {
    var html = ranked.isEmpty ? "" : "<h2>Per file</h2>\n"
    for entry in ranked {
      guard let report = entry.task2 else { continue }
      html += "<details><summary>\(SVGChart.escape(entry.name)) (\(report.perFile.count) files)</summary>\n"
      html += htmlTable(
        id: nil, columns: ["File", "TP", "FP", "FN", "Precision", "Recall", "F"],
        numeric: [false, true, true, true, true, true, true],
        rows: report.perFile.map { file in
          let s = file.score
          return [
            file.file, String(s.truePositives), String(s.falsePositives), String(s.falseNegatives),
            LeaderboardTable.number(s.precision), LeaderboardTable.number(s.recall),
            LeaderboardTable.number(s.fScore),
          ]
        }, rowClass: { _ in nil })
      html += "</details>\n"
    }
    return html
  }

  private static func task1Sections(_ ranked: [Leaderboard.Entry]) -> String {
    guard !ranked.isEmpty else { return "" }
    var html = "<h2>Distributions</h2>\n<figure class=\"distribution\">"
    html += SVGChart.distributions(
      title: "STOI per item", axis: "STOI",
      groups: ranked.map { ($0.name, $0.task1?.items.compactMap(\.stoi) ?? []) })
    html += "</figure>\n<figure class=\"distribution\">"
    html += SVGChart.distributions(
      title: "WER per item", axis: "WER (clipped to 1)",
      groups: ranked.map { ($0.name, $0.task1?.items.compactMap(\.wer) ?? []) }, color: SVGChart.palette[1])
    html += "</figure>\n"
    return html
  }

  private static func task1Tables(_ ranked: [Leaderboard.Entry]) -> String {
    var html = ranked.isEmpty ? "" : "<h2>Per item</h2>\n"
    for entry in ranked {
      guard let report = entry.task1 else { continue }
      html += "<details><summary>\(SVGChart.escape(entry.name)) (\(report.items.count) items)</summary>\n"
      html += htmlTable(
        id: nil, columns: ["Item", "STOI", "WER", "Metric", "Reference transcript", "Estimate transcript"],
        numeric: [false, true, true, true, false, false],
        rows: report.items.map { item in
          [
            item.id, item.stoi.map(LeaderboardTable.number) ?? "skipped",
            item.wer.map(LeaderboardTable.number) ?? "skipped",
            item.metric.map(LeaderboardTable.number) ?? "skipped", item.referenceTranscript,
            item.estimateTranscript,
          ]
        }, rowClass: { _ in nil })
      html += "</details>\n"
    }
    return html
  }

  private static func htmlTable(
    id: String?, columns: [String], numeric: [Bool], rows: [[String]], rowClass: (Int) -> String?
  ) -> String {
    var html = "<table class=\"sortable\"\(id.map { " id=\"\($0)\"" } ?? "")><thead><tr>"
    for (column, isNumber) in zip(columns, numeric) {
      html += "<th data-numeric=\"\(isNumber ? 1 : 0)\">\(SVGChart.escape(column))</th>"
    }
    html += "</tr></thead><tbody>\n"
    for (index, row) in rows.enumerated() {
      html += rowClass(index).map { "<tr class=\"\($0)\">" } ?? "<tr>"
      for (cell, isNumber) in zip(row, numeric) {
        html += isNumber ? "<td class=\"num\">" : "<td>"
        html += SVGChart.escape(cell) + "</td>"
      }
      html += "</tr>\n"
    }
    return html + "</tbody></table>\n"
  }
}
