public import Foundation
import L3DASCore
public import Pipelines

/// Writes a leaderboard's four outputs into a folder, each atomically:
/// `leaderboard.md`, `leaderboard.csv`, `leaderboard.json` and `index.html`.
public enum LeaderboardReport {
  /// The files `write` creates.
  public static let fileNames = ["leaderboard.md", "leaderboard.csv", "leaderboard.json", "index.html"]

  /// The Markdown text of `result`.
  public static func markdown(_ result: Leaderboard.Result) -> String {
    LeaderboardTable(result).markdown(title: "L3DAS Task \(result.task) leaderboard", result: result)
  }

  /// The JSON of `result` (pretty, sorted keys).
  public static func json(_ result: Leaderboard.Result) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(result)
  }

  /// Writes every output into `folder` and returns the HTML page's URL.
  ///
  /// `folder` must be new, empty, or an earlier leaderboard's (`OutputFolder`, command
  /// `leaderboard`), and must not hold `inputs` or the current folder; it is checked before
  /// anything is written. Each file is replaced atomically.
  /// - Throws: `OutputFolderError` for a folder that is not the leaderboard's to write.
  @discardableResult
  public static func write(_ result: Leaderboard.Result, to folder: URL, inputs: [URL] = []) throws -> URL {
    try OutputFolder.checkReplaceable(folder, command: "leaderboard", inputs: inputs, replace: true)
    do {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
      throw OutputFolderError(path: folder.path, message: "cannot create the folder: \(FileErrorText.describe(error))")
    }
    try OutputFolder.mark(folder, command: "leaderboard")
    try AtomicFile.write(markdown(result), to: folder.appendingPathComponent("leaderboard.md"))
    try AtomicFile.write(LeaderboardTable(result).csv, to: folder.appendingPathComponent("leaderboard.csv"))
    try AtomicFile.write(try json(result), to: folder.appendingPathComponent("leaderboard.json"))
    let page = folder.appendingPathComponent("index.html")
    try AtomicFile.write(HTMLReport.page(result), to: page)
    return page
  }
}
