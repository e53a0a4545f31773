/// One record of a CSV file and the line it starts on.
struct CSVRecord: Sendable, Equatable {
  /// The fields; unquoted fields are trimmed of surrounding spaces and tabs.
  var fields: [String]
  /// The 1-based line on which the record starts.
  var line: Int
}

/// A small RFC 4180 reader shared by the label and info.csv parsers.
///
/// Accepts LF, CRLF and lone CR line ends, a leading UTF-8 byte order mark, fields in double
/// quotes (with `""` for a literal quote and line breaks inside), and skips blank or
/// whitespace-only lines anywhere. Line numbers count physical lines, so a quoted field that
/// spans lines moves the numbers of later records on.
enum CSVReader {
  static func records(_ text: String, path: String?) throws -> [CSVRecord] {
    let scalars = Array(text.unicodeScalars)
    var records: [CSVRecord] = []
    var fields: [String] = []
    var field = String.UnicodeScalarView()
    var fieldWasQuoted = false
    var afterClosingQuote = false
    var inQuotes = false
    var line = 1
    var recordLine = 1
    var quoteLine = 1

    func finishField() {
      let value = String(field)
      fields.append(fieldWasQuoted ? value : value.trimmingSpacesAndTabs())
      field = String.UnicodeScalarView()
      fieldWasQuoted = false
      afterClosingQuote = false
    }
    func finishRecord() {
      let quotedAny = fieldWasQuoted
      finishField()
      if !(fields.count == 1 && fields[0].isEmpty && !quotedAny) {
        records.append(CSVRecord(fields: fields, line: recordLine))
      }
      fields = []
    }

    var i = scalars.first == "\u{FEFF}" ? 1 : 0
    while i < scalars.count {
      let c = scalars[i]
      let next: Unicode.Scalar? = i + 1 < scalars.count ? scalars[i + 1] : nil
      if inQuotes {
        if c == "\"" {
          if next == "\"" {
            field.append("\"")
            i += 2
          } else {
            inQuotes = false
            afterClosingQuote = true
            i += 1
          }
          continue
        }
        if c == "\n" || (c == "\r" && next != "\n") { line += 1 }
        field.append(c)
        i += 1
        continue
      }
      switch c {
      case ",":
        finishField()
        i += 1
      case "\r", "\n":
        i += (c == "\r" && next == "\n") ? 2 : 1
        finishRecord()
        line += 1
        recordLine = line
      case "\"":
        guard !afterClosingQuote, String(field).trimmingSpacesAndTabs().isEmpty else {
          throw DatasetError(
            .malformedCSV,
            "a double quote inside a field; quote the whole field and write \"\" for a "
              + "literal quote",
            path: path, line: line)
        }
        field = String.UnicodeScalarView()
        inQuotes = true
        fieldWasQuoted = true
        quoteLine = line
        i += 1
      default:
        if afterClosingQuote {
          guard c == " " || c == "\t" else {
            throw DatasetError(
              .malformedCSV, "text after the closing quote of a field", path: path, line: line)
          }
        } else {
          field.append(c)
        }
        i += 1
      }
    }
    if inQuotes {
      throw DatasetError(
        .malformedCSV, "a quoted field is never closed", path: path, line: quoteLine)
    }
    if !field.isEmpty || !fields.isEmpty || fieldWasQuoted { finishRecord() }
    return records
  }
}

extension String {
  /// The string without leading and trailing spaces and tabs.
  func trimmingSpacesAndTabs() -> String {
    let scalars = unicodeScalars
    guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
      let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })
    else { return "" }
    return String(scalars[first...last])
  }
}
