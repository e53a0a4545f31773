import Foundation

/// A small self-contained SVG line chart of loss per epoch (log-scaled y axis when the values
/// span more than a factor of 20), for `loss.svg` beside a training run.
enum LossCurve {
  static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]

  /// The SVG text for `series` (name, (epoch, value) points); `marker` draws a dashed line at
  /// that epoch (the best one).
  static func svg(series: [(name: String, points: [(Int, Double)])], marker: Int? = nil) -> String {
    let width = 640.0
    let height = 400.0
    let (left, right, top, bottom) = (70.0, 20.0, 30.0, 50.0)
    let points = series.flatMap(\.points).filter { $0.1.isFinite }
    let epochs = points.map { Double($0.0) }
    let values = points.map(\.1)
    let xMin = epochs.min() ?? 0
    let xMax = max((epochs.max() ?? 1), xMin + 1)
    let positive = values.allSatisfy { $0 > 0 }
    let logScale = positive && (values.max() ?? 1) / max(values.min() ?? 1, .leastNormalMagnitude) > 20
    func transform(_ v: Double) -> Double { logScale ? log10(v) : v }
    var yMin = transform(values.min() ?? 0)
    var yMax = transform(values.max() ?? 1)
    if yMax - yMin < 1e-12 { (yMin, yMax) = (yMin - 0.5, yMax + 0.5) }
    let pad = (yMax - yMin) * 0.05
    (yMin, yMax) = (yMin - pad, yMax + pad)
    func x(_ e: Double) -> Double { left + (e - xMin) / (xMax - xMin) * (width - left - right) }
    func y(_ v: Double) -> Double { top + (yMax - transform(v)) / (yMax - yMin) * (height - top - bottom) }
    func f(_ v: Double) -> String { String(format: "%.1f", v) }

    var svg = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
      viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
      <rect width="100%" height="100%" fill="white"/>
      <text x="\(f(width / 2))" y="18" text-anchor="middle" font-size="14">Loss per epoch\(logScale ? " (log scale)" : "")</text>

      """
    // Axes, ticks and grid.
    let plotBottom = height - bottom
    svg += "<line x1=\"\(f(left))\" y1=\"\(f(plotBottom))\" x2=\"\(f(width - right))\" y2=\"\(f(plotBottom))\" stroke=\"black\"/>\n"
    svg += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(plotBottom))\" stroke=\"black\"/>\n"
    for i in 0...4 {
      let t = yMin + (yMax - yMin) * Double(i) / 4
      let value = logScale ? pow(10, t) : t
      let py = top + (yMax - t) / (yMax - yMin) * (height - top - bottom)
      svg += "<line x1=\"\(f(left))\" y1=\"\(f(py))\" x2=\"\(f(width - right))\" y2=\"\(f(py))\" stroke=\"#ddd\"/>\n"
      svg += "<text x=\"\(f(left - 6))\" y=\"\(f(py + 4))\" text-anchor=\"end\">\(String(format: "%.3g", value))</text>\n"
    }
    let step = max(1, Int((xMax - xMin) / 8))
    for e in stride(from: Int(xMin), through: Int(xMax), by: step) {
      svg += "<text x=\"\(f(x(Double(e))))\" y=\"\(f(plotBottom + 18))\" text-anchor=\"middle\">\(e)</text>\n"
    }
    svg += "<text x=\"\(f((left + width - right) / 2))\" y=\"\(f(height - 10))\" text-anchor=\"middle\">epoch</text>\n"
    if let marker {
      svg += "<line x1=\"\(f(x(Double(marker))))\" y1=\"\(f(top))\" x2=\"\(f(x(Double(marker))))\" y2=\"\(f(plotBottom))\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>\n"
      svg += "<text x=\"\(f(x(Double(marker)) + 4))\" y=\"\(f(top + 12))\" fill=\"#555\">best</text>\n"
    }
    for (index, entry) in series.enumerated() {
      let color = colors[index % colors.count]
      let path = entry.points.filter { $0.1.isFinite }.map { "\(f(x(Double($0.0)))),\(f(y($0.1)))" }
      if path.count > 1 {
        svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(path.joined(separator: " "))\"/>\n"
      }
      for point in path {
        let xy = point.split(separator: ",")
        svg += "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"2.5\" fill=\"\(color)\"/>\n"
      }
      let ly = top + 14 + Double(index) * 16
      svg += "<line x1=\"\(f(width - right - 110))\" y1=\"\(f(ly - 4))\" x2=\"\(f(width - right - 90))\" y2=\"\(f(ly - 4))\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
      svg += "<text x=\"\(f(width - right - 85))\" y=\"\(f(ly))\">\(entry.name)</text>\n"
    }
    return svg + "</svg>\n"
  }
}
