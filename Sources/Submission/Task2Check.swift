import Datasets
import L3DASCore
import Metrics

/// The checks of one Task 2 item file: a headerless CSV of `frame,class,x,y,z` rows.
///
/// Rows are read by the scorer's own reader (`Task2Rows`, in its collecting mode), so a file
/// that validates is a file the scorer reads, and every row error the scorer would stop at is
/// reported here, for every line. On top of that: coordinates inside a plausible box, at most
/// three instances of one class per frame, no repeated rows.
struct Task2Check {
  /// Frames per scene: rows need `0 ≤ frame < frameCount`.
  let frameCount: Int
  /// The largest plausible |x|, |y| or |z| (cylindrical: |ρ| or |z|), in metres.
  let coordinateLimit: Double
  /// How many problems of one kind are listed per file before they are only counted.
  let listLimit: Int
  /// How rows give positions: `x,y,z` or L3DAS23's `rho,theta,z` (θ in degrees).
  var coordinates: CoordinateSystem = .cartesian

  /// The largest file read: 600 frames × 14 classes × 3 instances of 100-byte rows is 2.5 MB.
  /// The scorer's reader has the same limit (`Task2Rows.maximumFileByteCount`).
  static let maximumFileBytes = Task2Rows.maximumFileByteCount

  /// What one file contributes to the submission-wide checks.
  struct Summary: Sendable {
    var rowCount = 0
    var usesNames = false
    var usesIds = false
    var largestCoordinate = 0.0
    /// The largest |x|, |y|, |z| over the rows.
    var largest = SIMD3<Double>(0, 0, 0)
  }

  func run(_ entry: SubmissionEntry, reader: SubmissionContents.Reader)
    -> ([SubmissionProblem], Summary)
  {
    let (problems, summary, _) = readAndCheck(entry, reader: reader)
    return (problems, summary)
  }

  /// - Parameter size: the declared size, or `nil` when reading went past the limit.
  private func tooLarge(_ file: String, _ size: Int?) -> SubmissionProblem {
    let amount = size.map { RegularFile.byteText($0) }
      ?? "more than \(RegularFile.byteText(Self.maximumFileBytes))"
    return SubmissionProblem(
      .error, .notText, file: file,
      "the file is \(amount); a detection file of \(frameCount) frames holds at most \(frameCount * 42) rows (about \(frameCount * 42 * 100 / 1_000_000 + 1) MB)",
      hint: "write one row per frame and detected event, at most 3 per class and frame")
  }

  /// Checks the bytes of one file.
  func check(_ bytes: [UInt8], file: String) -> ([SubmissionProblem], Summary) {
    let (problems, summary, _) = checkAndRead(bytes, file: file)
    return (problems, summary)
  }

  /// Reads the whole entry and checks it like `run`; also returns the rows the file's valid
  /// lines hold (what the scorer counts when the file has no error).
  func read(_ entry: SubmissionEntry, reader: SubmissionContents.Reader) -> ([SubmissionProblem], [DetectionRow]) {
    let (problems, _, rows) = readAndCheck(entry, reader: reader)
    return (problems, rows)
  }

  /// Reads the entry (refusing one over the size limit) and checks its bytes.
  private func readAndCheck(_ entry: SubmissionEntry, reader: SubmissionContents.Reader)
    -> ([SubmissionProblem], Summary, [DetectionRow])
  {
    let file = entry.path
    if let size = entry.size, size > Self.maximumFileBytes { return ([tooLarge(file, size)], Summary(), []) }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(entry.size ?? 0)
    var tooBig = false
    do {
      try reader.read(entry) { chunk in
        if bytes.count + chunk.count > Self.maximumFileBytes {
          tooBig = true
          return false
        }
        bytes.append(contentsOf: chunk)
        return true
      }
    } catch let failure as ReadFailure {
      return ([SubmissionProblem(.error, .unreadableFile, file: file, failure.message)], Summary(), [])
    } catch {
      return ([SubmissionProblem(.error, .unreadableFile, file: file, "\(error)")], Summary(), [])
    }
    if tooBig { return ([tooLarge(file, nil)], Summary(), []) }
    return checkAndRead(bytes, file: file)
  }

  /// The checks of one file's bytes, its summary and its rows.
  private func checkAndRead(_ bytes: [UInt8], file: String) -> ([SubmissionProblem], Summary, [DetectionRow]) {
    var summary = Summary()
    if let bad = Self.firstNonText(bytes) {
      return (
        [
          SubmissionProblem(
            .error, .notText, file: file,
            "not UTF-8 text: byte 0x\(String(bytes[bad], radix: 16, uppercase: true)) at offset \(bad)",
            hint: "write the rows as plain text, e.g. with csv.writer or df.to_csv(header=False, index=False)")
        ], summary, []
      )
    }
    var list = ProblemList(limit: listLimit, file: file)
    // The scorer's fast reader first; only a file it rejects (or one with a row problem,
    // which needs line numbers) is read again line by line.
    var rows: [DetectionRow]
    var lineNumbers: [Int]? = nil
    do {
      rows = try bytes.withUnsafeBytes {
        try Task2Rows.parse(bytes: $0, path: file, frameCount: frameCount)
      }
    } catch {
      let parsed = bytes.withUnsafeBytes {
        Task2Rows.parseCollectingErrors(bytes: $0, path: file, frameCount: frameCount)
      }
      for error in parsed.errors { list.add(problem(for: error, file: file)) }
      rows = parsed.rows
      lineNumbers = parsed.lines
    }
    func lines() -> [Int] {
      if let lineNumbers { return lineNumbers }
      let found = bytes.withUnsafeBytes {
        Task2Rows.parseCollectingErrors(bytes: $0, path: file, frameCount: frameCount).lines
      }
      lineNumbers = found
      return found
    }

    // Spellings of valid rows only (every non-blank line when the fast reader accepted all).
    (summary.usesIds, summary.usesNames) = Self.classSpellings(
      bytes, lines: lineNumbers.map { Set($0) })
    summary.rowCount = rows.count
    let classCount = SoundClass.allCases.count
    var counts = [UInt8](repeating: 0, count: frameCount * classCount)
    var crowded: Set<Int> = []
    var firstIndex: [RowKey: Int] = [:]
    firstIndex.reserveCapacity(rows.count)
    for (index, row) in rows.enumerated() {
      let position = row.position
      let largest = max(abs(position.x), abs(position.y), abs(position.z))
      summary.largestCoordinate = max(summary.largestCoordinate, largest)
      summary.largest = pointwiseMax(
        summary.largest, SIMD3(abs(position.x), abs(position.y), abs(position.z)))
      if coordinates == .cylindrical {
        // θ (degrees) may be any finite value: it wraps. ρ and z are metres.
        // L3DAS23's sources stand in whole houses and its official metric scores any value: a
        // far-off value is a warning (units?), not a refusal.
        for (name, value) in [("rho", position.x), ("z", position.z)] where abs(value) > coordinateLimit {
          list.add(
            SubmissionProblem(
              .warning, .coordinateOutOfRange, file: file, line: lines()[index],
              "\(name) = \(value) m is outside ±\(coordinateLimit) m, far beyond the sources' cylinders around mic A",
              hint: "L3DAS23 rows are frame,class,rho,theta,z: rho and z in metres from mic A, theta in degrees"))
        }
        if position.x < 0 {
          list.add(
            SubmissionProblem(
              .warning, .negativeRho, file: file, line: lines()[index],
              "rho = \(position.x) is negative; the official metric scores it as the point at distance |rho| opposite theta",
              hint: "write rho ≥ 0 (a network's tanh × 360 output can be negative: take |rho| and add 180° to theta)"))
        }
      } else if largest > coordinateLimit {
        for (name, value) in [("x", position.x), ("y", position.y), ("z", position.z)]
        where abs(value) > coordinateLimit {
          list.add(
            SubmissionProblem(
              .error, .coordinateOutOfRange, file: file, line: lines()[index],
              "\(name) = \(value) m is outside ±\(coordinateLimit) m; the room is about 6 × 5 × 3 m around mic A",
              hint: "coordinates are metres from mic A (x, y, z), not centimetres, degrees or L3DAS23's (rho, theta, z)"))
        }
      }
      let key = row.frame * classCount + row.soundClass.rawValue
      if counts[key] == 3 { crowded.insert(key) }
      counts[key] &+= counts[key] < 255 ? 1 : 0
      if let first = firstIndex.updateValue(index, forKey: RowKey(row)) {
        firstIndex[RowKey(row)] = first
        list.add(
          SubmissionProblem(
            .warning, .duplicateRow, file: file, line: lines()[index],
            "the same row as line \(lines()[first]): frame \(row.frame), \(row.soundClass.officialName) at the same position",
            hint: "write each detected event once per frame"))
      }
    }
    for key in crowded.sorted() {
      let indices = rows.indices.filter {
        rows[$0].frame * classCount + rows[$0].soundClass.rawValue == key
      }
      let row = rows[indices[0]]
      let rowLines = indices.map { lines()[$0] }
      list.add(
        SubmissionProblem(
          .warning, .tooManyInstances, file: file, line: rowLines[3],
          "frame \(row.frame) has \(indices.count) rows of class \(row.soundClass.officialName) (lines \(rowLines.map(String.init).joined(separator: ", "))); the data has at most 3 instances of one class per frame, so the extra rows can only be false positives (the official metric counts every row)",
          hint: "keep the 3 most confident detections of a class in each frame"))
    }
    // The scorer counts Cartesian positions (the official L3DAS23 conversion).
    let counted =
      coordinates == .cartesian
      ? rows : rows.map { DetectionRow(frame: $0.frame, soundClass: $0.soundClass, position: coordinates.cartesian($0.position.x, $0.position.y, $0.position.z)) }
    return (list.finished(), summary, counted)
  }

  private struct RowKey: Hashable {
    var frame: Int
    var soundClass: Int
    var x: UInt64
    var y: UInt64
    var z: UInt64

    init(_ row: DetectionRow) {
      frame = row.frame
      soundClass = row.soundClass.rawValue
      x = row.position.x.bitPattern
      y = row.position.y.bitPattern
      z = row.position.z.bitPattern
    }
  }

  private func problem(for error: MetricsError, file: String) -> SubmissionProblem {
    let line = error.row
    let message = error.message
    switch error.code {
    case .headerRow:
      return SubmissionProblem(
        .error, .headerRow, file: file, line: line, message,
        hint: "delete the header line; pandas: df.to_csv(path, header=False, index=False)")
    case .wrongFieldCount:
      return SubmissionProblem(
        .error, .wrongFieldCount, file: file, line: line, message,
        hint: "each row is frame,class,x,y,z separated by commas, e.g. 12,7,0.5,-1.25,0.3")
    case .invalidFrame:
      return SubmissionProblem(
        .error, .invalidFrame, file: file, line: line, message,
        hint: "frames are whole 100 ms frame indices 0–\(frameCount - 1)")
    case .frameOutOfRange:
      return SubmissionProblem(
        .error, .frameOutOfRange, file: file, line: line, message,
        hint: "L3DAS22 scenes have 300 frames (0–299), L3DAS21 scenes 600 (0–599); check --edition and the frame conversion")
    case .unknownClass:
      return SubmissionProblem(
        .error, .unknownClass, file: file, line: line, message,
        hint: Self.classHint(message))
    case .invalidCoordinate:
      return SubmissionProblem(
        .error, .invalidCoordinate, file: file, line: line, message,
        hint: "coordinates are finite decimal numbers in metres, e.g. -1.25")
    default:
      return SubmissionProblem(.error, .unreadableFile, file: file, line: line, message)
    }
  }

  /// A suggestion for an unknown class field quoted in `message`.
  static func classHint(_ message: String) -> String {
    let generic = "use an official class name (Chink_and_clink … Writing) or its id 0–13, the same spelling in every file"
    guard let open = message.firstIndex(of: "'"),
      let close = message[message.index(after: open)...].firstIndex(of: "'")
    else { return generic }
    let field = String(message[message.index(after: open)..<close])
    let normalised = field.lowercased().replacingOccurrences(of: " ", with: "_")
      .replacingOccurrences(of: "-", with: "_")
    let names = SoundClass.allCases.map(\.officialName)
    if let exact = names.first(where: { $0.lowercased() == normalised }) {
      return "class names are case-sensitive and use underscores: write \(exact)"
    }
    let scored = names.map { ($0, editDistance($0.lowercased(), normalised)) }
    if let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, best.0.count / 4),
      let id = SoundClass(officialName: best.0)?.id
    {
      return "did you mean \(best.0) (id \(id))? Class names are exact and case-sensitive"
    }
    return generic
  }

  /// Levenshtein distance of two short strings.
  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars)
    let b = Array(b.unicodeScalars)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        current[j] = min(
          previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      swap(&previous, &current)
    }
    return previous[b.count]
  }

  /// The offset of the first byte that is not valid UTF-8 text (or is a NUL), or `nil`.
  static func firstNonText(_ bytes: [UInt8]) -> Int? {
    if let zero = bytes.firstIndex(of: 0) { return zero }
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    var consumed = 0
    // Decode scalar by scalar, tracking the byte offset reached.
    while true {
      switch decoder.decode(&iterator) {
      case .scalarValue(let scalar):
        consumed += UTF8.width(scalar)
      case .emptyInput:
        return nil
      case .error:
        return min(consumed, bytes.count - 1)
      }
    }
  }

  /// Whether the class fields (the second field of each non-blank line, or of the 1-based
  /// `lines` given) are written as ids (`7`) and whether as names (`Knock`).
  static func classSpellings(_ bytes: [UInt8], lines: Set<Int>? = nil) -> (ids: Bool, names: Bool) {
    var ids = false
    var names = false
    bytes.withUnsafeBufferPointer { text in
      var i = 0
      var line = 0
      let count = text.count
      while i < count {
        line += 1
        if let lines, !lines.contains(line) {
          while i < count && text[i] != UInt8(ascii: "\n") { i += 1 }
          i += 1
          continue
        }
        // The first comma of the line, if the line has one.
        while i < count && text[i] != UInt8(ascii: ",") && text[i] != UInt8(ascii: "\n") { i += 1 }
        if i < count && text[i] == UInt8(ascii: ",") {
          i += 1
          while i < count
            && (text[i] == UInt8(ascii: " ") || text[i] == UInt8(ascii: "\t") || text[i] == UInt8(ascii: "\""))
          {
            i += 1
          }
          if i < count && text[i] != UInt8(ascii: "\n") && text[i] != UInt8(ascii: ",") {
            if text[i] >= UInt8(ascii: "0") && text[i] <= UInt8(ascii: "9") { ids = true } else { names = true }
          }
        }
        while i < count && text[i] != UInt8(ascii: "\n") { i += 1 }
        i += 1
      }
    }
    return (ids, names)
  }
}

/// Problems of one file, at most `limit` listed per kind; the rest are counted in one
/// `moreProblems` entry per kind.
struct ProblemList {
  let limit: Int
  let file: String?
  private(set) var listed: [SubmissionProblem] = []
  private var counts: [SubmissionProblem.Kind: (count: Int, severity: SubmissionProblem.Severity)] = [:]
  private var order: [SubmissionProblem.Kind] = []

  init(limit: Int, file: String?) {
    self.limit = limit
    self.file = file
  }

  mutating func add(_ problem: SubmissionProblem) {
    let seen = counts[problem.kind]?.count ?? 0
    if seen == 0 { order.append(problem.kind) }
    counts[problem.kind] = (seen + 1, max(problem.severity, counts[problem.kind]?.severity ?? .warning))
    if seen < limit { listed.append(problem) }
  }

  /// The listed problems followed by one summary per kind with more than `limit`.
  func finished() -> [SubmissionProblem] {
    var result = listed
    for kind in order {
      guard let (count, severity) = counts[kind], count > limit else { continue }
      result.append(
        SubmissionProblem(
          severity, .moreProblems, file: file,
          "… and \(count - limit) more of the same (\(kind.phrase); \(count) in all, the first \(limit) are listed)"))
    }
    return result
  }
}
