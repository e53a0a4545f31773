import Foundation

/// Small self-contained SVG charts for the HTML report: no scripts, no external fonts, fixed
/// colours (the report's screenshot test looks for them), every text escaped.
enum SVGChart {
  /// Series colours (F / first series, precision, recall, …).
  static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"]

  /// Escapes `&`, `<`, `>`, `"` and `'` for XML and HTML text and attributes.
  static func escape(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    for character in text {
      switch character {
      case "&": result += "&amp;"
      case "<": result += "&lt;"
      case ">": result += "&gt;"
      case "\"": result += "&quot;"
      case "'": result += "&#39;"
      default: result.append(character)
      }
    }
    return result
  }

  private static func f(_ v: Double) -> String { String(format: "%.1f", v) }

  private static func header(width: Double, height: Double, title: String) -> String {
    """
    <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
    viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12" role="img" \
    aria-label="\(escape(title))">
    <title>\(escape(title))</title>
    <rect width="100%" height="100%" fill="white"/>
    <text x="\(f(width / 2))" y="18" text-anchor="middle" font-size="14">\(escape(title))</text>

    """
  }

  /// Horizontal bars, one per label, values in `0...maximum` (the ranking chart).
  static func horizontalBars(
    title: String, labels: [String], values: [Double], maximum: Double = 1, color: String = palette[0]
  ) -> String {
    let rowHeight = 26.0
    let (left, right, top, bottom) = (180.0, 60.0, 32.0, 34.0)
    let width = 720.0
    let height = top + bottom + rowHeight * Double(max(labels.count, 1))
    let plotWidth = width - left - right
    var svg = header(width: width, height: height, title: title)
    for i in 0...4 {
      let x = left + plotWidth * Double(i) / 4
      svg += "<line x1=\"\(f(x))\" y1=\"\(f(top))\" x2=\"\(f(x))\" y2=\"\(f(height - bottom))\" stroke=\"#ddd\"/>\n"
      svg += "<text x=\"\(f(x))\" y=\"\(f(height - bottom + 16))\" text-anchor=\"middle\">\(String(format: "%.2f", maximum * Double(i) / 4))</text>\n"
    }
    for (index, (label, value)) in zip(labels, values).enumerated() {
      let y = top + rowHeight * Double(index)
      let length = max(0, min(1, value / maximum)) * plotWidth
      svg += "<text x=\"\(f(left - 8))\" y=\"\(f(y + rowHeight / 2 + 4))\" text-anchor=\"end\">\(escape(truncated(label, 26)))</text>\n"
      svg += "<rect x=\"\(f(left))\" y=\"\(f(y + 4))\" width=\"\(f(length))\" height=\"\(f(rowHeight - 8))\" fill=\"\(color)\"/>\n"
      svg += "<text x=\"\(f(left + length + 6))\" y=\"\(f(y + rowHeight / 2 + 4))\">\(String(format: "%.4f", value))</text>\n"
    }
    svg += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(height - bottom))\" stroke=\"black\"/>\n"
    return svg + "</svg>\n"
  }

  /// Grouped vertical bars: one group per category, one bar per series, values in 0...1
  /// (per-class precision, recall and F).
  static func groupedBars(
    title: String, categories: [String], series: [(name: String, values: [Double])]
  ) -> String {
    let (left, right, top, bottom) = (50.0, 20.0, 50.0, 120.0)
    let groupWidth = 48.0
    let width = left + right + groupWidth * Double(max(categories.count, 1))
    let height = 380.0
    let plotHeight = height - top - bottom
    var svg = header(width: width, height: height, title: title)
    for i in 0...4 {
      let y = top + plotHeight * (1 - Double(i) / 4)
      svg += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(width - right))\" y2=\"\(f(y))\" stroke=\"#ddd\"/>\n"
      svg += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(String(format: "%.2f", Double(i) / 4))</text>\n"
    }
    let barWidth = (groupWidth - 10) / Double(max(series.count, 1))
    for (c, category) in categories.enumerated() {
      let groupX = left + groupWidth * Double(c) + 5
      for (s, entry) in series.enumerated() where c < entry.values.count {
        let value = max(0, min(1, entry.values[c].isFinite ? entry.values[c] : 0))
        let barHeight = value * plotHeight
        svg += "<rect x=\"\(f(groupX + barWidth * Double(s)))\" y=\"\(f(top + plotHeight - barHeight))\" width=\"\(f(barWidth))\" height=\"\(f(barHeight))\" fill=\"\(palette[s % palette.count])\"><title>\(escape("\(category) \(entry.name) \(String(format: "%.4f", entry.values[c]))"))</title></rect>\n"
      }
      let labelX = groupX + (groupWidth - 10) / 2
      let labelY = top + plotHeight + 10
      svg += "<text x=\"\(f(labelX))\" y=\"\(f(labelY))\" text-anchor=\"end\" transform=\"rotate(-45 \(f(labelX)) \(f(labelY)))\">\(escape(truncated(category, 20)))</text>\n"
    }
    svg += "<line x1=\"\(f(left))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(width - right))\" y2=\"\(f(top + plotHeight))\" stroke=\"black\"/>\n"
    var legendX = left
    for (s, entry) in series.enumerated() {
      let name = truncated(entry.name, 24)
      svg += "<rect x=\"\(f(legendX))\" y=\"28\" width=\"12\" height=\"12\" fill=\"\(palette[s % palette.count])\"/>"
      svg += "<text x=\"\(f(legendX + 16))\" y=\"38\">\(escape(name))</text>\n"
      legendX += 36 + 7 * Double(name.count)
    }
    return svg + "</svg>\n"
  }

  /// One row per group: every value as a dot and the quartiles as a box with the median
  /// (the distribution of per-item STOI or WER of each submission), on `range`.
  static func distributions(
    title: String, axis: String, groups: [(name: String, values: [Double])],
    range: ClosedRange<Double> = 0...1, color: String = palette[0]
  ) -> String {
    let rowHeight = 34.0
    let (left, right, top, bottom) = (180.0, 30.0, 32.0, 44.0)
    let width = 720.0
    let height = top + bottom + rowHeight * Double(max(groups.count, 1))
    let plotWidth = width - left - right
    func x(_ v: Double) -> Double {
      left + (min(max(v, range.lowerBound), range.upperBound) - range.lowerBound)
        / (range.upperBound - range.lowerBound) * plotWidth
    }
    var svg = header(width: width, height: height, title: title)
    for i in 0...4 {
      let value = range.lowerBound + (range.upperBound - range.lowerBound) * Double(i) / 4
      svg += "<line x1=\"\(f(x(value)))\" y1=\"\(f(top))\" x2=\"\(f(x(value)))\" y2=\"\(f(height - bottom))\" stroke=\"#ddd\"/>\n"
      svg += "<text x=\"\(f(x(value)))\" y=\"\(f(height - bottom + 16))\" text-anchor=\"middle\">\(String(format: "%.2f", value))</text>\n"
    }
    svg += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 8))\" text-anchor=\"middle\">\(escape(axis))</text>\n"
    for (index, group) in groups.enumerated() {
      let y = top + rowHeight * Double(index)
      let mid = y + rowHeight / 2
      svg += "<text x=\"\(f(left - 8))\" y=\"\(f(mid + 4))\" text-anchor=\"end\">\(escape(truncated(group.name, 26)))</text>\n"
      let values = group.values.filter(\.isFinite).sorted()
      guard !values.isEmpty else { continue }
      let q1 = quantile(values, 0.25)
      let median = quantile(values, 0.5)
      let q3 = quantile(values, 0.75)
      svg += "<line x1=\"\(f(x(values[0])))\" y1=\"\(f(mid))\" x2=\"\(f(x(values[values.count - 1])))\" y2=\"\(f(mid))\" stroke=\"#555\"/>\n"
      svg += "<rect x=\"\(f(x(q1)))\" y=\"\(f(y + 7))\" width=\"\(f(max(1, x(q3) - x(q1))))\" height=\"\(f(rowHeight - 14))\" fill=\"\(color)\" fill-opacity=\"0.35\" stroke=\"\(color)\"/>\n"
      svg += "<line x1=\"\(f(x(median)))\" y1=\"\(f(y + 5))\" x2=\"\(f(x(median)))\" y2=\"\(f(y + rowHeight - 5))\" stroke=\"black\" stroke-width=\"2\"/>\n"
      for value in values {
        svg += "<circle cx=\"\(f(x(value)))\" cy=\"\(f(mid))\" r=\"2.5\" fill=\"\(color)\"/>"
      }
      svg += "\n"
    }
    svg += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(height - bottom))\" stroke=\"black\"/>\n"
    return svg + "</svg>\n"
  }

  /// Linear-interpolated quantile of sorted values (numpy's default).
  static func quantile(_ sorted: [Double], _ q: Double) -> Double {
    guard sorted.count > 1 else { return sorted.first ?? 0 }
    let position = q * Double(sorted.count - 1)
    let low = Int(position.rounded(.down))
    let high = min(low + 1, sorted.count - 1)
    return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
  }

  private static func truncated(_ text: String, _ length: Int) -> String {
    text.count <= length ? text : String(text.prefix(length - 1)) + "…"
  }
}
