public import SafeTensors

/// A PyTorch storage class as named in a pickle (`torch.FloatStorage`, …), with its element
/// type.
///
/// The typed storage names are what `torch.save` writes in a storage's persistent id, from
/// PyTorch 0.4 to the current 2.x.
public enum TorchStorageType: String, Sendable, CaseIterable {
  case float = "FloatStorage"
  case double = "DoubleStorage"
  case half = "HalfStorage"
  case bfloat16 = "BFloat16Storage"
  case long = "LongStorage"
  case int = "IntStorage"
  case short = "ShortStorage"
  case char = "CharStorage"
  case byte = "ByteStorage"
  case bool = "BoolStorage"

  /// The same element type in safetensors terms.
  public var dtype: SafeTensorsDType {
    switch self {
    case .float: .float32
    case .double: .float64
    case .half: .float16
    case .bfloat16: .bfloat16
    case .long: .int64
    case .int: .int32
    case .short: .int16
    case .char: .int8
    case .byte: .uint8
    case .bool: .bool
    }
  }

  /// Bytes per element.
  public var elementSize: Int { dtype.byteCount }
}
