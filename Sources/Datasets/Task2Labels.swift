public import Foundation
import L3DASCore

/// Reading and writing Task 2 label files, `labels/label_split<X>_ov<K>_<Y>.csv`.
///
/// A label file is a CSV with a header row and one row per sound event. Columns are found
/// by header name (case-insensitive, surrounding spaces ignored), so their order does not
/// matter and extra columns (the official files carry `File`) are ignored. Required:
///
/// | column | meaning |
/// |---|---|
/// | `Start`, `End` | onset and offset in seconds; `Start` ≥ 0, `End` ≥ `Start` |
/// | `Class` | an official class name (`Knock`) or its id 0–13 |
/// | `X`, `Y`, `Z` | position in metres relative to mic A |
///
/// The reader tolerates CRLF line ends, a UTF-8 byte order mark, blank lines and quoted
/// fields. Every error names the file and the line of the offending row.
///
/// ```swift
/// let events = try Task2Labels.read(labelsFolder.appending(path: id.labelFileName))
/// try Task2Labels.write(events, to: copy)   // header Start,End,Class,X,Y,Z
/// ```
public enum Task2Labels {
  /// The header `csvText(_:)` writes.
  public static let header = ["Start", "End", "Class", "X", "Y", "Z"]

  /// The header of label files in `coordinates`: `Start,End,Class,X,Y,Z` or L3DAS23's
  /// `Start,End,Class,rho,theta,z`.
  public static func header(_ coordinates: CoordinateSystem) -> [String] {
    ["Start", "End", "Class"] + coordinates.labelColumns
  }

  /// Parses the text of a label file.
  ///
  /// - Parameters:
  ///   - text: the whole file.
  ///   - path: the file's path, used only in error messages.
  /// - Returns: the events in file order.
  /// - Throws: `DatasetError` naming `path` and the line: `.malformedCSV` for an empty
  ///   file, a missing or repeated required column, a row with the wrong number of fields,
  ///   an unparsable number or a broken quote; `.invalidValue` for NaN or infinity, an
  ///   unknown class, a negative `Start` or an `End` before its `Start`.
  public static func parse(_ text: String, path: String) throws -> [SoundEvent] {
    let records = try CSVReader.records(text, path: path)
    guard let headerRecord = records.first else {
      throw DatasetError(
        .malformedCSV, "the file is empty; expected a header row \(header.joined(separator: ","))",
        path: path, line: 1)
    }
    let columns = try Columns(headerRecord, path: path)
    var events: [SoundEvent] = []
    events.reserveCapacity(records.count - 1)
    for record in records.dropFirst() {
      events.append(try columns.event(from: record, path: path))
    }
    return events
  }

  /// Parses the text of a label file like `parse(_:path:)`, but goes on past bad rows: the
  /// events of the good rows with their line numbers, and the error of every bad row, in
  /// file order.
  ///
  /// - Throws: what makes the whole file unusable (an empty file, a bad header, broken
  ///   quoting), as `parse(_:path:)`.
  public static func parseCollectingErrors(_ text: String, path: String) throws -> (
    events: [(event: SoundEvent, line: Int)], errors: [DatasetError]
  ) {
    let records = try CSVReader.records(text, path: path)
    guard let headerRecord = records.first else {
      throw DatasetError(
        .malformedCSV, "the file is empty; expected a header row \(header.joined(separator: ","))",
        path: path, line: 1)
    }
    let columns = try Columns(headerRecord, path: path)
    var events: [(event: SoundEvent, line: Int)] = []
    var errors: [DatasetError] = []
    for record in records.dropFirst() {
      do {
        events.append((try columns.event(from: record, path: path), record.line))
      } catch let error as DatasetError {
        errors.append(error)
      }
    }
    return (events, errors)
  }

  /// Reads and parses a label file.
  ///
  /// - Throws: `DatasetError` `.notFound` if the file does not exist, `.readFailed` if it
  ///   cannot be read as UTF-8, or any error of `parse(_:path:)`.
  public static func read(_ url: URL) throws -> [SoundEvent] {
    try parse(TextFile.read(url), path: url.path)
  }

  /// The CSV text of `events`: the header `Start,End,Class,X,Y,Z`, then one LF-terminated
  /// row per event in the given order, with the class's official name.
  ///
  /// Times are rounded to the microsecond (6 decimals, far below the 100 ms label frame);
  /// coordinates are written with the shortest decimal that reads back as the same
  /// `Double`. Trailing zeros are dropped (`1.5`, `3`) and no exponent notation is used.
  ///
  /// With `coordinates` `.cylindrical` (L3DAS23) the header is `Start,End,Class,rho,theta,z`
  /// and each event's `cylindrical` values are written (or its position converted).
  public static func csvText(_ events: [SoundEvent], coordinates: CoordinateSystem = .cartesian) -> String {
    var text = header(coordinates).joined(separator: ",") + "\n"
    for event in events {
      let written =
        coordinates == .cylindrical ? event.cylindrical ?? coordinates.written(event.position) : event.position
      let fields = [
        decimal(roundedToMicroseconds(event.startSeconds)),
        decimal(roundedToMicroseconds(event.endSeconds)),
        event.soundClass.officialName,
        decimal(written.x), decimal(written.y), decimal(written.z),
      ]
      text += fields.joined(separator: ",") + "\n"
    }
    return text
  }

  /// Atomically writes `csvText(events)` to `url` (readers never see a partial file).
  ///
  /// - Throws: `DatasetError` `.writeFailed` if the file cannot be created or moved into
  ///   place (for example when the folder does not exist).
  public static func write(_ events: [SoundEvent], to url: URL, coordinates: CoordinateSystem = .cartesian) throws {
    do {
      try AtomicFile.write(csvText(events, coordinates: coordinates), to: url)
    } catch let error as AtomicFileError {
      throw DatasetError(.writeFailed, error.message, path: url.path)
    }
  }

  // MARK: - Implementation

  private static func roundedToMicroseconds(_ seconds: Double) -> Double {
    guard seconds.isFinite else { return seconds }
    return (seconds * 1_000_000).rounded() / 1_000_000
  }

  /// The shortest round-tripping decimal of `value` in plain (non-exponent) notation.
  static func decimal(_ value: Double) -> String {
    guard value.isFinite else { return value.description }
    if value == 0 { return "0" }
    let shortest = value.description  // e.g. "1.5", "2.0", "1e-07", "1.25e+20"
    guard let e = shortest.firstIndex(where: { $0 == "e" || $0 == "E" }) else {
      return shortest.hasSuffix(".0") ? String(shortest.dropLast(2)) : shortest
    }
    guard let exponent = Int(shortest[shortest.index(after: e)...]) else { return shortest }
    var mantissa = shortest[..<e]
    let negative = mantissa.hasPrefix("-")
    if negative { mantissa = mantissa.dropFirst() }
    let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
    let integerDigits = String(parts[0])
    let fractionDigits = parts.count > 1 ? String(parts[1]) : ""
    var digits = integerDigits + fractionDigits
    var pointPosition = integerDigits.count + exponent
    if pointPosition <= 0 {
      digits = String(repeating: "0", count: 1 - pointPosition) + digits
      pointPosition = 1
    } else if pointPosition > digits.count {
      digits += String(repeating: "0", count: pointPosition - digits.count)
    }
    var integerPart = String(digits.prefix(pointPosition))
    var fractionPart = String(digits.dropFirst(pointPosition))
    while fractionPart.hasSuffix("0") { fractionPart.removeLast() }
    while integerPart.count > 1 && integerPart.hasPrefix("0") { integerPart.removeFirst() }
    let body = fractionPart.isEmpty ? integerPart : integerPart + "." + fractionPart
    return negative ? "-" + body : body
  }

  /// Where the required columns are in a file.
  private struct Columns {
    var start: Int
    var end: Int
    var soundClass: Int
    var x: Int
    var y: Int
    var z: Int
    var count: Int

    /// How the file gives positions: `X,Y,Z` (L3DAS21/22) or `rho,theta,z` (L3DAS23).
    var coordinates: CoordinateSystem

    init(_ header: CSVRecord, path: String) throws {
      let keys = header.fields.map { $0.lowercased() }
      let cylindrical = keys.contains("rho") || keys.contains("theta")
      if cylindrical, keys.contains("x") || keys.contains("y") {
        throw DatasetError(
          .malformedCSV,
          "the header has both Cartesian (X, Y) and cylindrical (rho, theta) columns; a label file uses one (found: \(header.fields.joined(separator: ",")))",
          path: path, line: header.line)
      }
      coordinates = cylindrical ? .cylindrical : .cartesian
      let required = ["Start", "End", "Class"] + coordinates.labelColumns
      var index: [String: Int] = [:]
      for (i, name) in header.fields.enumerated() {
        let key = name.lowercased()
        guard required.contains(where: { $0.lowercased() == key }) else { continue }
        guard index[key] == nil else {
          throw DatasetError(
            .malformedCSV, "column \(name) appears more than once in the header",
            path: path, line: header.line)
        }
        index[key] = i
      }
      let missing = required.filter { index[$0.lowercased()] == nil }
      let names = coordinates.labelColumns.map { $0.lowercased() }
      guard missing.isEmpty,
        let start = index["start"], let end = index["end"], let soundClass = index["class"],
        let x = index[names[0]], let y = index[names[1]], let z = index[names[2]]
      else {
        let found = header.fields.joined(separator: ",")
        throw DatasetError(
          .malformedCSV,
          "missing required column\(missing.count == 1 ? "" : "s") "
            + "\(missing.joined(separator: ", ")); the first row must be a header naming "
            + "\(Task2Labels.header.joined(separator: ", ")) (L3DAS23: \(Task2Labels.header(.cylindrical).joined(separator: ", "))) (found: \(found))",
          path: path, line: header.line)
      }
      (self.start, self.end, self.soundClass) = (start, end, soundClass)
      (self.x, self.y, self.z) = (x, y, z)
      count = header.fields.count
    }

    func event(from record: CSVRecord, path: String) throws -> SoundEvent {
      let fields = record.fields
      guard fields.count == count else {
        throw DatasetError(
          .malformedCSV, "expected \(count) fields as in the header, found \(fields.count)",
          path: path, line: record.line)
      }
      func number(_ column: Int, _ name: String) throws -> Double {
        let text = fields[column]
        guard let value = Double(text) else {
          throw DatasetError(
            .malformedCSV, "column \(name): '\(text)' is not a number",
            path: path, line: record.line)
        }
        guard value.isFinite else {
          throw DatasetError(
            .invalidValue, "column \(name): \(text) is not a finite number",
            path: path, line: record.line)
        }
        return value
      }
      let startSeconds = try number(start, "Start")
      let endSeconds = try number(end, "End")
      guard startSeconds >= 0 else {
        throw DatasetError(
          .invalidValue, "Start \(fields[start]) is negative", path: path, line: record.line)
      }
      guard endSeconds >= startSeconds else {
        throw DatasetError(
          .invalidValue, "End \(fields[end]) is before Start \(fields[start])",
          path: path, line: record.line)
      }
      let classText = fields[soundClass]
      guard let eventClass = Self.soundClass(classText) else {
        throw DatasetError(
          .invalidValue,
          "unknown class '\(classText)'; expected an official name such as Knock or an id 0–13",
          path: path, line: record.line)
      }
      let names = coordinates.labelColumns
      let written = SIMD3(try number(x, names[0]), try number(y, names[1]), try number(z, names[2]))
      if coordinates == .cylindrical, written.x < 0 {
        throw DatasetError(
          .invalidValue, "rho \(fields[x]) is negative; rho is a distance in metres",
          path: path, line: record.line)
      }
      return SoundEvent(
        startSeconds: startSeconds, endSeconds: endSeconds, soundClass: eventClass,
        position: coordinates.cartesian(written.x, written.y, written.z),
        cylindrical: coordinates == .cylindrical ? written : nil)
    }

    static func soundClass(_ text: String) -> SoundClass? {
      if let named = SoundClass(officialName: text) { return named }
      guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), let id = Int(text)
      else { return nil }
      return SoundClass(rawValue: id)
    }
  }
}
