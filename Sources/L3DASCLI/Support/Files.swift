import Foundation
import L3DASCore

/// Atomic writes of command outputs (per-file CSVs, reports).
enum AtomicWrite {
  /// Writes `text` to `path` atomically. An existing file there is replaced only when it is an
  /// earlier output of the same kind (its first line equals `text`'s first line, e.g. the
  /// same CSV header): a mistyped path never replaces a dataset file.
  static func text(_ text: String, to path: String, option: String = "the output file") throws {
    let url = URL(fileURLWithPath: path)
    let firstLine = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
    try SingleOutputFile.checkReplaceable(url, option: option) { data in
      String(decoding: data.prefix(4096), as: UTF8.self)
        .split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) == firstLine
    }
    try AtomicFile.write(text, to: url)
  }
}

/// The rule for single-file outputs (`--per-file-csv`, `--partial`): a new path, or a regular
/// file that an earlier run of the same kind wrote; never a folder, link or special file, and
/// never a file of other content.
enum SingleOutputFile {
  /// Throws `OutputFolderError` unless `url` may be (re)written; `isOurs` looks at the
  /// existing file's first bytes (at most 64 KiB).
  static func checkReplaceable(_ url: URL, option: String, isOurs: (Data) -> Bool) throws {
    switch OutputFolder.state(of: url) {
    case .absent: return
    case .notAFolder(let kind) where kind == "a regular file":
      guard let handle = FileHandle(forReadingAtPath: url.path),
        let head = try? handle.read(upToCount: 65_536)
      else {
        throw OutputFolderError(path: url.path, message: "exists and cannot be read, so it is not replaced")
      }
      try? handle.close()
      guard isOurs(head) else {
        throw OutputFolderError(
          path: url.path,
          message: "exists and is not an earlier output of this kind; refusing to replace it (\(option) must name a new file or one l3das wrote)")
      }
    case .notAFolder(let kind):
      throw OutputFolderError(path: url.path, message: "is \(kind); \(option) must name a regular file")
    default:
      throw OutputFolderError(path: url.path, message: "is a folder; \(option) must name a file")
    }
  }
}

extension SingleOutputFile {
  /// Checks a `--partial` path: new, or an earlier partial result (a JSON object with a
  /// `"format": "l3das-…-partial"` member).
  static func checkPartial(_ path: String) throws {
    try checkReplaceable(URL(fileURLWithPath: path), option: "--partial") { data in
      String(decoding: data, as: UTF8.self).contains("-partial\"")
        && data.first == UInt8(ascii: "{")
    }
  }
}

/// CSV fields for free text (ids, transcripts): quoted, and neutralised against formula
/// injection (`CSVCell`).
enum CSVField {
  static func quote(_ text: String) -> String { CSVCell.escape(text) }
}
