/// An element type of a safetensors tensor, named as in the file's `dtype` field.
///
/// All types are stored little-endian. `F16` is IEEE binary16, `BF16` is bfloat16 (the upper
/// half of a binary32), `BOOL` is one byte per element (0 or 1).
public enum SafeTensorsDType: String, Sendable, Codable, CaseIterable {
  /// Boolean, one byte.
  case bool = "BOOL"
  /// Unsigned 8-bit integer.
  case uint8 = "U8"
  /// Signed 8-bit integer.
  case int8 = "I8"
  /// Signed 16-bit integer.
  case int16 = "I16"
  /// Unsigned 16-bit integer.
  case uint16 = "U16"
  /// IEEE binary16.
  case float16 = "F16"
  /// bfloat16.
  case bfloat16 = "BF16"
  /// Signed 32-bit integer.
  case int32 = "I32"
  /// Unsigned 32-bit integer.
  case uint32 = "U32"
  /// IEEE binary32.
  case float32 = "F32"
  /// IEEE binary64.
  case float64 = "F64"
  /// Signed 64-bit integer.
  case int64 = "I64"
  /// Unsigned 64-bit integer.
  case uint64 = "U64"

  /// Bytes per element.
  public var byteCount: Int {
    switch self {
    case .bool, .uint8, .int8: 1
    case .int16, .uint16, .float16, .bfloat16: 2
    case .int32, .uint32, .float32: 4
    case .float64, .int64, .uint64: 8
    }
  }

  /// Whether the elements are floating point.
  public var isFloatingPoint: Bool {
    switch self {
    case .float16, .bfloat16, .float32, .float64: true
    default: false
    }
  }

  /// The rank of this type in the Python package's `Dtype` enum, which orders tensors in a
  /// written file (larger rank first, so that wider types come first and stay aligned).
  var writeOrder: Int {
    switch self {
    case .bool: 0
    case .uint8: 1
    case .int8: 2
    case .int16: 3
    case .uint16: 4
    case .float16: 5
    case .bfloat16: 6
    case .int32: 7
    case .uint32: 8
    case .float32: 9
    case .float64: 10
    case .int64: 11
    case .uint64: 12
    }
  }
}

/// The name, element type, shape and byte range of one tensor in a safetensors file.
public struct SafeTensorInfo: Sendable, Equatable {
  /// The tensor's name (a PyTorch `state_dict` key such as `cnn.0.weight`).
  public var name: String
  /// The element type.
  public var dtype: SafeTensorsDType
  /// The shape, row-major (C order); `[]` for a scalar.
  public var shape: [Int]
  /// The byte range of the data, relative to the start of the data area (after the header).
  public var dataOffsets: Range<Int>

  /// The number of elements, `shape.reduce(1, *)` (1 for a scalar).
  public var elementCount: Int { shape.reduce(1, *) }
}
