public import Foundation
import L3DASCore

/// Reading and writing NumPy `.npy` files (format versions 1.0, 2.0 and 3.0; NEP 1) without
/// Python, and without ever unpickling: pickles and object arrays are refused with a clear
/// error, never executed.
///
/// ```swift
/// let header = try NumPyFile.header(of: url)        // reads only the header bytes
/// let array = try NumPyFile.readFloats(url)          // values in C (row-major) order
/// try NumPyFile.write(estimate, shape: [estimate.count], to: out)
/// ```
public enum NumPyFile {
  static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

  /// Reads and checks the header of `url`, without reading the data.
  /// - Throws: `NumPyError` for anything that is not a plain numeric `.npy` array.
  public static func header(of url: URL) throws -> NumPyHeader {
    if let kind = RegularFile.kindOfNonRegular(url.path), kind != "missing" {
      throw NumPyError(.unreadable, "not a regular file (\(kind)); it was not read", path: url.path)
    }
    guard let handle = FileHandle(forReadingAtPath: url.path) else {
      throw NumPyError(.unreadable, "cannot open the file", path: url.path)
    }
    defer { try? handle.close() }
    let prefix = (try? handle.read(upToCount: 12)) ?? Data()
    let (version, headerLength, start) = try preamble(Array(prefix), path: url.path)
    try? handle.seek(toOffset: UInt64(start))
    guard let text = try? handle.read(upToCount: headerLength), text.count == headerLength else {
      throw NumPyError(.truncated, "the header is cut short (expected \(headerLength) bytes)", path: url.path)
    }
    return try parseHeader(Array(text), version: version, dataOffset: start + headerLength, path: url.path)
  }

  /// Parses a complete `.npy` file held in memory (e.g. a zip entry), header only.
  public static func header(of bytes: [UInt8], path: String? = nil) throws -> NumPyHeader {
    let (version, headerLength, start) = try preamble(Array(bytes.prefix(12)), path: path)
    guard bytes.count >= start + headerLength else {
      throw NumPyError(.truncated, "the header is cut short (expected \(headerLength) bytes)", path: path)
    }
    return try parseHeader(Array(bytes[start..<start + headerLength]), version: version, dataOffset: start + headerLength, path: path)
  }

  /// Parses the header of a `.npy` file held in (or mapped into) memory, copying only the
  /// header bytes (at most 64 KiB plus the preamble).
  public static func header(of bytes: UnsafeRawBufferPointer, path: String? = nil) throws -> NumPyHeader {
    try header(of: Array(bytes.prefix(min(bytes.count, 65_536 + 12))), path: path)
  }

  /// Reads a whole numeric array as `Float` values in C (row-major) order.
  ///
  /// Float64 and integer values are converted; the conversion of values outside Float's range
  /// gives ±∞, which callers check (`values.allSatisfy(\.isFinite)`).
  /// - Returns: the header and the values.
  /// - Throws: `NumPyError` (`.truncated` and `.trailingData` when the byte count does not
  ///   match the shape).
  public static func readFloats(_ url: URL) throws -> (header: NumPyHeader, values: [Float]) {
    if let kind = RegularFile.kindOfNonRegular(url.path), kind != "missing" {
      throw NumPyError(.unreadable, "not a regular file (\(kind)); it was not read", path: url.path)
    }
    let data: Data
    do {
      data = try Data(contentsOf: url, options: .alwaysMapped)
    } catch {
      throw NumPyError(.unreadable, "cannot read the file: \(error.localizedDescription)", path: url.path)
    }
    return try data.withUnsafeBytes { raw in
      try readFloats(UnsafeRawBufferPointer(raw), path: url.path)
    }
  }

  /// Reads a whole numeric array held in memory as `Float` values in C order.
  public static func readFloats(_ bytes: UnsafeRawBufferPointer, path: String?) throws -> (
    header: NumPyHeader, values: [Float]
  ) {
    let header = try Self.header(of: bytes, path: path)
    let available = bytes.count - header.dataOffset
    if available < header.dataByteCount {
      throw NumPyError(
        .truncated,
        "shape \(header.shape) of \(header.dataType) needs \(header.dataByteCount) data bytes, the file has \(available)",
        path: path)
    }
    if available > header.dataByteCount {
      throw NumPyError(
        .trailingData,
        "\(available - header.dataByteCount) bytes follow the \(header.dataByteCount) data bytes of shape \(header.shape)",
        path: path)
    }
    let data = UnsafeRawBufferPointer(rebasing: bytes[header.dataOffset...])
    var values = convert(data, type: header.dataType, count: header.elementCount)
    if header.isFortranOrder, header.shape.count >= 2 {
      values = fortranToC(values, shape: header.shape)
    }
    return (header, values)
  }

  /// Writes `values` with `shape` as a version 1.0, little-endian float32, C-order `.npy`
  /// file, atomically. numpy loads it with `np.load(path)`.
  /// - Throws: `NumPyError.invalidArray` if the shape does not match the value count.
  public static func write(_ values: [Float], shape: [Int], to url: URL) throws {
    guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
      throw NumPyError(
        .invalidArray, "shape \(shape) does not hold \(values.count) values", path: url.path)
    }
    try AtomicFile.write(encode(values, shape: shape), to: url)
  }

  /// The bytes of a version 1.0 little-endian float32 C-order `.npy` file.
  public static func encode(_ values: [Float], shape: [Int]) -> Data {
    let shapeText =
      shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
    // Pad with spaces so that magic + version + length + header + "\n" is a multiple of 64.
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var data = Data(magic + [1, 0])
    let length = UInt16(header.utf8.count)
    data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
    data.append(contentsOf: Array(header.utf8))
    data.reserveCapacity(data.count + values.count * 4)
    if UInt32(1).littleEndian == 1 {
      // Little-endian hosts (every PC): the values' memory is the file's data, one copy.
      values.withUnsafeBytes { data.append(contentsOf: $0) }
    } else {
      let swapped = values.map { $0.bitPattern.littleEndian }
      swapped.withUnsafeBytes { data.append(contentsOf: $0) }
    }
    return data
  }

  // MARK: - Parsing

  private static func preamble(_ prefix: [UInt8], path: String?) throws -> (version: [Int], headerLength: Int, start: Int) {
    if prefix.first == 0x80 {
      throw NumPyError(.pickled, "this is a Python pickle, not a .npy array; refusing to unpickle it", path: path)
    }
    if prefix.starts(with: [0x50, 0x4B]) {
      throw NumPyError(.notNumPy, "this is a zip archive (.npz?), not a .npy array", path: path)
    }
    guard prefix.count >= 10, Array(prefix.prefix(6)) == magic else {
      throw NumPyError(.notNumPy, "not a .npy file (the \\x93NUMPY magic string is missing)", path: path)
    }
    let major = Int(prefix[6])
    let minor = Int(prefix[7])
    switch major {
    case 1:
      return ([major, minor], Int(prefix[8]) | Int(prefix[9]) << 8, 10)
    case 2, 3:
      guard prefix.count >= 12 else { throw NumPyError(.truncated, "the header is cut short", path: path) }
      let length = (0..<4).reduce(0) { $0 | Int(prefix[8 + $1]) << (8 * $1) }
      guard length <= 1 << 24 else {
        throw NumPyError(.malformedHeader, "a header of \(length) bytes is not plausible", path: path)
      }
      return ([major, minor], length, 12)
    default:
      throw NumPyError(.unsupportedVersion, "format version \(major).\(minor) is not 1.0, 2.0 or 3.0", path: path)
    }
  }

  private static func parseHeader(_ bytes: [UInt8], version: [Int], dataOffset: Int, path: String?) throws -> NumPyHeader {
    // Versions 1 and 2 are latin-1, version 3 UTF-8; the keys and values we accept are ASCII.
    let text = version[0] == 3 ? String(decoding: bytes, as: UTF8.self) : String(bytes.map { Character(Unicode.Scalar($0)) })
    var parser = HeaderParser(text: text, path: path)
    let dictionary = try parser.parseDictionary()
    guard let descriptor = dictionary["descr"] else {
      throw NumPyError(.malformedHeader, "the header has no 'descr'", path: path)
    }
    guard case .string(let descr) = descriptor else {
      throw NumPyError(.unsupportedDType, "structured dtypes are not supported (descr is not a string)", path: path)
    }
    guard case .bool(let fortran)? = dictionary["fortran_order"] else {
      throw NumPyError(.malformedHeader, "the header has no boolean 'fortran_order'", path: path)
    }
    guard case .tuple(let shape)? = dictionary["shape"] else {
      throw NumPyError(.malformedHeader, "the header has no 'shape' tuple", path: path)
    }
    let dataType = try NumPyDataType(descriptor: descr, path: path)
    guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }) < Int.max / 8 else {
      throw NumPyError(.malformedHeader, "shape \(shape) is not valid", path: path)
    }
    return NumPyHeader(version: version, dataType: dataType, isFortranOrder: fortran, shape: shape, dataOffset: dataOffset)
  }

  private static func convert(_ data: UnsafeRawBufferPointer, type: NumPyDataType, count: Int) -> [Float] {
    let size = type.byteCount
    if type == .float32, UInt32(1).littleEndian == 1 {
      // The common case (what numpy writes for float32 on every PC): a plain copy.
      return [Float](unsafeUninitializedCapacity: count) { out, initialized in
        UnsafeMutableRawBufferPointer(out).copyMemory(from: UnsafeRawBufferPointer(rebasing: data[0..<count * 4]))
        initialized = count
      }
    }
    return [Float](unsafeUninitializedCapacity: count) { out, initialized in
      for i in 0..<count {
        var bits: UInt64 = 0
        for b in 0..<size {
          let byte = UInt64(data[i * size + (type.isBigEndian ? size - 1 - b : b)])
          bits |= byte << (8 * UInt64(b))
        }
        out[i] = value(bits: bits, type: type)
      }
      initialized = count
    }
  }

  @inline(__always)
  private static func value(bits: UInt64, type: NumPyDataType) -> Float {
    switch (type.kind, type.byteCount) {
    case (.float, 2): Float(Float16(bitPattern: UInt16(truncatingIfNeeded: bits)))
    case (.float, 4): Float(bitPattern: UInt32(truncatingIfNeeded: bits))
    case (.float, _): Float(Double(bitPattern: bits))
    case (.signed, 1): Float(Int8(truncatingIfNeeded: bits))
    case (.signed, 2): Float(Int16(truncatingIfNeeded: bits))
    case (.signed, 4): Float(Int32(truncatingIfNeeded: bits))
    case (.signed, _): Float(Int64(bitPattern: bits))
    case (.unsigned, _), (.bool, _): Float(bits)
    }
  }

  private static func fortranToC(_ values: [Float], shape: [Int]) -> [Float] {
    // Element with C index (i0, …, in) sits at Fortran offset Σ ik·Π_{j<k} shape[j].
    var out = [Float](repeating: 0, count: values.count)
    var fortranStrides = [Int](repeating: 1, count: shape.count)
    for k in 1..<shape.count { fortranStrides[k] = fortranStrides[k - 1] * shape[k - 1] }
    var index = [Int](repeating: 0, count: shape.count)
    for c in 0..<values.count {
      var offset = 0
      for k in 0..<shape.count { offset += index[k] * fortranStrides[k] }
      out[c] = values[offset]
      var k = shape.count - 1
      while k >= 0 {
        index[k] += 1
        if index[k] < shape[k] { break }
        index[k] = 0
        k -= 1
      }
    }
    return out
  }
}

/// A parser for the Python dict literal of a `.npy` header; it accepts only strings, booleans,
/// and tuples of integers as values (never evaluates anything).
private struct HeaderParser {
  enum Value { case string(String), bool(Bool), tuple([Int]), other }

  let scalars: [Unicode.Scalar]
  var position = 0
  let path: String?

  init(text: String, path: String?) {
    scalars = Array(text.unicodeScalars)
    self.path = path
  }

  mutating func parseDictionary() throws -> [String: Value] {
    skipSpace()
    try expect("{")
    var result: [String: Value] = [:]
    while true {
      skipSpace()
      if peek() == "}" { position += 1; break }
      guard case .string(let key) = try parseValue() else { throw malformed("a dictionary key must be a string") }
      skipSpace()
      try expect(":")
      skipSpace()
      result[key] = try parseValue()
      skipSpace()
      if peek() == "," { position += 1; continue }
      skipSpace()
      try expect("}")
      break
    }
    return result
  }

  mutating func parseValue() throws -> Value {
    guard let c = peek() else { throw malformed("unexpected end of the header") }
    switch c {
    case "'", "\"":
      position += 1
      var text = ""
      while let d = peek(), d != c {
        text.unicodeScalars.append(d)
        position += 1
      }
      try expect(c)
      return .string(text)
    case "[":
      // A list descr: a structured dtype. Skip it (balanced brackets); the caller refuses it.
      var depth = 0
      repeat {
        if peek() == "[" { depth += 1 } else if peek() == "]" { depth -= 1 }
        position += 1
      } while depth > 0 && peek() != nil
      return .other
    case "(":
      position += 1
      var items: [Int] = []
      while true {
        skipSpace()
        if peek() == ")" { position += 1; break }
        var digits = ""
        while let d = peek(), d.properties.numericType != nil { digits.unicodeScalars.append(d); position += 1 }
        if peek() == "L" { position += 1 }  // Python 2 long suffix
        guard let number = Int(digits) else { throw malformed("shape entries must be non-negative integers") }
        items.append(number)
        skipSpace()
        if peek() == "," { position += 1 }
      }
      return .tuple(items)
    default:
      var word = ""
      while let d = peek(), d.properties.isAlphabetic || d == "_" { word.unicodeScalars.append(d); position += 1 }
      switch word {
      case "True": return .bool(true)
      case "False": return .bool(false)
      default:
        if word.isEmpty { throw malformed("unexpected character '\(c)' in the header") }
        return .other
      }
    }
  }

  func peek() -> Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

  mutating func skipSpace() {
    while let c = peek(), c.properties.isWhitespace { position += 1 }
  }

  mutating func expect(_ c: Unicode.Scalar) throws {
    guard peek() == c else { throw malformed("expected '\(c)' at header offset \(position)") }
    position += 1
  }

  func malformed(_ message: String) -> NumPyError {
    NumPyError(.malformedHeader, "malformed header: \(message)", path: path)
  }
}
