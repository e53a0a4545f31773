public import Datasets
public import Foundation
import L3DASCore

#if canImport(Glibc)
  import Glibc
  private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int)
    -> Int
  { Glibc.read(descriptor, buffer, count) }
#elseif canImport(Musl)
  import Musl
  private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int)
    -> Int
  { Musl.read(descriptor, buffer, count) }
#elseif canImport(Darwin)
  import Darwin
  private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int)
    -> Int
  { Darwin.read(descriptor, buffer, count) }
#endif

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
/// Every error is a `MetricsError` naming the file and the 1-based line:
/// `pred/x.csv:3: unknown class 'Dog'; expected an official name such as Knock or an id 0–13`.
///
/// ```swift
/// let prediction = try Task2Rows.read(predictionURL, frameCount: Edition.l3das22.task2FrameCount)
/// let reference = Task2Rows.frames(
///   from: try Task2Labels.read(labelURL), frameCount: 300, sceneSeconds: 30)
/// ```
public enum Task2Rows {
  /// The largest detection file read (64 MiB): 600 frames × 14 classes × 3 instances of
  /// 100-byte rows is 2.5 MB, so anything larger is not a detection file.
  public static let maximumFileByteCount = 64 << 20

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
  /// - Throws: `MetricsError` naming `path` and the line: `.headerRow`, `.wrongFieldCount`,
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
  /// - Throws: `MetricsError` `.notFound` if the file does not exist, `.readFailed` if it cannot
  ///   be read, or any error of `parse(_:path:frameCount:)`.
  public static func read(_ url: URL, frameCount: Int? = nil) throws -> [DetectionRow] {
    let path = url.path
    // One open + fstat + read(2) into a padded buffer. Whatever that cannot handle (a missing
    // or unreadable file, a directory, an empty or special file) goes through Foundation,
    // which words the errors.
    if let rows = try readDirectly(path: path, frameCount: frameCount) { return rows }
    return try readWithFoundation(url, path: path, frameCount: frameCount)
  }

  /// `read(_:frameCount:)` through Foundation: the path for every file `readDirectly` leaves.
  private static func readWithFoundation(_ url: URL, path: String, frameCount: Int?) throws
    -> [DetectionRow]
  {
    let data: Data
    do {
      // Regular files only (a FIFO would block forever), and no more than a detection file
      // can sensibly hold.
      data = try RegularFile.read(url, limit: maximumFileByteCount)
    } catch let failure as RegularFile.Failure {
      throw MetricsError(failure.reason == .missing ? .notFound : .readFailed, failure.message, path: path)
    }
    return try data.withUnsafeBytes { bytes in
      try parse(bytes: bytes, path: path, frameCount: frameCount)
    }
  }

  /// Parses raw UTF-8 bytes line by line without stopping at the first bad line: every row,
  /// the 1-based line it came from, and one error per bad line (in line order). A file that
  /// `parse` accepts gives the same rows here and no errors; a file it rejects gives, first,
  /// the error it throws. This is the submission validator's reading, which reports every
  /// problem at once.
  package static func parseCollectingErrors(
    bytes: UnsafeRawBufferPointer, path: String, frameCount: Int?
  ) -> Task2LineRows {
    let count = bytes.count
    let buffer = UnsafeMutableRawBufferPointer.allocate(
      byteCount: count + padding, alignment: 16)
    defer { buffer.deallocate() }
    if let source = bytes.baseAddress, let target = buffer.baseAddress {
      target.copyMemory(from: source, byteCount: count)
    }
    return parser(padded: buffer, count: count, path: path, frameCount: frameCount)
      .parseCollectingErrors()
  }

  /// Zero bytes after the end of the text in the buffers the reader works on, so that it can
  /// load whole 8-byte words near the end without bounds checks (the longest official name
  /// and its comma are 33 bytes from the start of a class field).
  static let padding = 64

  /// Parses raw UTF-8 bytes; the shared implementation of `parse` and `read`.
  package static func parse(bytes: UnsafeRawBufferPointer, path: String, frameCount: Int?) throws
    -> [DetectionRow]
  {
    let count = bytes.count
    let buffer = UnsafeMutableRawBufferPointer.allocate(
      byteCount: count + padding, alignment: 16)
    defer { buffer.deallocate() }
    if let source = bytes.baseAddress, let target = buffer.baseAddress {
      target.copyMemory(from: source, byteCount: count)
    }
    return try parser(padded: buffer, count: count, path: path, frameCount: frameCount)
      .parseAll()
  }

  /// A parser of `buffer[0..<count]`; the `padding` bytes after `count` are set to zero here.
  private static func parser(
    padded buffer: UnsafeMutableRawBufferPointer, count: Int, path: String, frameCount: Int?
  ) -> RowParser {
    precondition(buffer.count >= count + padding, "the buffer needs \(padding) bytes of padding")
    UnsafeMutableRawBufferPointer(rebasing: buffer[count..<(count + padding)])
      .initializeMemory(as: UInt8.self, repeating: 0)
    return RowParser(
      bytes: UnsafeRawBufferPointer(buffer), count: count, path: path, frameCount: frameCount)
  }

  /// The rows of the regular, non-empty file at `path`, read with one `read(2)` into a padded
  /// buffer; `nil` if the file cannot be handled this way (`read` then uses Foundation).
  static func readDirectly(path: String, frameCount: Int?) throws -> [DetectionRow]? {
    guard let (descriptor, size) = openRegularFile(path) else { return nil }
    defer { closeFile(descriptor) }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size + padding, alignment: 16)
    defer { buffer.deallocate() }
    guard let base = buffer.baseAddress, readFully(descriptor, into: base, size) else {
      return nil
    }
    return try parser(padded: buffer, count: size, path: path, frameCount: frameCount).parseAll()
  }

  /// Reads and parses a detection CSV into `buffer`, replacing what it held: the same rows
  /// and the same errors as `read(_:frameCount:)`, but the memory is reused from file to file
  /// (scoring reads many files in a row on each thread).
  package static func read(_ url: URL, frameCount: Int?, into buffer: inout Task2RowBuffer)
    throws
  {
    try read(path: url.path, url: url, frameCount: frameCount, into: &buffer)
  }

  /// `read(_:frameCount:into:)` for the file at `path` (`URL.path`), without building a URL
  /// unless the file has to go through Foundation.
  package static func read(path: String, frameCount: Int?, into buffer: inout Task2RowBuffer)
    throws
  {
    try read(path: path, url: nil, frameCount: frameCount, into: &buffer)
  }

  private static func read(
    path: String, url: URL?, frameCount: Int?, into buffer: inout Task2RowBuffer
  ) throws {
    buffer.count = 0
    if let (descriptor, size) = openRegularFile(path) {
      defer { closeFile(descriptor) }
      if buffer.bytes.count < size + padding {
        buffer.bytes = [UInt8](
          repeating: 0, count: Swift.max(size + padding, 2 * buffer.bytes.count))
      }
      let count = try buffer.bytes.withUnsafeMutableBytes { bytes -> Int? in
        guard let base = bytes.baseAddress, readFully(descriptor, into: base, size) else {
          return nil
        }
        return try parser(padded: bytes, count: size, path: path, frameCount: frameCount)
          .parseAll(into: &buffer.storage)
      }
      if let count {
        buffer.count = count
        return
      }
    }
    buffer.set(
      try readWithFoundation(
        url ?? URL(fileURLWithPath: path), path: path, frameCount: frameCount))
  }

  /// The descriptor and size of `path` if it is a regular file that is not empty and can be
  /// opened for reading.
  private static func openRegularFile(_ path: String) -> (Int32, Int)? {
    #if canImport(Glibc) || canImport(Musl) || canImport(Darwin)
      let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
      guard descriptor >= 0 else { return nil }
      var status = stat()
      guard fstat(descriptor, &status) == 0, status.st_mode & 0o170000 == 0o100000,
        status.st_size > 0
      else {
        close(descriptor)
        return nil
      }
      return (descriptor, Int(status.st_size))
    #else
      return nil
    #endif
  }

  private static func closeFile(_ descriptor: Int32) {
    #if canImport(Glibc) || canImport(Musl) || canImport(Darwin)
      close(descriptor)
    #endif
  }

  /// Reads `size` bytes; `false` on an error or if the file is shorter (Foundation then reads
  /// it again and reports).
  private static func readFully(
    _ descriptor: Int32, into buffer: UnsafeMutableRawPointer, _ size: Int
  )
    -> Bool
  {
    #if canImport(Glibc) || canImport(Musl) || canImport(Darwin)
      var filled = 0
      while filled < size {
        let got = systemRead(descriptor, buffer + filled, size - filled)
        if got > 0 {
          filled += got
        } else if got < 0 && errno == EINTR {
          continue
        } else {
          return false
        }
      }
      return true
    #else
      return false
    #endif
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

/// The rows of a detection CSV with their 1-based line numbers, and the errors of its bad
/// lines (`Task2Rows.parseCollectingErrors`).
package struct Task2LineRows: Sendable {
  /// The valid rows, in file order.
  package var rows: [DetectionRow] = []
  /// `lines[i]` is the 1-based line of `rows[i]`.
  package var lines: [Int] = []
  /// One error per bad line, in line order (each with its `row`).
  package var errors: [MetricsError] = []
}

/// Rows of one detection CSV in storage that is reused from file to file
/// (`Task2Rows.read(_:frameCount:into:)`), so that a scorer reading many files on a thread
/// allocates, and has the kernel map, its memory once instead of once per file.
package struct Task2RowBuffer: Sendable {
  /// The file's bytes followed by zero padding.
  fileprivate var bytes: [UInt8] = []
  /// The rows; only the first `count` belong to the last file read.
  fileprivate var storage: [DetectionRow] = []
  /// How many rows the last file had.
  package fileprivate(set) var count = 0

  /// Creates an empty buffer.
  package init() {}

  /// Roughly the bytes of memory the buffer holds.
  package var retainedBytes: Int {
    bytes.count + storage.count * MemoryLayout<DetectionRow>.stride
  }

  /// Replaces the rows.
  package mutating func set(_ rows: [DetectionRow]) {
    storage = rows
    count = rows.count
  }

  /// Converts the rows' positions, read as written in `coordinates`, to Cartesian (L3DAS23's
  /// `rho,theta,z` rows: x = −ρ sin θ, y = ρ cos θ).
  package mutating func convert(from coordinates: CoordinateSystem) {
    guard coordinates != .cartesian else { return }
    for index in 0..<count {
      let p = storage[index].position
      storage[index].position = coordinates.cartesian(p.x, p.y, p.z)
    }
  }

  /// Calls `body` with the rows.
  package func withRows<R>(_ body: (UnsafeBufferPointer<DetectionRow>) throws -> R) rethrows -> R {
    try storage.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[..<count])) }
  }
}

/// The official class names laid out for `RowParser`, built once.
private struct ClassNameTable: Sendable {
  static let shared = ClassNameTable()

  /// The longest official name (`Female_speech_and_woman_speaking`), in bytes; no length has
  /// more than two names.
  static let longestName = 32

  /// The official class names, concatenated; name `id` is `names[offsets[id]..<offsets[id + 1]]`.
  let names: [UInt8]
  let offsets: [Int]
  /// The ids of the names of each byte length, two slots per length (-1 = none).
  let idsByLength: [Int]

  /// A perfect hash of the names' first four bytes for the plain-row path.
  ///
  /// The slot of a prefix is `prefix &* multiplier >> 27` (32 slots); slot `s` is
  /// `slots[9s...9s+8]`: the prefix, the length, the id
  /// and a "used" flag packed in one word (`prefix | length << 32 | id << 40 | 1 << 48`),
  /// then the name as four zero-padded words in memory order, then four masks that keep the
  /// name's bytes of each word.
  let multiplier: UInt32
  let slots: [UInt64]
  static let slotStride = 9
  /// The classes by id.
  let classes: [SoundClass]
  /// The number of classes (14).
  static let classCount = SoundClass.allCases.count

  private init() {
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

    // Words as the reader loads them (native byte order), from zero-padded name bytes.
    func words(_ bytes: [UInt8]) -> [UInt64] {
      let padded = bytes + [UInt8](repeating: 0, count: 40 - bytes.count)
      return padded.withUnsafeBytes { raw in
        (0..<5).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self) }
      }
    }
    let classCount = offsets.count - 1
    let nameBytes = (0..<classCount).map { Array(names[offsets[$0]..<offsets[$0 + 1]]) }
    let usable = nameBytes.allSatisfy { $0.count >= 4 && $0.count <= Self.longestName }
    let prefixes = usable ? nameBytes.map { UInt32(truncatingIfNeeded: words($0)[0]) } : []
    // Deterministic search for a multiplier that sends the prefixes to distinct slots (a few
    // dozen tries for 14 names in 32 slots). Without one the table stays empty and every
    // name goes through the general path.
    var chosen: UInt32 = 0
    var candidate: UInt32 = 0x9E37_79B1
    if usable && Set(prefixes).count == prefixes.count {
      for _ in 0..<100_000 {
        if Set(prefixes.map { ($0 &* candidate) >> 27 }).count == prefixes.count {
          chosen = candidate
          break
        }
        candidate = candidate &* 0x0019_660D &+ 0x3C6E_F35F | 1
      }
    }
    var slots = [UInt64](repeating: 0, count: 32 * Self.slotStride)
    if chosen != 0 {
      for id in 0..<classCount {
        let bytes = nameBytes[id]
        let base = Self.slotStride * Int((prefixes[id] &* chosen) >> 27)
        slots[base] =
          UInt64(prefixes[id]) | UInt64(bytes.count) << 32 | UInt64(id) << 40 | 1 << 48
        let nameWords = words(bytes)
        let maskWords = words([UInt8](repeating: 0xFF, count: bytes.count))
        for j in 0..<4 {
          slots[base + 1 + j] = nameWords[j]
          slots[base + 5 + j] = maskWords[j]
        }
      }
    }
    self.multiplier = chosen
    self.slots = slots
    // Ids are the raw values, 0…13 in declaration order (as `allCases` lists them).
    let classes = SoundClass.allCases.sorted { $0.rawValue < $1.rawValue }
    precondition(classes.map(\.rawValue) == Array(0..<classCount), "class ids are not 0…13")
    self.classes = classes
  }
}

/// The byte-level reader behind `Task2Rows.parse`.
///
/// `bytes` holds the text (`count` bytes) followed by `Task2Rows.padding` zero bytes, so the
/// plain-row path loads 4- and 8-byte words without bounds checks: a zero byte is never a
/// digit, comma or line end, so every scan stops at the end of the text.
///
/// Plain rows (`12,Knock,0.5,-1.25,0.3` + LF or CRLF: digits, a name or id, numbers with at
/// most 19 digits and no exponent, no spaces or quotes) are read in one pass by `FastPath`,
/// straight into the output storage. Every other line, including every invalid one, goes
/// through the general path, which tolerates more and words the errors. Both give the same
/// rows for plain lines (`SELDPlainRowTests`).
private struct RowParser {
  let bytes: UnsafeRawBufferPointer
  let count: Int
  let path: String
  let frameCount: Int?
  private let table = ClassNameTable.shared

  init(bytes: UnsafeRawBufferPointer, count: Int, path: String, frameCount: Int?) {
    precondition(bytes.count >= count + Task2Rows.padding)
    self.bytes = bytes
    self.count = count
    self.path = path
    self.frameCount = frameCount
  }

  private static let comma = UInt8(ascii: ",")
  private static let newline = UInt8(ascii: "\n")
  private static let carriageReturn = UInt8(ascii: "\r")

  /// Where the reader is: the next byte, the 1-based number of the line just read, and whether
  /// a row has been seen (a header can only be the first row).
  private struct Cursor {
    var position: Int
    var line = 0
    var sawRow = false
  }

  /// The cursor at the start of the text, after a UTF-8 byte order mark.
  private var start: Cursor {
    let bom = count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
    return Cursor(position: bom ? 3 : 0)
  }

  /// A first guess of the number of rows: one per 48 bytes (a row with a class name and
  /// Python's 17-digit numbers takes about 78).
  private var estimate: Int { count / 48 + 16 }

  /// Every row, in file order.
  func parseAll() throws -> [DetectionRow] {
    var cursor = start
    var written = 0
    // Rows are written straight into the new array's storage.
    var rows = try [DetectionRow](unsafeUninitializedCapacity: estimate) { buffer, initialized in
      defer { initialized = written }
      try parse(&cursor, into: buffer, written: &written)
    }
    if cursor.position < count {
      written = try parseRest(&cursor, into: &rows, written: written)
      rows.removeLast(rows.count - written)
    }
    return rows
  }

  /// Every row with its line, and every bad line's error, through the general path.
  func parseCollectingErrors() -> Task2LineRows {
    var cursor = start
    var result = Task2LineRows()
    while cursor.position < count {
      cursor.line += 1
      do {
        if let row = try generalLine(&cursor) {
          result.rows.append(row)
          result.lines.append(cursor.line)
        }
      } catch let error as MetricsError {
        result.errors.append(error)
      } catch {
        result.errors.append(MetricsError(.readFailed, "\(error)", path: path, row: cursor.line))
      }
    }
    return result
  }

  /// Every row, written to the start of `storage`, which grows if needed (rows after the
  /// returned count are left over from earlier files).
  func parseAll(into storage: inout [DetectionRow]) throws -> Int {
    var cursor = start
    return try parseRest(&cursor, into: &storage, written: 0)
  }

  /// Continues at `cursor`, writing after the first `written` rows of `storage`, growing it
  /// with placeholder rows as needed; returns the number of rows.
  private func parseRest(_ cursor: inout Cursor, into storage: inout [DetectionRow], written: Int)
    throws -> Int
  {
    var written = written
    while cursor.position < count {
      if written == storage.count {
        let placeholder = DetectionRow(frame: 0, soundClass: .knock, position: .zero)
        storage.append(
          contentsOf: repeatElement(placeholder, count: Swift.max(storage.count, estimate)))
      }
      try storage.withUnsafeMutableBufferPointer { buffer in
        try parse(&cursor, into: buffer, written: &written)
      }
    }
    return written
  }

  /// Parses from `cursor` until the text ends or `buffer` is full, writing rows from
  /// `buffer[written]` on.
  private func parse(
    _ cursor: inout Cursor, into buffer: UnsafeMutableBufferPointer<DetectionRow>,
    written: inout Int
  ) throws {
    let capacity = buffer.count
    guard capacity > written else { return }
    try table.slots.withUnsafeBufferPointer { slots in
      try table.classes.withUnsafeBufferPointer { classes in
        guard let output = buffer.baseAddress, let base = bytes.baseAddress,
          let slots = slots.baseAddress, let classes = classes.baseAddress
        else { preconditionFailure("empty parser buffers") }
        let fast = FastPath(
          base: base, count: count, frameLimit: frameCount ?? Int.max, slots: slots,
          multiplier: table.multiplier, classes: classes)
        while written < capacity && cursor.position < count {
          cursor.line &+= 1
          if let (row, next) = fast.row(cursor.position) {
            (output + written).initialize(to: row)
            written &+= 1
            cursor.sawRow = true
            cursor.position = next
          } else if let row = try generalLine(&cursor) {
            (output + written).initialize(to: row)
            written &+= 1
          }
        }
      }
    }
  }

  /// The line at the cursor through the general path: its row, or `nil` for a blank line.
  private func generalLine(_ cursor: inout Cursor) throws -> DetectionRow? {
    let start = cursor.position
    var lineEnd = start
    while lineEnd < count && bytes[lineEnd] != Self.newline { lineEnd += 1 }
    cursor.position = lineEnd + 1
    if lineEnd > start && bytes[lineEnd - 1] == Self.carriageReturn { lineEnd -= 1 }
    if isBlank(start, lineEnd) { return nil }
    let isFirstRow = !cursor.sawRow
    cursor.sawRow = true
    return try generalRow(start, lineEnd, line: cursor.line, isFirstRow: isFirstRow)
  }

  /// The plain-row reader: raw pointers and wrapping arithmetic only.
  ///
  /// `base` holds `count` bytes of text followed by `Task2Rows.padding` zero bytes, so words
  /// are loaded without bounds checks: a zero byte is never a digit, comma or line end, so
  /// every scan stops at the end of the text.
  private struct FastPath {
    let base: UnsafeRawPointer
    let count: Int
    let frameLimit: Int
    let slots: UnsafePointer<UInt64>
    let multiplier: UInt32
    let classes: UnsafePointer<SoundClass>

    @inline(__always)
    private func byte(_ offset: Int) -> UInt8 { base.load(fromByteOffset: offset, as: UInt8.self) }

    @inline(__always)
    private func word(_ offset: Int) -> UInt64 {
      base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
    }

    /// A plain row starting at `start` and the start of the next line, or `nil`.
    @inline(__always)
    func row(_ start: Int) -> (DetectionRow, Int)? {
      var i = start
      var frame = 0
      var digit = byte(i) &- UInt8(ascii: "0")
      guard digit < 10 else { return nil }
      repeat {
        frame = frame &* 10 &+ Int(digit)
        i &+= 1
        digit = byte(i) &- UInt8(ascii: "0")
      } while digit < 10 && i &- start < 10
      guard i &- start <= 9 && byte(i) == RowParser.comma && frame < frameLimit else { return nil }
      i &+= 1
      // The class: an id 0–13 (one or two digits) or an official name, found by its prefix.
      var id: Int
      let first = byte(i) &- UInt8(ascii: "0")
      if first < 10 {
        let second = byte(i &+ 1) &- UInt8(ascii: "0")
        if second < 10 {
          id = Int(first) &* 10 &+ Int(second)
          i &+= 2
        } else {
          id = Int(first)
          i &+= 1
        }
      } else {
        let prefix = base.loadUnaligned(fromByteOffset: i, as: UInt32.self)
        let slot = slots + ClassNameTable.slotStride &* Int((prefix &* multiplier) &>> 27)
        let meta = slot[0]
        guard UInt32(truncatingIfNeeded: meta) == prefix && meta >> 48 != 0 else { return nil }
        let difference =
          ((word(i) ^ slot[1]) & slot[5]) | ((word(i &+ 8) ^ slot[2]) & slot[6])
          | ((word(i &+ 16) ^ slot[3]) & slot[7]) | ((word(i &+ 24) ^ slot[4]) & slot[8])
        guard difference == 0 else { return nil }
        id = Int(truncatingIfNeeded: (meta >> 40) & 0xFF)
        i &+= Int(truncatingIfNeeded: (meta >> 32) & 0xFF)
      }
      guard byte(i) == RowParser.comma && id < ClassNameTable.classCount else { return nil }
      guard let (x, xEnd) = number(i &+ 1), byte(xEnd) == RowParser.comma,
        let (y, yEnd) = number(xEnd &+ 1), byte(yEnd) == RowParser.comma,
        let (z, zEnd) = number(yEnd &+ 1)
      else { return nil }
      let next: Int
      let end = byte(zEnd)
      if end == RowParser.newline {
        next = zEnd &+ 1
      } else if zEnd == count {
        next = count
      } else if end == RowParser.carriageReturn && byte(zEnd &+ 1) == RowParser.newline {
        next = zEnd &+ 2
      } else {
        return nil
      }
      return (DetectionRow(frame: frame, soundClass: classes[id], position: SIMD3(x, y, z)), next)
    }

    /// The number that starts at `start`, and where it stops.
    ///
    /// This path reads an optional sign, digits and an optional point and digits, at most 19
    /// digits in all and no exponent; anything else gets `DecimalParsing.scanDouble`'s answer.
    /// The caller checks the byte it stops at.
    @inline(__always)
    private func number(_ start: Int) -> (Double, Int)? {
      var i = start
      let sign = byte(i)
      let negative = sign == UInt8(ascii: "-")
      if negative || sign == UInt8(ascii: "+") { i &+= 1 }
      var mantissa: UInt64 = 0
      let integerStart = i
      var digit = byte(i) &- UInt8(ascii: "0")
      while digit < 10 {
        mantissa = mantissa &* 10 &+ UInt64(digit)
        i &+= 1
        digit = byte(i) &- UInt8(ascii: "0")
      }
      var digits = i &- integerStart
      var fractionDigits = 0
      if byte(i) == UInt8(ascii: ".") {
        i &+= 1
        // Whole words of eight digits, then the 0–7 digits left (branch-free).
        var raw = word(i)
        var other = Self.nonDigits(raw)
        while other == 0 && fractionDigits < 16 {
          mantissa = mantissa &* 100_000_000 &+ Self.digitValue(raw, 8)
          fractionDigits &+= 8
          i &+= 8
          raw = word(i)
          other = Self.nonDigits(raw)
        }
        let k = other.trailingZeroBitCount &>> 3  // 8 only after 16 digits: too many
        mantissa = mantissa &* DecimalParsing.powerOfTen(k) &+ Self.digitValue(raw, k)
        fractionDigits &+= k
        i &+= k
        digits &+= fractionDigits
      }
      let next = byte(i)
      guard digits > 0 && digits <= 19 && next != UInt8(ascii: "e") && next != UInt8(ascii: "E")
      else {
        return DecimalParsing.scanDouble(
          UnsafeRawBufferPointer(start: base, count: count &+ Task2Rows.padding), start, count)
      }
      let magnitude =
        mantissa == 0 ? 0 : DecimalParsing.scaledDown(mantissa, byPowerOfTen: fractionDigits)
      return (negative ? -magnitude : magnitude, i)
    }

    /// The high bit of each byte of `word` (memory order) that is not an ASCII digit.
    @inline(__always)
    private static func nonDigits(_ word: UInt64) -> UInt64 {
      let raw = UInt64(littleEndian: word)
      let high: UInt64 = 0x8080_8080_8080_8080
      // Per byte b, without borrows between bytes: the high bit of (b | 0x80) − c is set iff
      // b & 0x7F ≥ c.
      let atLeastZero = ((raw | high) &- 0x3030_3030_3030_3030) & high
      let aboveNine = ((raw | high) &- 0x3A3A_3A3A_3A3A_3A3A) & high
      return (~atLeastZero | aboveNine | raw) & high
    }

    /// The value of the first `count` (0…8) bytes of `word`, ASCII digits (fast_float's SWAR).
    @inline(__always)
    private static func digitValue(_ word: UInt64, _ count: Int) -> UInt64 {
      // The digits moved to the top bytes, zero digits below them (two shifts, as one of 64
      // is not allowed).
      let half = UInt64(32 &- 4 &* count)
      var value = ((UInt64(littleEndian: word) &- 0x3030_3030_3030_3030) &<< half) &<< half
      value = value &* 10 &+ (value &>> 8)
      return
        ((value & 0x0000_00FF_0000_00FF) &* 0x000F_4240_0000_0064
        &+ ((value &>> 16) & 0x0000_00FF_0000_00FF) &* 0x0000_2710_0000_0001) &>> 32
    }
  }

  /// An exact official name or a plain id 0–13 in `bytes[start..<end]`, else `nil`.
  @inline(__always)
  private func plainClass(_ start: Int, _ end: Int) -> SoundClass? {
    let length = end - start
    if length <= ClassNameTable.longestName {
      for slot in (2 * length)..<(2 * length + 2) where table.idsByLength[slot] >= 0 {
        let id = table.idsByLength[slot]
        let base = table.offsets[id]
        var offset = 0
        while offset < length && bytes[start + offset] == table.names[base + offset] {
          offset += 1
        }
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
      throw MetricsError(.headerRow, message, path: path, row: line)
    }
    guard fieldCount == 5 else {
      throw MetricsError(
        .wrongFieldCount,
        "expected 5 fields frame,class,x,y,z, found \(fieldCount): '\(excerpt(start, end))'",
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

  /// A short, escaped excerpt of `bytes[start..<end]` for a message: at most 40 bytes, control
  /// characters, quotes and invalid UTF-8 shown as `\xNN`, so a message never carries more than
  /// a glimpse of an untrusted file, nor terminal escapes or markup.
  private func excerpt(_ start: Int, _ end: Int) -> String {
    let shown = Swift.min(end, start + 40)
    var text = ""
    var i = start
    while i < shown {
      let byte = bytes[i]
      if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "'") && byte != UInt8(ascii: "\\") {
        text.unicodeScalars.append(Unicode.Scalar(byte))
      } else {
        text += (byte < 16 ? "\\x0" : "\\x") + String(byte, radix: 16, uppercase: true)
      }
      i += 1
    }
    return shown < end ? text + "… (\(end - start) bytes)" : text
  }

  /// The text of `bytes[start..<end]`, cut to its first 80 bytes (and "…").
  private func text(_ start: Int, _ end: Int) -> String {
    let shown = Swift.min(end, start + 80)
    let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<shown]), as: UTF8.self)
    return shown < end ? text + "… (\(end - start) bytes)" : text
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
    let found = excerpt(lineStart, lineEnd)
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
      throw MetricsError(
        .invalidFrame, "frame '\(excerpt(start, end))' is not a whole number", path: path, row: line)
    }
    guard frame >= 0 else {
      throw MetricsError(.invalidFrame, "frame \(frame) is negative", path: path, row: line)
    }
    if let frameCount, frame >= frameCount {
      throw MetricsError(
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
        throw MetricsError(
          .unknownClass,
          "unknown class id \(id); ids are 0–\(SoundClass.allCases.count - 1)",
          path: path, row: line)
      }
      return soundClass
    }
    throw MetricsError(
      .unknownClass,
      "unknown class '\(excerpt(start, end))'; expected an official name such as Knock or an id 0–13",
      path: path, row: line)
  }

  private func parseCoordinate(_ start: Int, _ end: Int, name: String, line: Int) throws -> Double {
    guard let value = DecimalParsing.double(bytes, start, end) else {
      throw MetricsError(
        .invalidCoordinate, "\(name): '\(excerpt(start, end))' is not a number", path: path, row: line)
    }
    guard value.isFinite else {
      throw MetricsError(
        .invalidCoordinate, "\(name): '\(excerpt(start, end))' is not a finite number",
        path: path, row: line)
    }
    return value
  }
}
