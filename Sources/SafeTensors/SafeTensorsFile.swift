public import Foundation

/// A safetensors file (Hugging Face's format for PyTorch `state_dict`s and other tensor
/// collections), read and fully validated up front.
///
/// Layout: an 8-byte little-endian `UInt64` header length N, N bytes of UTF-8 JSON
/// `{"<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, …,
/// "__metadata__": {"<key>": "<value>"}}`, then the raw little-endian, row-major tensor data;
/// offsets are relative to the first byte after the header.
///
/// `read(_:)` checks everything before returning, so the accessors never see bad data:
/// a sane header length (1 byte … 100 MB, within the file), well-formed JSON with unique
/// names, known dtypes, offsets that tile the data area exactly (no overlap, no gap, nothing
/// after the last tensor), and `end − begin = product(shape) × dtype size` for every tensor.
/// These are the checks of the reference Rust implementation.
///
/// ```swift
/// let file = try SafeTensorsFile.read(url)
/// for name in file.names { print(name, file.info(name)!.shape) }
/// let weight = try file.floats("cnn.0.weight")   // row-major, converted to Float
/// ```
public struct SafeTensorsFile: Sendable {
  /// The file read, for error messages (`nil` for in-memory bytes without a path).
  public let path: String?
  /// The `__metadata__` string map (empty when the file has none).
  public let metadata: [String: String]
  /// Every tensor, in data order (ascending offsets).
  public let tensors: [SafeTensorInfo]

  private let data: Data
  private let dataStart: Int
  private let index: [String: Int]

  /// The largest header accepted, as in the reference implementation.
  public static let maximumHeaderLength = 100_000_000

  /// Tensor names, sorted ascending (by Unicode scalar value, like Python's `sorted`).
  public var names: [String] {
    tensors.map(\.name).sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
  }

  /// The dtype, shape and byte range of `name`, or `nil` when the file has no such tensor.
  public func info(_ name: String) -> SafeTensorInfo? {
    index[name].map { tensors[$0] }
  }

  /// Whether the file holds a tensor called `name`.
  public func contains(_ name: String) -> Bool { index[name] != nil }

  /// Reads and validates the safetensors file at `url`.
  ///
  /// The file is memory-mapped; tensor values are converted only when asked for.
  /// - Throws: `SafeTensorsError` naming the file (and tensor) for any violation of the format.
  public static func read(_ url: URL) throws -> SafeTensorsFile {
    let data: Data
    do {
      data = try Data(contentsOf: url, options: .alwaysMapped)
    } catch {
      throw SafeTensorsError(
        .unreadable, "cannot read the file: \(error.localizedDescription)", path: url.path)
    }
    return try SafeTensorsFile(bytes: data, path: url.path)
  }

  /// Parses and validates a complete safetensors file held in memory.
  ///
  /// - Parameters:
  ///   - bytes: the whole file.
  ///   - path: used only in error messages.
  /// - Throws: `SafeTensorsError` for any violation of the format.
  public init(bytes: Data, path: String? = nil) throws {
    self.path = path
    func error(_ code: SafeTensorsError.Code, _ message: String) -> SafeTensorsError {
      SafeTensorsError(code, message, path: path)
    }
    guard bytes.count >= 8 else {
      throw error(
        .truncated,
        "the file has \(bytes.count) bytes; a safetensors file starts with an 8-byte header length")
    }
    let headerLength = bytes.prefix(8).enumerated().reduce(UInt64(0)) {
      $0 | UInt64($1.element) << (8 * UInt64($1.offset))
    }
    guard headerLength >= 2, headerLength <= UInt64(Self.maximumHeaderLength) else {
      throw error(
        .invalidHeaderLength,
        "the header length \(headerLength) is not plausible (expected 2…\(Self.maximumHeaderLength) bytes); is this a safetensors file?"
      )
    }
    let n = Int(headerLength)
    guard 8 + n <= bytes.count else {
      throw error(
        .invalidHeaderLength,
        "the header length \(n) exceeds the \(bytes.count - 8) bytes that follow it; the file is truncated or not safetensors"
      )
    }
    let base = bytes.startIndex
    let json: HeaderJSON.Value
    do {
      json = try HeaderJSON.parse(Array(bytes[(base + 8)..<(base + 8 + n)]))
    } catch let failure as HeaderJSON.Failure {
      let code: SafeTensorsError.Code =
        failure.message.hasPrefix("duplicate key") ? .duplicateName : .malformedHeader
      throw error(code, "the JSON header is malformed: \(failure.message)")
    }
    guard case .object(let members) = json else {
      throw error(.malformedHeader, "the JSON header is not an object")
    }

    var metadata: [String: String] = [:]
    var tensors: [SafeTensorInfo] = []
    for (name, value) in members {
      if name == "__metadata__" {
        guard case .object(let entries) = value else {
          throw error(.malformedHeader, "__metadata__ must be an object of strings")
        }
        for (key, item) in entries {
          guard case .string(let text) = item else {
            throw error(.malformedHeader, "__metadata__ entry \"\(key)\" is not a string")
          }
          metadata[key] = text
        }
        continue
      }
      tensors.append(try Self.tensorInfo(name: name, value, error: error))
    }

    // The offsets must tile the data area: sorted by begin, each tensor starts where the
    // previous one ended, and the last ends at the end of the file.
    tensors.sort {
      ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound) < (
        $1.dataOffsets.lowerBound, $1.dataOffsets.upperBound
      )
    }
    let dataLength = bytes.count - 8 - n
    var expectedBegin = 0
    for (i, tensor) in tensors.enumerated() {
      let range = tensor.dataOffsets
      if range.upperBound > dataLength {
        throw error(
          .invalidOffsets,
          "tensor \"\(tensor.name)\": data_offsets [\(range.lowerBound), \(range.upperBound)] run past the \(dataLength) data bytes; the file is truncated or the header is wrong"
        )
      }
      if range.lowerBound < expectedBegin {
        let previous = tensors[i - 1].name
        throw error(
          .invalidOffsets,
          "tensor \"\(tensor.name)\": data_offsets [\(range.lowerBound), \(range.upperBound)] overlap tensor \"\(previous)\", which ends at \(expectedBegin)"
        )
      }
      if range.lowerBound > expectedBegin {
        throw error(
          .invalidOffsets,
          "tensor \"\(tensor.name)\": data_offsets begin at \(range.lowerBound), leaving a gap after byte \(expectedBegin)"
        )
      }
      let needed = tensor.elementCount * tensor.dtype.byteCount
      if range.count != needed {
        throw error(
          .shapeMismatch,
          "tensor \"\(tensor.name)\": shape \(tensor.shape) of \(tensor.dtype.rawValue) needs \(needed) bytes, data_offsets span \(range.count)"
        )
      }
      expectedBegin = range.upperBound
    }
    if expectedBegin != dataLength {
      throw error(
        .trailingData,
        "\(dataLength - expectedBegin) bytes follow the last tensor's data (the data area has \(dataLength) bytes, the tensors cover \(expectedBegin))"
      )
    }

    self.metadata = metadata
    self.tensors = tensors
    self.data = bytes
    self.dataStart = 8 + n
    self.index = Dictionary(uniqueKeysWithValues: tensors.enumerated().map { ($1.name, $0) })
  }

  private static func tensorInfo(
    name: String, _ value: HeaderJSON.Value,
    error: (SafeTensorsError.Code, String) -> SafeTensorsError
  ) throws -> SafeTensorInfo {
    guard case .object(let fields) = value else {
      throw error(.malformedHeader, "tensor \"\(name)\": the entry is not an object")
    }
    var dtype: SafeTensorsDType?
    var shape: [Int]?
    var offsets: [Int]?
    func integers(_ item: HeaderJSON.Value, _ field: String) throws -> [Int] {
      guard case .array(let items) = item else {
        throw error(.malformedHeader, "tensor \"\(name)\": \(field) is not an array")
      }
      return try items.map {
        guard case .number(let text) = $0, let v = Int(text), v >= 0 else {
          throw error(
            .malformedHeader, "tensor \"\(name)\": \(field) must hold non-negative integers")
        }
        return v
      }
    }
    for (key, item) in fields {
      switch key {
      case "dtype":
        guard case .string(let text) = item else {
          throw error(.malformedHeader, "tensor \"\(name)\": dtype is not a string")
        }
        guard let known = SafeTensorsDType(rawValue: text) else {
          let supported = SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
          throw error(
            .unsupportedDType,
            "tensor \"\(name)\": dtype \(text) is not supported (expected one of \(supported))")
        }
        dtype = known
      case "shape":
        shape = try integers(item, "shape")
      case "data_offsets":
        offsets = try integers(item, "data_offsets")
      default:
        throw error(.malformedHeader, "tensor \"\(name)\": unexpected field \"\(key)\"")
      }
    }
    guard let dtype, let shape, let offsets else {
      throw error(
        .malformedHeader, "tensor \"\(name)\": the entry needs dtype, shape and data_offsets")
    }
    guard offsets.count == 2 else {
      throw error(
        .malformedHeader,
        "tensor \"\(name)\": data_offsets must be [begin, end], found \(offsets.count) numbers")
    }
    guard offsets[0] <= offsets[1] else {
      throw error(
        .invalidOffsets,
        "tensor \"\(name)\": data_offsets [\(offsets[0]), \(offsets[1])] end before they begin")
    }
    var count = 1
    for d in shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: d)
      guard !overflow, product <= Int.max / 16 else {
        throw error(.shapeMismatch, "tensor \"\(name)\": shape \(shape) is too large")
      }
      count = product
    }
    return SafeTensorInfo(
      name: name, dtype: dtype, shape: shape, dataOffsets: offsets[0]..<offsets[1])
  }

  // MARK: - Values

  private func tensor(_ name: String) throws -> SafeTensorInfo {
    guard let info = info(name) else {
      let some = names.prefix(5).joined(separator: ", ")
      throw SafeTensorsError(
        .missingTensor,
        "no tensor \"\(name)\" (the file has \(tensors.count) tensors\(tensors.isEmpty ? "" : ": \(some)\(tensors.count > 5 ? ", …" : "")"))",
        path: path)
    }
    return info
  }

  /// Calls `body` with the raw bytes of `info`'s data.
  private func withBytes<R>(_ info: SafeTensorInfo, _ body: (UnsafeRawBufferPointer) throws -> R)
    rethrows -> R
  {
    try data.withUnsafeBytes { all in
      try body(
        UnsafeRawBufferPointer(
          rebasing: all[
            (dataStart + info.dataOffsets.lowerBound)..<(dataStart + info.dataOffsets.upperBound)]))
    }
  }

  /// The values of tensor `name` as `Float`, row-major.
  ///
  /// F32 is copied; F16 and BF16 widen exactly; F64 and 64-bit integers round to nearest;
  /// other integers and BOOL convert exactly where representable.
  /// - Throws: `SafeTensorsError.missingTensor` when there is no such tensor.
  public func floats(_ name: String) throws -> [Float] {
    let info = try tensor(name)
    let count = info.elementCount
    return withBytes(info) { raw in
      if info.dtype == .float32 {
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
          for i in 0..<count {
            out[i] = Float(
              bitPattern: UInt32(
                littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
          }
          initialized = count
        }
      }
      return (0..<count).map { Self.float(raw, at: $0, dtype: info.dtype) }
    }
  }

  /// The values of tensor `name` as `Double`, row-major (every dtype converts exactly except
  /// 64-bit integers beyond 2⁵³, which round).
  /// - Throws: `SafeTensorsError.missingTensor` when there is no such tensor.
  public func doubles(_ name: String) throws -> [Double] {
    let info = try tensor(name)
    return withBytes(info) { raw in
      (0..<info.elementCount).map { Self.double(raw, at: $0, dtype: info.dtype) }
    }
  }

  /// The values of an integer or BOOL tensor `name` as `Int64`, row-major.
  ///
  /// Used for BatchNorm's `num_batches_tracked`, for instance.
  /// - Throws: `SafeTensorsError.missingTensor`; `.typeMismatch` for a floating-point tensor
  ///   or U64 values above `Int64.max`.
  public func int64s(_ name: String) throws -> [Int64] {
    let info = try tensor(name)
    guard !info.dtype.isFloatingPoint else {
      throw SafeTensorsError(
        .typeMismatch,
        "tensor \"\(name)\" is \(info.dtype.rawValue), not an integer type; use floats(_:) or doubles(_:)",
        path: path)
    }
    return try withBytes(info) { raw in
      try (0..<info.elementCount).map { i in
        let bits = Self.bits(raw, at: i, size: info.dtype.byteCount)
        switch info.dtype {
        case .int8: return Int64(Int8(truncatingIfNeeded: bits))
        case .int16: return Int64(Int16(truncatingIfNeeded: bits))
        case .int32: return Int64(Int32(truncatingIfNeeded: bits))
        case .int64: return Int64(bitPattern: bits)
        case .uint64:
          guard bits <= UInt64(Int64.max) else {
            throw SafeTensorsError(
              .typeMismatch, "tensor \"\(name)\": U64 value \(bits) exceeds Int64.max", path: path)
          }
          return Int64(bits)
        default: return Int64(bits)
        }
      }
    }
  }

  @inline(__always)
  private static func bits(_ raw: UnsafeRawBufferPointer, at i: Int, size: Int) -> UInt64 {
    switch size {
    case 1: UInt64(raw[i])
    case 2: UInt64(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
    case 4: UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
    default: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
    }
  }

  private static func double(_ raw: UnsafeRawBufferPointer, at i: Int, dtype: SafeTensorsDType)
    -> Double
  {
    let b = bits(raw, at: i, size: dtype.byteCount)
    switch dtype {
    case .float64: return Double(bitPattern: b)
    case .float32: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: b)))
    case .float16: return Double(halfToFloat(UInt16(truncatingIfNeeded: b)))
    case .bfloat16: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: b) << 16))
    case .int8: return Double(Int8(truncatingIfNeeded: b))
    case .int16: return Double(Int16(truncatingIfNeeded: b))
    case .int32: return Double(Int32(truncatingIfNeeded: b))
    case .int64: return Double(Int64(bitPattern: b))
    case .bool, .uint8, .uint16, .uint32, .uint64: return Double(b)
    }
  }

  private static func float(_ raw: UnsafeRawBufferPointer, at i: Int, dtype: SafeTensorsDType)
    -> Float
  {
    let b = bits(raw, at: i, size: dtype.byteCount)
    switch dtype {
    case .float32: return Float(bitPattern: UInt32(truncatingIfNeeded: b))
    case .float16: return halfToFloat(UInt16(truncatingIfNeeded: b))
    case .bfloat16: return Float(bitPattern: UInt32(truncatingIfNeeded: b) << 16)
    case .float64: return Float(Double(bitPattern: b))
    case .int64: return Float(Int64(bitPattern: b))
    case .uint64: return Float(b)
    default: return Float(double(raw, at: i, dtype: dtype))
    }
  }

  /// IEEE binary16 → binary32, exactly, subnormals, infinities and NaN included.
  ///
  /// Written out because `Float16` is unavailable on some platforms.
  static func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exponent = Int((h >> 10) & 0x1F)
    let mantissa = UInt32(h & 0x3FF)
    if exponent == 0x1F {
      return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    }
    if exponent == 0 {
      // Zero or subnormal: mantissa · 2^-24.
      let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
      return sign == 0 ? magnitude : -magnitude
    }
    return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
  }
}
