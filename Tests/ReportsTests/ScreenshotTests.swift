import Foundation
import Pipelines
import Reports
import Testing
import _TestSupport

/// The headless Chromium binary (Debian's `chromium-headless-shell` or `chromium`), if any.
private let chromium: String? = {
  for name in ["chromium-headless-shell", "chromium", "chromium-browser"] {
    for folder in ["/usr/bin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
      return "\(folder)/\(name)"
    }
  }
  return nil
}()

@Suite("HTML report in headless Chromium")
struct ScreenshotTests {
  @Test(
    "the page renders: the winner's highlighted row, the ranking bars and the per-class bars are on screen",
    .enabled(if: chromium != nil, "needs Debian's chromium-headless-shell (installed by .ci/run)"))
  func screenshot() throws {
    let board = try Task2Board()
    let result = try Leaderboard.run(submissions: board.submissions, truth: board.truth, options: board.options)
    let page = try LeaderboardReport.write(result, to: board.dir.path("reports"))
    let png = board.dir.path("shot.png")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: chromium ?? "")
    process.arguments = [
      "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1",
      "--user-data-dir=\(board.dir.path("profile").path)", "--window-size=1280,1400",
      "--screenshot=\(png.path)", page.absoluteString,
    ]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(90)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
    if process.isRunning { process.terminate() }
    try #require(FileManager.default.fileExists(atPath: png.path), "Chromium wrote no screenshot")
    let image = try PNGImage(contentsOf: png)
    #expect(image.width == 1280 && image.height == 1400)
    // The two tied winners' rows are highlighted (#fff3c4): two bands of wide rows.
    let highlighted = image.rows(with: "#fff3c4", minimum: 300)
    #expect(highlighted.count >= 30, "highlighted table rows: \(highlighted.count) pixel rows")
    // Bars: the ranking chart and the first series of the per-class chart (#1f77b4), the
    // other series of the per-class chart (#ff7f0e, #2ca02c).
    #expect(image.count(hex: "#1f77b4") > 20_000, "\(image.count(hex: "#1f77b4"))")
    #expect(image.count(hex: "#ff7f0e") > 3_000, "\(image.count(hex: "#ff7f0e"))")
    #expect(image.count(hex: "#2ca02c") > 3_000, "\(image.count(hex: "#2ca02c"))")
    // The ranking bars sit below the table: the first bar row is under the highlighted rows.
    let bars = image.rows(with: "#1f77b4", minimum: 200)
    #expect((bars.first ?? 0) > (highlighted.last ?? Int.max), "the ranking plot is drawn below the table")
  }
}
