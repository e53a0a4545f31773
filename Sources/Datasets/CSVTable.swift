public import Foundation

/// A CSV file read generically: a header row and rows of text fields.
///
/// Used for the Task 1 `info.csv` files, whose columns are not documented for the official
/// data (ours are written by the synthesizer), so nothing beyond the shape is checked.
/// Accepts the same dialect as the label reader: CRLF or LF, a UTF-8 byte order mark, quoted
/// fields, blank lines skipped.
public struct CSVTable: Sendable, Equatable {
  /// The header row's field names.
  public var header: [String]
  /// The data rows, each with exactly `header.count` fields.
  public var rows: [[String]]

  /// Creates a table.
  public init(header: [String], rows: [[String]]) {
    self.header = header
    self.rows = rows
  }

  /// The number of data rows.
  public var rowCount: Int { rows.count }

  /// The index of the column named `name` (exact match after trimming), if present.
  public func columnIndex(named name: String) -> Int? { header.firstIndex(of: name) }

  /// Parses CSV text whose first non-blank row is the header.
  ///
  /// - Parameters:
  ///   - text: the whole file.
  ///   - path: the file's path, used only in error messages.
  /// - Throws: `DatasetError` `.malformedCSV` naming the line for an empty file, a row whose
  ///   field count differs from the header's, or a broken quote.
  public static func parse(_ text: String, path: String) throws -> CSVTable {
    let records = try CSVReader.records(text, path: path)
    guard let header = records.first else {
      throw DatasetError(
        .malformedCSV, "the file is empty; expected a header row", path: path, line: 1)
    }
    var rows: [[String]] = []
    rows.reserveCapacity(records.count - 1)
    for record in records.dropFirst() {
      guard record.fields.count == header.fields.count else {
        throw DatasetError(
          .malformedCSV,
          "expected \(header.fields.count) fields as in the header, found \(record.fields.count)",
          path: path, line: record.line)
      }
      rows.append(record.fields)
    }
    return CSVTable(header: header.fields, rows: rows)
  }

  /// Reads and parses a CSV file.
  ///
  /// - Throws: `DatasetError` `.notFound`, `.readFailed`, or any error of `parse(_:path:)`.
  public static func read(_ url: URL) throws -> CSVTable {
    try parse(TextFile.read(url), path: url.path)
  }
}
