/// A dense float32 array with a shape, row-major (C order): what the feature pipelines return
/// and what `NumPyFile.write(_:shape:to:)` stores.
///
/// The layout is PyTorch's channels-first order: a spectrogram is `[channels, bins, frames]`,
/// a label matrix `[frames, values]`.
public struct FeatureTensor: Sendable, Equatable {
  /// The extent of each axis.
  public var shape: [Int]
  /// `shape.reduce(1, *)` values in row-major order.
  public var values: [Float]

  /// Wraps `values` with `shape`.
  /// - Precondition: `shape` holds exactly `values.count` values.
  public init(shape: [Int], values: [Float]) {
    precondition(
      shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count,
      "shape \(shape) does not hold \(values.count) values")
    self.shape = shape
    self.values = values
  }

  /// A tensor of zeros.
  public init(zeros shape: [Int]) {
    self.init(shape: shape, values: [Float](repeating: 0, count: shape.reduce(1, *)))
  }

  /// The element at `index` (one subscript per axis).
  public subscript(_ index: Int...) -> Float {
    get { values[offset(index)] }
    set { values[offset(index)] = newValue }
  }

  /// The row-major offset of a multi-index.
  public func offset(_ index: [Int]) -> Int {
    precondition(
      index.count == shape.count, "\(index.count) indices for a rank-\(shape.count) tensor")
    var offset = 0
    for (i, (n, extent)) in zip(index, shape).enumerated() {
      precondition(n >= 0 && n < extent, "index \(n) out of 0..<\(extent) on axis \(i)")
      offset = offset * extent + n
    }
    return offset
  }
}
