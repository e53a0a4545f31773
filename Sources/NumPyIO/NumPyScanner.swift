public import Foundation

/// What a scan of a whole `.npy` file found: its header and a summary of its values.
public struct NumPyScanResult: Sendable, Equatable, Codable {
  /// The parsed header.
  public var header: NumPyHeader
  /// How many values are NaN or ±∞ (always 0 for integer and boolean arrays).
  public var nonFiniteCount: Int
  /// The storage-order index of the first NaN or ±∞ value, if any.
  public var firstNonFiniteIndex: Int?
  /// The largest finite absolute value (0 for an empty array).
  public var peak: Double
  /// How many values are exactly zero.
  public var zeroCount: Int

  /// Whether every value is zero (and the array is not empty).
  public var isAllZero: Bool { header.elementCount > 0 && zeroCount == header.elementCount }
}

/// Checks a `.npy` stream chunk by chunk, never holding more than the header and one value:
/// the header is parsed as soon as its bytes have arrived, then every value is looked at once
/// (non-finite count, peak, zeros), then the byte count is compared with the shape.
///
/// It takes its input from anywhere: a file (`NumPyFile.scan(_:)`) or a zip entry being
/// inflated, so that a huge or hostile file is judged without being loaded.
///
/// ```swift
/// var scanner = NumPyScanner(path: "x.npy")
/// for chunk in chunks { try chunk.withUnsafeBytes { try scanner.consume($0) } }
/// let result = try scanner.finish()     // .truncated / .trailingData errors here
/// ```
public struct NumPyScanner: Sendable {
  /// The file's name, used in errors.
  public let path: String?
  /// The header, once its bytes have been consumed.
  public private(set) var header: NumPyHeader?
  /// Data bytes consumed after the header (capped at what the shape needs).
  public private(set) var dataByteCount = 0
  /// Bytes consumed after the data the shape needs.
  public private(set) var trailingByteCount = 0

  private var pending: [UInt8] = []
  private var headerEnd: Int?
  private var carry: [UInt8] = []
  private var elementIndex = 0
  private var nonFiniteCount = 0
  private var firstNonFinite: Int?
  private var peak = 0.0
  private var zeroCount = 0

  /// Creates a scanner for the file at `path` (used only in error messages).
  public init(path: String?) {
    self.path = path
  }

  /// Whether every byte the header's shape needs has been consumed; more bytes are trailing.
  public var hasAllData: Bool {
    guard let header else { return false }
    return dataByteCount == header.dataByteCount
  }

  /// Consumes the next chunk of the file.
  /// - Throws: `NumPyError` as soon as the header is known to be bad (not `.npy`, pickled,
  ///   malformed, unsupported dtype or version).
  public mutating func consume(_ chunk: UnsafeRawBufferPointer) throws {
    var chunk = chunk
    if header == nil {
      chunk = try consumeHeaderBytes(chunk)
      guard header != nil else { return }
    }
    guard let header, chunk.count > 0 else { return }
    let needed = header.dataByteCount - dataByteCount
    let take = min(needed, chunk.count)
    if take > 0 {
      scanValues(UnsafeRawBufferPointer(rebasing: chunk[0..<take]), type: header.dataType)
      dataByteCount += take
    }
    trailingByteCount += chunk.count - take
  }

  /// Counts `byteCount` more bytes after the data without looking at them (a reader that
  /// knows the file's size skips the rest once `trailingByteCount > 0`).
  public mutating func skipTrailing(byteCount: Int) {
    trailingByteCount += byteCount
  }

  /// Consumes the next chunk of the file.
  public mutating func consume(_ data: Data) throws {
    try data.withUnsafeBytes { try consume($0) }
  }

  /// Ends the scan.
  /// - Returns: the header and the value summary.
  /// - Throws: `NumPyError` `.notNumPy` / `.truncated` if the header never completed,
  ///   `.truncated` if data bytes are missing, `.trailingData` if bytes follow the data.
  public func finish() throws -> NumPyScanResult {
    guard let header else {
      if pending.isEmpty { throw NumPyError(.notNumPy, "the file is empty", path: path) }
      // Let the header parser word it (short magic, cut header …).
      _ = try NumPyFile.header(of: pending, path: path)
      throw NumPyError(.truncated, "the header is cut short", path: path)
    }
    if dataByteCount < header.dataByteCount {
      throw NumPyError(
        .truncated,
        "shape \(header.shape) of \(header.dataType) needs \(header.dataByteCount) data bytes, the file has \(dataByteCount)",
        path: path)
    }
    if trailingByteCount > 0 {
      throw NumPyError(
        .trailingData,
        "\(trailingByteCount) bytes follow the \(header.dataByteCount) data bytes of shape \(header.shape)",
        path: path)
    }
    return NumPyScanResult(
      header: header, nonFiniteCount: nonFiniteCount, firstNonFiniteIndex: firstNonFinite,
      peak: peak, zeroCount: zeroCount)
  }

  // MARK: - Header

  /// Collects header bytes; returns what is left of `chunk` after the header.
  private mutating func consumeHeaderBytes(_ chunk: UnsafeRawBufferPointer)
    throws -> UnsafeRawBufferPointer
  {
    var offset = 0
    while offset < chunk.count {
      if let end = headerEnd {
        let take = min(end - pending.count, chunk.count - offset)
        pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[offset..<(offset + take)]))
        offset += take
        if pending.count == end {
          header = try NumPyFile.header(of: pending, path: path)
          pending = []
          return UnsafeRawBufferPointer(rebasing: chunk[offset...])
        }
      } else {
        // The preamble: 10 bytes (version 1) or 12 (versions 2 and 3).
        pending.append(chunk[offset])
        offset += 1
        if let end = try Self.headerEnd(pending, path: path) { headerEnd = end }
      }
    }
    return UnsafeRawBufferPointer(rebasing: chunk[chunk.count...])
  }

  /// The end offset of the header once the preamble in `prefix` is complete, or `nil` while
  /// it is not; throws as soon as the prefix cannot be a `.npy` file.
  private static func headerEnd(_ prefix: [UInt8], path: String?) throws -> Int? {
    // An early look at the first bytes words pickles, zips and wrong magic strings at once
    // (the header parser says which).
    if (prefix.count == 1 && prefix[0] == 0x80)
      || (prefix.count == NumPyFile.magic.count && prefix != NumPyFile.magic)
    {
      _ = try NumPyFile.header(of: prefix, path: path)
    }
    guard prefix.count >= 10 else { return nil }
    let major = prefix[6]
    if major == 1 { return 10 + (Int(prefix[8]) | Int(prefix[9]) << 8) }
    guard major == 2 || major == 3 else {
      _ = try NumPyFile.header(of: prefix, path: path)  // words the version error
      return nil
    }
    guard prefix.count >= 12 else { return nil }
    let length = (0..<4).reduce(0) { $0 | Int(prefix[8 + $1]) << (8 * $1) }
    guard length <= 1 << 24 else {
      throw NumPyError(.malformedHeader, "a header of \(length) bytes is not plausible", path: path)
    }
    return 12 + length
  }

  // MARK: - Values

  private mutating func scanValues(_ bytes: UnsafeRawBufferPointer, type: NumPyDataType) {
    let size = type.byteCount
    var bytes = bytes
    if !carry.isEmpty {
      let take = min(size - carry.count, bytes.count)
      carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<take]))
      bytes = UnsafeRawBufferPointer(rebasing: bytes[take...])
      guard carry.count == size else { return }
      let element = carry
      carry = []
      element.withUnsafeBytes { scanWhole($0, type: type) }
    }
    let whole = bytes.count / size * size
    scanWhole(UnsafeRawBufferPointer(rebasing: bytes[0..<whole]), type: type)
    carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[whole...]))
  }

  /// Scans whole elements.
  private mutating func scanWhole(_ bytes: UnsafeRawBufferPointer, type: NumPyDataType) {
    let size = type.byteCount
    let count = bytes.count / size
    guard count > 0 else { return }
    if type.kind == .float && size == 4 && !type.isBigEndian {
      // The common case: little-endian float32, one pass over the bit patterns.
      var localPeak: Float = 0
      var zeros = 0
      for i in 0..<count {
        let bits = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
        let magnitude = bits & 0x7FFF_FFFF
        if magnitude >= 0x7F80_0000 {
          noteNonFinite(elementIndex + i)
        } else {
          if magnitude == 0 { zeros += 1 }
          localPeak = max(localPeak, Float(bitPattern: magnitude))
        }
      }
      zeroCount += zeros
      peak = max(peak, Double(localPeak))
      elementIndex += count
      return
    }
    for i in 0..<count {
      var bits: UInt64 = 0
      for b in 0..<size {
        let byte = UInt64(bytes[i * size + (type.isBigEndian ? size - 1 - b : b)])
        bits |= byte << (8 * UInt64(b))
      }
      let value: Double
      switch (type.kind, size) {
      case (.float, 2): value = Double(Float(Float16(bitPattern: UInt16(truncatingIfNeeded: bits))))
      case (.float, 4): value = Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
      case (.float, _): value = Double(bitPattern: bits)
      case (.signed, _):
        let shift = UInt64(64 - 8 * size)
        value = Double(Int64(bitPattern: bits << shift) >> Int64(shift))
      case (.unsigned, _), (.bool, _): value = Double(bits)
      }
      if value.isFinite {
        if value == 0 { zeroCount += 1 }
        peak = max(peak, abs(value))
      } else {
        noteNonFinite(elementIndex + i)
      }
    }
    elementIndex += count
  }

  private mutating func noteNonFinite(_ index: Int) {
    nonFiniteCount += 1
    if firstNonFinite == nil { firstNonFinite = index }
  }
}

extension NumPyFile {
  /// Scans the `.npy` file at `url` in 1 MiB chunks: header, value summary and byte count,
  /// in memory independent of the file's size.
  /// - Throws: `NumPyError` for an unreadable file or any problem `NumPyScanner` finds.
  public static func scan(_ url: URL, chunkSize: Int = 1 << 20) throws -> NumPyScanResult {
    guard let handle = FileHandle(forReadingAtPath: url.path) else {
      throw NumPyError(.unreadable, "cannot open the file", path: url.path)
    }
    defer { try? handle.close() }
    var scanner = NumPyScanner(path: url.path)
    while true {
      let chunk: Data
      do {
        chunk = try handle.read(upToCount: chunkSize) ?? Data()
      } catch {
        throw NumPyError(
          .unreadable, "cannot read the file: \(error.localizedDescription)", path: url.path)
      }
      if chunk.isEmpty { break }
      try scanner.consume(chunk)
      if scanner.trailingByteCount > 0 {
        // Past the data: the rest is only counted.
        let position = (try? handle.offset()) ?? 0
        let end = (try? handle.seekToEnd()) ?? position
        scanner.skipTrailing(byteCount: Int(end - position))
        break
      }
    }
    return try scanner.finish()
  }
}
