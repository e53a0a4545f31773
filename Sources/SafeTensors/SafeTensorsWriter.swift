public import Foundation
import L3DASCore

/// Writes safetensors files that the Python `safetensors` package (and PyTorch's
/// `safetensors.torch.load_file`) load unchanged.
///
/// The layout follows the Python package: tensors are ordered by dtype (wider types first, as
/// in its `Dtype` enum) and then by name, the header lists `__metadata__` first and then the
/// tensors in data order, and it is padded with spaces to a multiple of 8 bytes so the data
/// starts aligned. Files are written atomically (temporary file + rename).
///
/// ```swift
/// try SafeTensorsWriter.write(
///   ["weight": .init(weights, shape: [4, 3]), "steps": .init([Int64(7)], shape: [])],
///   metadata: ["format": "pt"], to: url)
/// ```
public enum SafeTensorsWriter {
  /// One tensor to write: values in row-major order and their shape.
  public struct Tensor: Sendable, Equatable {
    /// The element type written.
    public let dtype: SafeTensorsDType
    /// The shape; `[]` for a scalar.
    public let shape: [Int]
    /// The little-endian bytes of the values.
    let bytes: [UInt8]
    /// The number of values given (checked against the shape when writing).
    let count: Int

    /// An F32 tensor.
    public init(_ values: [Float], shape: [Int]) {
      self.init(dtype: .float32, shape: shape, count: values.count) { out in
        for v in values {
          withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        }
      }
    }

    /// An F64 tensor.
    public init(_ values: [Double], shape: [Int]) {
      self.init(dtype: .float64, shape: shape, count: values.count) { out in
        for v in values {
          withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        }
      }
    }

    /// An I64 tensor, such as BatchNorm's `num_batches_tracked` (shape `[]`).
    public init(_ values: [Int64], shape: [Int]) {
      self.init(dtype: .int64, shape: shape, count: values.count) { out in
        for v in values { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
      }
    }

    /// A tensor of any dtype from its row-major, little-endian bytes (product(shape) × the
    /// dtype's size of them; checked when writing), for example a tensor read from another format.
    public init(dtype: SafeTensorsDType, shape: [Int], littleEndianBytes bytes: [UInt8]) {
      self.dtype = dtype
      self.shape = shape
      self.count = bytes.count % dtype.byteCount == 0 ? bytes.count / dtype.byteCount : -1
      self.bytes = bytes
    }

    private init(dtype: SafeTensorsDType, shape: [Int], count: Int, encode: (inout [UInt8]) -> Void)
    {
      self.dtype = dtype
      self.shape = shape
      self.count = count
      var bytes: [UInt8] = []
      bytes.reserveCapacity(count * dtype.byteCount)
      encode(&bytes)
      self.bytes = bytes
    }
  }

  /// Atomically writes `tensors` (name → tensor) and `metadata` to `url`.
  ///
  /// - Throws: `SafeTensorsError.invalidTensor` for a shape that does not match the value
  ///   count, an empty name or the reserved name `__metadata__`; `.writeFailed` when the file
  ///   cannot be created or moved into place.
  public static func write(
    _ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL
  ) throws {
    let data = try encode(tensors, metadata: metadata, path: url.path)
    do {
      try AtomicFile.write(data, to: url)
    } catch let error as AtomicFileError {
      throw SafeTensorsError(.writeFailed, error.message, path: url.path)
    }
  }

  /// The bytes of a safetensors file holding `tensors` and `metadata`.
  ///
  /// - Throws: `SafeTensorsError.invalidTensor` as for `write(_:metadata:to:)`.
  public static func encode(
    _ tensors: [String: Tensor], metadata: [String: String] = [:], path: String? = nil
  ) throws -> Data {
    for (name, tensor) in tensors {
      guard !name.isEmpty, name != "__metadata__" else {
        throw SafeTensorsError(
          .invalidTensor, "the tensor name \"\(name)\" is reserved or empty", path: path)
      }
      guard tensor.shape.allSatisfy({ $0 >= 0 }), tensor.shape.reduce(1, *) == tensor.count else {
        throw SafeTensorsError(
          .invalidTensor,
          "tensor \"\(name)\": shape \(tensor.shape) does not hold \(tensor.count) values",
          path: path)
      }
    }
    let ordered = tensors.sorted { a, b in
      a.value.dtype.writeOrder != b.value.dtype.writeOrder
        ? a.value.dtype.writeOrder > b.value.dtype.writeOrder
        : a.key.unicodeScalars.lexicographicallyPrecedes(b.key.unicodeScalars)
    }
    var entries: [String] = []
    if !metadata.isEmpty {
      let items = metadata.sorted {
        $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars)
      }
      .map { "\(HeaderJSON.quoted($0.key)):\(HeaderJSON.quoted($0.value))" }
      entries.append("\"__metadata__\":{\(items.joined(separator: ","))}")
    }
    var offset = 0
    for (name, tensor) in ordered {
      let end = offset + tensor.bytes.count
      let shape = tensor.shape.map(String.init).joined(separator: ",")
      entries.append(
        "\(HeaderJSON.quoted(name)):{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}"
      )
      offset = end
    }
    var header = Array("{\(entries.joined(separator: ","))}".utf8)
    header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
    var data = Data(capacity: 8 + header.count + offset)
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(contentsOf: header)
    for (_, tensor) in ordered { data.append(contentsOf: tensor.bytes) }
    return data
  }
}
