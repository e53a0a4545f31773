public import Datasets
public import Foundation

/// Reading Task 2 detection rows, and turning label events into them.
///
/// **The row format** (FACTS §2.2): one headerless CSV per test item, one line per active
/// event per 100 ms frame, `frame,class,x,y,z`:
///
/// | field | accepted |
/// |---|---|
/// | `frame` | a whole number ≥ 0 (and < `frameCount` when given); `12.0` is accepted as 12 |
/// | `class` | an official class name (`Knock`, case-sensitive) or an id 0–13 (`7`, `7.0`) |
/// | `x`, `y`, `z` | finite decimal numbers, metres |
///
/// Both class spellings are normalised to `SoundClass`, so a name in the prediction matches
/// an id in the reference. (The official metric compares the raw fields and never matches a
/// name with an id, FACTS §2.2.) An empty file is valid and means "no detections" (the
/// official validator rejects it). CRLF line ends, a trailing newline, a UTF-8 byte order
/// mark, blank lines, spaces around fields and double quotes around a whole field are
/// tolerated. A header row is rejected: the official metric reads without a header and
/// would crash on one.
///
/// Every error is a `SELDError` naming the file and the 1-based line:
/// `pred/x.csv:3: unknown class 'Dog'; expected an official name such as Knock or an id 0–13`.
///
/// ```swift
/// let prediction = try Task2Rows.read(predictionURL, frameCount: Edition.l3das22.task2FrameCount)
/// let reference = Task2Rows.frames(
///   from: try Task2Labels.read(labelURL), frameCount: 300, sceneSeconds: 30)
/// ```
public enum Task2Rows {
  /// The official label frame length: 100 ms.
  public static let frameSeconds = 0.1

  // MARK: - Reading

  /// Parses the text of a detection CSV.
  ///
  /// - Parameters:
  ///   - text: the whole file.
  ///   - path: the file's path, used only in error messages.
  ///   - frameCount: when given, every frame index must be below it (300 for L3DAS22/23,
  ///     600 for L3DAS21; `Edition.task2FrameCount`). `nil` checks only that frames are ≥ 0.
  /// - Returns: the rows in file order.
  /// - Throws: `SELDError` naming `path` and the line: `.headerRow`, `.wrongFieldCount`,
  ///   `.invalidFrame`, `.frameOutOfRange`, `.unknownClass` or `.invalidCoordinate`.
  /// - Complexity: O(n) in the length of the text.
  public static func parse(_ text: String, path: String, frameCount: Int? = nil) throws
    -> [DetectionRow]
  {
    var text = text
    return try text.withUTF8 { utf8 in
      try parse(bytes: UnsafeRawBufferPointer(utf8), path: path, frameCount: frameCount)
    }
  }

  /// Reads and parses a detection CSV.
  ///
  /// - Parameters:
  ///   - url: the file.
  ///   - frameCount: as in `parse(_:path:frameCount:)`.
  /// - Throws: `SELDError` `.notFound` if the file does not exist, `.readFailed` if it cannot
  ///   be read, or any error of `parse(_:path:frameCount:)`.
  public static func read(_ url: URL, frameCount: Int? = nil) throws -> [DetectionRow] {
    let path = url.path
    guard FileManager.default.fileExists(atPath: path) else {
      throw SELDError(.notFound, "file does not exist", path: path)
    }
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw SELDError(
        .readFailed, "cannot read the file: \(error.localizedDescription)", path: path)
    }
    return try data.withUnsafeBytes { bytes in
      try parse(bytes: bytes, path: path, frameCount: frameCount)
    }
  }

  /// Parses raw UTF-8 bytes; the shared implementation of `parse` and `read`.
  static func parse(bytes: UnsafeRawBufferPointer, path: String, frameCount: Int?) throws
    -> [DetectionRow]
  {
    var rows: [DetectionRow] = []
    rows.reserveCapacity(bytes.count / 48 + 1)
    let parser = RowParser(bytes: bytes, path: path, frameCount: frameCount)
    try parser.parseAll(into: &rows)
    return rows
  }

  // MARK: - From label events

  /// The frame that contains time `seconds`, computed exactly as the official label converter.
  ///
  /// `csv_to_matrix_task2` in L3DAS22 `utility_functions.py` first quantises the time with
  /// Python's `round(t / 0.1) * 0.1` (round-half-to-even of the quotient `t / 0.1` — a
  /// division, not `t * 10`, which can differ: 0.35 / 0.1 = 3.4999… → 3), then maps it with
  /// `int(np.interp(t, (0, sceneSeconds), (0, frameCount − 1)))`: linear interpolation onto
  /// `[0, frameCount − 1]` (clamped at both ends), truncated toward zero. With 30 s and 300
  /// frames, 1.0 s → frame 9 and 2.0 s → frame 19.
  ///
  /// - Parameters:
  ///   - seconds: a finite time in seconds.
  ///   - frameCount: frames in the scene (≥ 1): 300 for L3DAS22, 600 for L3DAS21.
  ///   - sceneSeconds: the scene length in seconds (> 0): 30 for L3DAS22, 60 for L3DAS21.
  /// - Returns: a frame index in `0..<frameCount`.
  public static func frameIndex(seconds: Double, frameCount: Int, sceneSeconds: Double) -> Int {
    precondition(frameCount >= 1, "frameCount must be at least 1, got \(frameCount)")
    precondition(
      sceneSeconds > 0 && sceneSeconds.isFinite,
      "sceneSeconds must be positive, got \(sceneSeconds)")
    precondition(seconds.isFinite, "seconds must be finite, got \(seconds)")
    let quantised = (seconds / frameSeconds).rounded(.toNearestOrEven) * frameSeconds
    // np.interp(x, (0, d), (0, n − 1)): left value below the range, right value at or above
    // its end, otherwise slope · (x − 0) + 0 with slope = (n − 1 − 0) / (d − 0).
    if quantised <= 0 { return 0 }
    if quantised >= sceneSeconds { return frameCount - 1 }
    let slope = Double(frameCount - 1) / sceneSeconds
    return Int((slope * quantised).rounded(.towardZero))
  }

  /// The frame rows of label events, with the official quantisation.
  ///
  /// Each event becomes one row per frame from `frameIndex(start)` to `frameIndex(end)`,
  /// **both inclusive**, as the official converter does (FACTS §1.5): with 30 s / 300 frames
  /// an event from 1.0 s to 2.0 s covers frames 9…19 (11 rows).
  ///
  /// The rows are ordered by frame, then by class id, then by event order, which is the order
  /// in which the official pipeline (`csv_to_matrix_task2` followed by
  /// `gen_submission_list_task2`) lists them.
  ///
  /// Difference from the official converter: it stores at most 3 simultaneous events of the
  /// same class per frame (`class_overlaps = 3`; a fourth raises an IndexError there). Here
  /// every event is kept, because the metric works on rows, not on the fixed-size matrix.
  ///
  /// - Parameters:
  ///   - events: label events (`Task2Labels.read`).
  ///   - frameCount: frames in the scene (≥ 1), `Edition.task2FrameCount`.
  ///   - sceneSeconds: the scene length in seconds, `Edition.task2SceneSeconds`.
  /// - Returns: the rows, ordered by (frame, class, event order).
  /// - Complexity: O(r log r) for r output rows.
  ///
  /// ```swift
  /// let event = SoundEvent(startSeconds: 1, endSeconds: 2, soundClass: .knock, position: .zero)
  /// Task2Rows.frames(from: [event], frameCount: 300, sceneSeconds: 30).map(\.frame)  // 9...19
  /// ```
  public static func frames(from events: [SoundEvent], frameCount: Int, sceneSeconds: Double)
    -> [DetectionRow]
  {
    var keyed: [(key: Int, row: DetectionRow)] = []
    for event in events {
      let first = frameIndex(
        seconds: event.startSeconds, frameCount: frameCount, sceneSeconds: sceneSeconds)
      let last = frameIndex(
        seconds: event.endSeconds, frameCount: frameCount, sceneSeconds: sceneSeconds)
      guard first <= last else { continue }
      for frame in first...last {
        let row = DetectionRow(frame: frame, soundClass: event.soundClass, position: event.position)
        keyed.append((frame * SoundClass.allCases.count + event.soundClass.rawValue, row))
      }
    }
    // Sorting by (key, insertion index) keeps event order within a (frame, class) pair.
    let order = keyed.indices.sorted { a, b in
      keyed[a].key != keyed[b].key ? keyed[a].key < keyed[b].key : a < b
    }
    return order.map { keyed[$0].row }
  }
}

/// The byte-level reader behind `Task2Rows.parse`.
///
/// Plain rows (`12,Knock,0.5,-1.25,0.3` + LF or CRLF: digits, a name or id, fast-path numbers,
/// no spaces or quotes) are read in one pass by `plainRow`. Every other line, including every
/// invalid one, goes through the general path, which tolerates more and words the errors.
private struct RowParser {
  let bytes: UnsafeRawBufferPointer
  let path: String
  let frameCount: Int?
  /// The official class names, concatenated; name `id` is `names[offsets[id]..<offsets[id + 1]]`.
  private let names: [UInt8]
  private let offsets: [Int]
  /// The ids of the names of each byte length, two slots per length (-1 = none).
  private let idsByLength: [Int]

  init(bytes: UnsafeRawBufferPointer, path: String, frameCount: Int?) {
    self.bytes = bytes
    self.path = path
    self.frameCount = frameCount
    var names: [UInt8] = []
    var offsets = [0]
    for soundClass in SoundClass.allCases {
      names.append(contentsOf: soundClass.officialName.utf8)
      offsets.append(names.count)
    }
    var idsByLength = [Int](repeating: -1, count: 2 * (Self.longestName + 1))
    for id in 0..<(offsets.count - 1) {
      let slot = 2 * (offsets[id + 1] - offsets[id])
      idsByLength[idsByLength[slot] < 0 ? slot : slot + 1] = id
    }
    self.names = names
    self.offsets = offsets
    self.idsByLength = idsByLength
  }

  /// The longest official name (`Female_speech_and_woman_speaking`), in bytes; no length has
  /// more than two names.
  private static let longestName = 32

  private static let comma = UInt8(ascii: ",")
  private static let newline = UInt8(ascii: "\n")
  private static let carriageReturn = UInt8(ascii: "\r")

  func parseAll(into rows: inout [DetectionRow]) throws {
    let count = bytes.count
    var position = 0
    if count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { position = 3 }
    var line = 0
    var sawRow = false
    while position < count {
      line += 1
      if let (row, next) = plainRow(position) {
        rows.append(row)
        sawRow = true
        position = next
        continue
      }
      var lineEnd = position
      while lineEnd < count && bytes[lineEnd] != Self.newline { lineEnd += 1 }
      let next = lineEnd + 1
      if lineEnd > position && bytes[lineEnd - 1] == Self.carriageReturn { lineEnd -= 1 }
      if isBlank(position, lineEnd) {
        position = next
        continue
      }
      let isFirstRow = !sawRow
      sawRow = true
      rows.append(try generalRow(position, lineEnd, line: line, isFirstRow: isFirstRow))
      position = next
    }
  }

  /// A plain row starting at `start` and the start of the next line, or `nil`.
  @inline(__always)
  private func plainRow(_ start: Int) -> (DetectionRow, Int)? {
    let count = bytes.count
    var i = start
    var frame = 0
    var digits = 0
    while i < count, case let digit = bytes[i] &- UInt8(ascii: "0"), digit < 10 {
      frame = frame &* 10 &+ Int(digit)
      digits += 1
      i += 1
    }
    guard digits > 0 && digits <= 9 && i < count && bytes[i] == Self.comma else { return nil }
    if let frameCount, frame >= frameCount { return nil }
    i += 1
    let classStart = i
    while i < count && bytes[i] != Self.comma && bytes[i] != Self.newline { i += 1 }
    guard i < count && bytes[i] == Self.comma, let soundClass = plainClass(classStart, i) else {
      return nil
    }
    guard let (x, xEnd) = DecimalParsing.scanDouble(bytes, i + 1, count),
      xEnd < count && bytes[xEnd] == Self.comma,
      let (y, yEnd) = DecimalParsing.scanDouble(bytes, xEnd + 1, count),
      yEnd < count && bytes[yEnd] == Self.comma,
      let (z, zEnd) = DecimalParsing.scanDouble(bytes, yEnd + 1, count)
    else { return nil }
    let next: Int
    if zEnd == count {
      next = count
    } else if bytes[zEnd] == Self.newline {
      next = zEnd + 1
    } else if bytes[zEnd] == Self.carriageReturn && zEnd + 1 < count
      && bytes[zEnd + 1] == Self.newline
    {
      next = zEnd + 2
    } else {
      return nil
    }
    return (DetectionRow(frame: frame, soundClass: soundClass, position: SIMD3(x, y, z)), next)
  }

  /// An exact official name or a plain id 0–13 in `bytes[start..<end]`, else `nil`.
  @inline(__always)
  private func plainClass(_ start: Int, _ end: Int) -> SoundClass? {
    let length = end - start
    if length <= Self.longestName {
      for slot in (2 * length)..<(2 * length + 2) where idsByLength[slot] >= 0 {
        let id = idsByLength[slot]
        let base = offsets[id]
        var offset = 0
        while offset < length && bytes[start + offset] == names[base + offset] { offset += 1 }
        if offset == length { return SoundClass(rawValue: id) }
      }
    }
    guard length >= 1 && length <= 2 else { return nil }
    var id = 0
    for k in start..<end {
      let digit = bytes[k] &- UInt8(ascii: "0")
      guard digit < 10 else { return nil }
      id = id * 10 + Int(digit)
    }
    return SoundClass(rawValue: id)
  }

  /// Any non-blank line `bytes[start..<end]` (without its line end): a row, or the error.
  private func generalRow(_ start: Int, _ end: Int, line: Int, isFirstRow: Bool) throws
    -> DetectionRow
  {
    // Field boundaries; only the first five are kept.
    var starts = (0, 0, 0, 0, 0)
    var ends = (0, 0, 0, 0, 0)
    var fieldCount = 0
    var fieldStart = start
    var k = start
    while true {
      if k == end || bytes[k] == Self.comma {
        let (s, e) = trimmed(fieldStart, k)
        switch fieldCount {
        case 0: (starts.0, ends.0) = (s, e)
        case 1: (starts.1, ends.1) = (s, e)
        case 2: (starts.2, ends.2) = (s, e)
        case 3: (starts.3, ends.3) = (s, e)
        case 4: (starts.4, ends.4) = (s, e)
        default: break
        }
        fieldCount += 1
        if k == end { break }
        fieldStart = k + 1
      }
      k += 1
    }
    if isFirstRow, let message = headerMessage(start, end, starts.0, ends.0) {
      throw SELDError(.headerRow, message, path: path, row: line)
    }
    guard fieldCount == 5 else {
      throw SELDError(
        .wrongFieldCount,
        "expected 5 fields frame,class,x,y,z, found \(fieldCount): '\(text(start, end))'",
        path: path, row: line)
    }
    let frame = try parseFrame(starts.0, ends.0, line: line)
    let soundClass = try parseClass(starts.1, ends.1, line: line)
    let x = try parseCoordinate(starts.2, ends.2, name: "x", line: line)
    let y = try parseCoordinate(starts.3, ends.3, name: "y", line: line)
    let z = try parseCoordinate(starts.4, ends.4, name: "z", line: line)
    return DetectionRow(frame: frame, soundClass: soundClass, position: SIMD3(x, y, z))
  }

  private func isBlank(_ start: Int, _ end: Int) -> Bool {
    var i = start
    while i < end {
      let byte = bytes[i]
      guard byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") else { return false }
      i += 1
    }
    return true
  }

  /// The field without surrounding spaces, tabs and one pair of double quotes.
  private func trimmed(_ start: Int, _ end: Int) -> (Int, Int) {
    var s = start
    var e = end
    while s < e && (bytes[s] == UInt8(ascii: " ") || bytes[s] == UInt8(ascii: "\t")) { s += 1 }
    while e > s && (bytes[e - 1] == UInt8(ascii: " ") || bytes[e - 1] == UInt8(ascii: "\t")) {
      e -= 1
    }
    if e - s >= 2 && bytes[s] == UInt8(ascii: "\"") && bytes[e - 1] == UInt8(ascii: "\"") {
      s += 1
      e -= 1
    }
    return (s, e)
  }

  private func text(_ start: Int, _ end: Int) -> String {
    String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
  }

  /// A message if the first row looks like a header: a non-numeric first field and no numeric
  /// field after the class column.
  private func headerMessage(_ lineStart: Int, _ lineEnd: Int, _ firstStart: Int, _ firstEnd: Int)
    -> String?
  {
    guard DecimalParsing.double(bytes, firstStart, firstEnd) == nil else { return nil }
    let fields = text(lineStart, lineEnd).split(separator: ",", omittingEmptySubsequences: false)
      .map { $0.trimmingCharacters(in: .whitespaces) }
    let anyNumeric = fields.dropFirst(2).contains { Double($0) != nil }
    guard !anyNumeric else { return nil }
    let lowered = Set(fields.map { $0.lowercased() })
    let found = fields.joined(separator: ",")
    if lowered.contains("start") && lowered.contains("end") {
      return "the first row '\(found)' looks like the header of a label file (label_*.csv); "
        + "detection CSVs have no header and one row per frame: frame,class,x,y,z "
        + "(convert labels with Task2Rows.frames(from:frameCount:sceneSeconds:))"
    }
    return "the first row '\(found)' looks like a header; submission CSVs have none "
      + "(expected rows frame,class,x,y,z such as 12,Knock,0.5,-1.2,0.3)"
  }

  private func parseFrame(_ start: Int, _ end: Int, line: Int) throws -> Int {
    guard let frame = DecimalParsing.integer(bytes, start, end) else {
      throw SELDError(
        .invalidFrame, "frame '\(text(start, end))' is not a whole number", path: path, row: line)
    }
    guard frame >= 0 else {
      throw SELDError(.invalidFrame, "frame \(frame) is negative", path: path, row: line)
    }
    if let frameCount, frame >= frameCount {
      throw SELDError(
        .frameOutOfRange,
        "frame \(frame) is out of range: the files have \(frameCount) frames (0–\(frameCount - 1))",
        path: path, row: line)
    }
    return frame
  }

  private func parseClass(_ start: Int, _ end: Int, line: Int) throws -> SoundClass {
    if let soundClass = plainClass(start, end) { return soundClass }
    if let id = DecimalParsing.integer(bytes, start, end) {
      guard let soundClass = SoundClass(rawValue: id) else {
        throw SELDError(
          .unknownClass,
          "unknown class id \(id); ids are 0–\(SoundClass.allCases.count - 1)",
          path: path, row: line)
      }
      return soundClass
    }
    throw SELDError(
      .unknownClass,
      "unknown class '\(text(start, end))'; expected an official name such as Knock or an id 0–13",
      path: path, row: line)
  }

  private func parseCoordinate(_ start: Int, _ end: Int, name: String, line: Int) throws -> Double {
    guard let value = DecimalParsing.double(bytes, start, end) else {
      throw SELDError(
        .invalidCoordinate, "\(name): '\(text(start, end))' is not a number", path: path, row: line)
    }
    guard value.isFinite else {
      throw SELDError(
        .invalidCoordinate, "\(name): '\(text(start, end))' is not a finite number",
        path: path, row: line)
    }
    return value
  }
}
