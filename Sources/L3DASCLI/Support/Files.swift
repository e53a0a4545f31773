import Foundation
import L3DASCore

/// Atomic writes of command outputs (per-file CSVs, reports).
enum AtomicWrite {
  static func text(_ text: String, to path: String) throws {
    try AtomicFile.write(text, to: URL(fileURLWithPath: path))
  }
}

/// CSV quoting for free text (transcripts).
enum CSVField {
  static func quote(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
