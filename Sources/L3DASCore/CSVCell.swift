/// One CSV field for reports that people open in spreadsheets: quoted when needed (RFC 4180),
/// and neutralised against formula injection (OWASP "CSV Injection"): a field that starts
/// with `=`, `+`, `-`, `@`, a tab or a carriage return, and is not a plain number, gets a
/// leading `'`, so a submission named `=HYPERLINK("…")` is shown as text, never evaluated.
/// Plain numbers (`-0.25`, `1e-05`) are left as they are.
public enum CSVCell {
  /// The CSV text of `text`.
  public static func escape(_ text: String) -> String {
    var value = text
    if let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first),
      !isPlainNumber(value)
    {
      value = "'" + value
    }
    guard value.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return value }
    return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  /// Whether `text` is a decimal number such as `-2`, `0.5` or `-1.5e-07`, and nothing else.
  static func isPlainNumber(_ text: String) -> Bool {
    var scalars = Substring(text).unicodeScalars[...]
    func digits() -> Int {
      var count = 0
      while let c = scalars.first, ("0"..."9").contains(c) {
        scalars.removeFirst()
        count += 1
      }
      return count
    }
    if scalars.first == "-" || scalars.first == "+" { scalars.removeFirst() }
    var count = digits()
    if scalars.first == "." {
      scalars.removeFirst()
      count += digits()
    }
    guard count > 0 else { return false }
    if scalars.first == "e" || scalars.first == "E" {
      scalars.removeFirst()
      if scalars.first == "-" || scalars.first == "+" { scalars.removeFirst() }
      guard digits() > 0 else { return false }
    }
    return scalars.isEmpty
  }
}
