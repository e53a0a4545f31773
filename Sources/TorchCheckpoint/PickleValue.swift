/// A value built by the restricted unpickler: plain data, containers, and the few PyTorch
/// objects a `state_dict` pickle reconstructs (storages and tensors). Containers are references:
/// lists and dicts because a pickle may fill one after memoising it (as in Python), and all of
/// them so that a deeply nested hostile structure can be taken apart iteratively
/// (``Unpickler``'s `dismantle`) instead of being released recursively.
indirect enum PickleValue {
  case none
  case bool(Bool)
  case int(Int)
  /// An integer wider than 64 bits (LONG1/LONG4), as little-endian two's-complement bytes.
  case bigInt([UInt8])
  case float(Double)
  case string(String)
  case bytes([UInt8])
  case tuple(PickleTuple)
  case list(PickleList)
  case dict(PickleDict)
  /// One of the allowed globals, not yet applied.
  case global(AllowedGlobal)
  /// A storage reference from a persistent id.
  case storage(TorchStorageReference)
  /// A rebuilt tensor.
  case tensor(TorchTensor)

  /// A short description for error messages.
  var kind: String {
    switch self {
    case .none: "None"
    case .bool: "bool"
    case .int, .bigInt: "int"
    case .float: "float"
    case .string: "str"
    case .bytes: "bytes"
    case .tuple: "tuple"
    case .list: "list"
    case .dict: "dict"
    case .global(let g): "global \(g.qualifiedName)"
    case .storage: "storage"
    case .tensor: "tensor"
    }
  }
}

/// A Python tuple.
final class PickleTuple {
  var items: [PickleValue]
  init(_ items: [PickleValue] = []) { self.items = items }
}

/// A mutable Python list.
final class PickleList {
  var items: [PickleValue]
  init(_ items: [PickleValue] = []) { self.items = items }
}

/// A mutable Python dict (insertion order kept; later equal keys replace earlier ones).
final class PickleDict {
  private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
  private var index: [String: Int] = [:]

  func set(_ key: PickleValue, _ value: PickleValue) {
    if let k = Self.hashKey(key), let i = index[k] {
      entries[i].value = value
      return
    }
    if let k = Self.hashKey(key) { index[k] = entries.count }
    entries.append((key, value))
  }

  /// Removes every entry (used to take a structure apart).
  func removeAll() {
    entries = []
    index = [:]
  }

  /// The value stored under the string `key`.
  func value(forKey key: String) -> PickleValue? {
    index["s:" + key].map { entries[$0].value }
  }

  private static func hashKey(_ key: PickleValue) -> String? {
    switch key {
    case .string(let s): "s:" + s
    case .int(let i): "i:\(i)"
    case .bool(let b): "i:\(b ? 1 : 0)"
    default: nil
    }
  }
}

/// The globals a `state_dict` pickle may name. Anything else is refused before it could be
/// used.
enum AllowedGlobal: Equatable {
  /// `collections.OrderedDict` (called with no arguments: an empty dict).
  case orderedDict
  /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
  case rebuildTensorV2
  /// `torch._utils._rebuild_tensor(storage, offset, size, stride)` (PyTorch < 1.0).
  case rebuildTensor
  /// `torch._utils._rebuild_parameter(data, requires_grad, hooks)`: a parameter is its tensor.
  case rebuildParameter
  /// `torch.<Type>Storage`, used in persistent ids.
  case storageType(TorchStorageType)

  var qualifiedName: String {
    switch self {
    case .orderedDict: "collections.OrderedDict"
    case .rebuildTensorV2: "torch._utils._rebuild_tensor_v2"
    case .rebuildTensor: "torch._utils._rebuild_tensor"
    case .rebuildParameter: "torch._utils._rebuild_parameter"
    case .storageType(let t): "torch.\(t.rawValue)"
    }
  }

  /// The global `module.name`, if allowed.
  init?(module: String, name: String) {
    switch (module, name) {
    case ("collections", "OrderedDict"): self = .orderedDict
    case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
    case ("torch._utils", "_rebuild_tensor"): self = .rebuildTensor
    case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
    case ("torch", _):
      guard let type = TorchStorageType(rawValue: name) else { return nil }
      self = .storageType(type)
    default: return nil
    }
  }

  /// Every allowed name, for error messages.
  static let allowedDescription =
    "collections.OrderedDict, torch._utils._rebuild_tensor_v2 (and _rebuild_tensor, _rebuild_parameter), torch.<Type>Storage"
}

/// A storage named by a persistent id: its key, element type and element count. The bytes are
/// attached by the container format once the pickle has been read.
final class TorchStorageReference {
  let key: String
  let type: TorchStorageType
  let elementCount: Int
  init(key: String, type: TorchStorageType, elementCount: Int) {
    self.key = key
    self.type = type
    self.elementCount = elementCount
  }
}
