public import Foundation

/// Recognises a file that is not a zip archive from its first bytes, so that a login page,
/// an error document or an empty body is reported as what it is instead of as a damaged
/// archive (or, worse, recorded as one).
public enum ArchiveSniffer {
  /// How many leading bytes are read to judge a file.
  static let prefixLength = 512

  /// What the bytes `prefix` (the beginning of a file) are, when they are not the start of a
  /// zip archive; `nil` when they are.
  ///
  /// A zip archive starts with a local file header (`PK\u{3}\u{4}`), or, when it holds no
  /// entry, with the end-of-central-directory record (`PK\u{5}\u{6}`).
  ///
  /// - Returns: a phrase such as `an HTML page (it begins “<!DOCTYPE html><title>Sign in”)`.
  public static func nonZipDescription(of prefix: Data) -> String? {
    let bytes = [UInt8](prefix.prefix(prefixLength))
    let signatures: [[UInt8]] = [[0x50, 0x4B, 3, 4], [0x50, 0x4B, 5, 6], [0x50, 0x4B, 7, 8]]
    if signatures.contains(where: { bytes.starts(with: $0) }) { return nil }
    if bytes.isEmpty { return "an empty file" }
    if bytes.starts(with: [0x1F, 0x8B]) { return "a gzip file" }
    if bytes.starts(with: Array("Rar!".utf8)) { return "a RAR archive" }
    if bytes.starts(with: [0x37, 0x7A, 0xBC, 0xAF]) { return "a 7-Zip archive" }
    guard let text = String(validating: bytes, as: UTF8.self) ?? Self.truncatedUTF8(bytes),
      text.unicodeScalars.allSatisfy({ $0.value >= 0x20 || $0 == "\n" || $0 == "\r" || $0 == "\t" })
    else {
      let hex = bytes.prefix(8).map { String(format: "%02X", $0) }.joined(separator: " ")
      return "unknown binary data (it begins with the bytes \(hex))"
    }
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
      .replacingOccurrences(of: "\u{FEFF}", with: "")
    let lower = trimmed.lowercased()
    let kind: String
    if ["<!doctype html", "<html", "<head", "<body"].contains(where: lower.hasPrefix) {
      kind = "an HTML page"
    } else if lower.hasPrefix("<") {
      kind = "an XML document"
    } else if lower.hasPrefix("{") || lower.hasPrefix("[") {
      kind = "a JSON document"
    } else {
      kind = "a text file"
    }
    return "\(kind) (it begins “\(excerpt(trimmed))”)"
  }

  /// `nonZipDescription(of:)` for the first bytes of the file at `url`; `nil` if it looks like
  /// a zip archive or cannot be read (reading errors are reported by the zip reader).
  public static func nonZipDescription(ofFileAt url: URL) -> String? {
    guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
    defer { try? handle.close() }
    do {
      // `read(upToCount:)` answers nil at the end of the file: an empty file.
      return nonZipDescription(of: try handle.read(upToCount: prefixLength) ?? Data())
    } catch {
      return nil
    }
  }

  /// The first 60 characters of `text`, on one line.
  static func excerpt(_ text: String) -> String {
    let line = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    return line.count > 60 ? String(line.prefix(60)) + "…" : line
  }

  /// `bytes` as UTF-8 when only its last character was cut by the prefix length.
  private static func truncatedUTF8(_ bytes: [UInt8]) -> String? {
    for cut in 1...3 where bytes.count > cut {
      if let text = String(validating: bytes.dropLast(cut), as: UTF8.self) { return text }
    }
    return nil
  }
}
