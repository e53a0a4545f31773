/// The element type of a `.npy` array: kind, size and byte order (numpy's `descr`, e.g. `<f4`).
public struct NumPyDataType: Sendable, Equatable, Codable, CustomStringConvertible {
  /// The kinds we read.
  public enum Kind: String, Sendable, Codable {
    /// IEEE float (`f`): 2, 4 or 8 bytes.
    case float = "f"
    /// Signed integer (`i`): 1, 2, 4 or 8 bytes.
    case signed = "i"
    /// Unsigned integer (`u`): 1, 2, 4 or 8 bytes.
    case unsigned = "u"
    /// Boolean (`b`): 1 byte.
    case bool = "b"
  }

  /// The kind.
  public var kind: Kind
  /// Bytes per element.
  public var byteCount: Int
  /// Whether elements are stored big-endian.
  public var isBigEndian: Bool

  /// numpy's descriptor string, e.g. `<f4`.
  public var description: String {
    (byteCount == 1 ? "|" : (isBigEndian ? ">" : "<")) + kind.rawValue + String(byteCount)
  }

  /// Little-endian float32, what l3das writes.
  public static let float32 = NumPyDataType(kind: .float, byteCount: 4, isBigEndian: false)

  /// Creates a type.
  public init(kind: Kind, byteCount: Int, isBigEndian: Bool) {
    self.kind = kind
    self.byteCount = byteCount
    self.isBigEndian = isBigEndian
  }

  /// Parses a descriptor such as `<f4`, `>i8`, `|u1`, `|b1`.
  /// - Throws: `NumPyError` `.pickled` for object arrays, `.unsupportedDType` otherwise.
  public init(descriptor: String, path: String?) throws {
    var text = Substring(descriptor)
    var bigEndian = false
    if let first = text.first, "<>|=".contains(first) {
      bigEndian = first == ">"
      text = text.dropFirst()
    }
    guard let kindCharacter = text.first else {
      throw NumPyError(.malformedHeader, "empty dtype descriptor", path: path)
    }
    if kindCharacter == "O" {
      throw NumPyError(
        .pickled, "dtype '\(descriptor)' is an object array, which numpy stores as a pickle; refusing to load it",
        path: path)
    }
    guard let kind = Kind(rawValue: String(kindCharacter)), let size = Int(text.dropFirst()) else {
      throw NumPyError(
        .unsupportedDType, "dtype '\(descriptor)' is not a plain float, integer or bool type", path: path)
    }
    let valid: Set<Int> =
      switch kind {
      case .float: [2, 4, 8]
      case .signed, .unsigned: [1, 2, 4, 8]
      case .bool: [1]
      }
    guard valid.contains(size) else {
      throw NumPyError(.unsupportedDType, "dtype '\(descriptor)' has an unsupported size", path: path)
    }
    self.init(kind: kind, byteCount: size, isBigEndian: bigEndian)
  }
}

/// The header of a `.npy` file: format version, dtype, memory order and shape.
public struct NumPyHeader: Sendable, Equatable, Codable {
  /// Format version (major, minor): (1, 0), (2, 0) or (3, 0).
  public var version: [Int]
  /// The element type.
  public var dataType: NumPyDataType
  /// Whether the data is stored column-major (Fortran order).
  public var isFortranOrder: Bool
  /// The array shape; `[]` for a 0-d scalar.
  public var shape: [Int]
  /// Byte offset of the first data byte.
  public var dataOffset: Int

  /// Number of elements (product of the shape; 1 for a scalar).
  public var elementCount: Int { shape.reduce(1, *) }
  /// Number of data bytes the shape needs.
  public var dataByteCount: Int { elementCount * dataType.byteCount }
}
