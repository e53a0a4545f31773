public import SafeTensors

/// A tensor as a `torch.save` pickle describes it: a view (offset, shape, strides in elements)
/// of a storage.
public struct TorchTensor {
  /// The element type.
  public var dtype: SafeTensorsDType { storage.type.dtype }
  /// The extent of each axis; `[]` for a scalar.
  public let shape: [Int]
  /// The step between neighbours along each axis, in elements.
  public let strides: [Int]
  /// The first element's index in the storage.
  public let storageOffset: Int
  /// The storage viewed.
  let storage: TorchStorageReference

  /// The number of elements.
  public var elementCount: Int { shape.reduce(1, *) }

  /// Checks the view against its storage: non-negative sizes and strides, no overflow, and
  /// every element inside the storage's `elementCount`.
  init(storage: TorchStorageReference, offset: Int, shape: [Int], strides: [Int]) throws {
    func invalid(_ message: String) -> TorchCheckpointError {
      TorchCheckpointError(.invalidTensor, message)
    }
    guard shape.count == strides.count else {
      throw invalid("a tensor has \(shape.count) sizes but \(strides.count) strides")
    }
    guard shape.count <= 64 else { throw invalid("a tensor has \(shape.count) axes (at most 64 are accepted)") }
    guard offset >= 0, shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
      throw invalid("a tensor has a negative offset, size or stride (offset \(offset), size \(shape), stride \(strides))")
    }
    var count = 1
    var last = offset
    for (size, stride) in zip(shape, strides) {
      let (c, o1) = count.multipliedReportingOverflow(by: size)
      guard !o1 else { throw invalid("a tensor's size \(shape) overflows") }
      count = c
      if size > 0 {
        let (span, o2) = (size - 1).multipliedReportingOverflow(by: stride)
        let (end, o3) = last.addingReportingOverflow(span)
        guard !o2, !o3 else { throw invalid("a tensor's strides \(strides) overflow") }
        last = end
      }
    }
    if count > 0, last >= storage.elementCount {
      throw invalid(
        "a tensor of size \(shape), stride \(strides) at offset \(offset) reaches element \(last) of a storage of \(storage.elementCount) (key \(storage.key))")
    }
    self.storage = storage
    self.storageOffset = offset
    self.shape = shape
    self.strides = strides
  }

  /// The elements in row-major order as little-endian bytes, gathered from `bytes` (the
  /// storage's data).
  func contiguousBytes(from bytes: UnsafeRawBufferPointer) -> [UInt8] {
    let size = storage.type.elementSize
    let count = elementCount
    var out = [UInt8](repeating: 0, count: count * size)
    guard count > 0 else { return out }
    // Row-major strides of the shape: a contiguous view is one copy.
    var contiguous = true
    var expected = 1
    for (n, s) in zip(shape, strides).reversed() where n != 1 {
      if s != expected { contiguous = false }
      expected *= n
    }
    out.withUnsafeMutableBytes { dst in
      if contiguous {
        dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[(storageOffset * size)..<((storageOffset + count) * size)]))
        return
      }
      var index = [Int](repeating: 0, count: shape.count)
      var source = storageOffset
      for i in 0..<count {
        for b in 0..<size { dst[i * size + b] = bytes[source * size + b] }
        // Advance the multi-index, last axis fastest.
        var axis = shape.count - 1
        while axis >= 0 {
          index[axis] += 1
          source += strides[axis]
          if index[axis] < shape[axis] { break }
          source -= strides[axis] * shape[axis]
          index[axis] = 0
          axis -= 1
        }
      }
    }
    return out
  }
}
