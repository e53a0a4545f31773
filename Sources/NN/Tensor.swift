#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// A dense, contiguous, row-major N-dimensional array that records the operations applied to
/// it, so that gradients can be computed in reverse mode (PyTorch's eager autograd model).
///
/// Axis order is PyTorch's (`[N, C, H, W]` for images, `[N, C, L]` for sequences, `[N, T, F]`
/// for `batch_first` RNN input). A tensor is a reference: parameters are updated in place by
/// optimizers, and ``grad`` accumulates across ``backward()`` calls until cleared.
///
/// ```swift
/// let w = Tensor<Double>(shape: [2], scalars: [1, 2], requiresGrad: true)
/// let loss = (w * w).sum()
/// loss.backward()      // w.grad == [2, 4]
/// ```
public final class Tensor<Scalar: NNScalar>: @unchecked Sendable {
  /// The extent of each axis; `[]` for a scalar.
  public let shape: [Int]
  /// The elements in row-major order (`shape.reduce(1, *)` of them).
  public var scalars: [Scalar]
  /// The accumulated gradient of leaf tensors that require it, in the layout of ``scalars``.
  public var grad: [Scalar]?
  /// Whether operations on this tensor are recorded for differentiation: a leaf marked so, or
  /// the output of a recorded operation whose graph has not been freed by a backward pass.
  public var requiresGrad: Bool { node.map { !$0.released } ?? leafRequiresGrad }
  /// Whether this leaf (a tensor not produced by a recorded operation) requires gradients.
  private var leafRequiresGrad: Bool
  /// The operation that produced this tensor (released after a backward pass through it).
  var node: GradNode<Scalar>?
  /// Set once a backward pass has freed the graph through this (non-leaf) tensor.
  var graphReleased: Bool { node?.released ?? false }

  /// Creates a tensor from row-major elements.
  public init(shape: [Int], scalars: [Scalar], requiresGrad: Bool = false) {
    precondition(shape.allSatisfy { $0 >= 0 }, "shape \(shape) has a negative extent")
    precondition(
      scalars.count == shape.reduce(1, *),
      "shape \(shape) needs \(shape.reduce(1, *)) elements, got \(scalars.count)")
    self.shape = shape
    self.scalars = scalars
    self.leafRequiresGrad = requiresGrad
  }

  /// A tensor of the given shape filled with `value`.
  public convenience init(repeating value: Scalar, shape: [Int], requiresGrad: Bool = false) {
    self.init(
      shape: shape, scalars: [Scalar](repeating: value, count: shape.reduce(1, *)),
      requiresGrad: requiresGrad)
  }

  /// A zero tensor of the given shape.
  public convenience init(zeros shape: [Int], requiresGrad: Bool = false) {
    self.init(repeating: 0, shape: shape, requiresGrad: requiresGrad)
  }

  /// A 0-dimensional tensor holding one value.
  public convenience init(_ value: Scalar) {
    self.init(shape: [], scalars: [value])
  }

  /// Samples of U(−bound, bound), the distribution behind PyTorch's default initialisers.
  public convenience init(
    uniformBound bound: Scalar, shape: [Int], requiresGrad: Bool = false,
    using rng: inout some RandomNumberGenerator
  ) {
    let count = shape.reduce(1, *)
    var values = [Scalar](repeating: 0, count: count)
    let b = Double(bound)
    for i in 0..<count { values[i] = Scalar(Double.random(in: -b..<b, using: &rng)) }
    self.init(shape: shape, scalars: values, requiresGrad: requiresGrad)
  }

  /// Samples of N(0, 1).
  public convenience init(
    randomNormal shape: [Int], requiresGrad: Bool = false,
    using rng: inout some RandomNumberGenerator
  ) {
    let count = shape.reduce(1, *)
    var values = [Scalar](repeating: 0, count: count)
    for i in 0..<count { values[i] = Scalar(gaussian(using: &rng)) }
    self.init(shape: shape, scalars: values, requiresGrad: requiresGrad)
  }

  /// The number of elements.
  public var count: Int { scalars.count }
  /// The number of axes.
  public var rank: Int { shape.count }

  /// The only element of a one-element tensor.
  public var item: Scalar {
    precondition(scalars.count == 1, "item needs one element, the tensor has shape \(shape)")
    return scalars[0]
  }

  /// A tensor with the same values that records nothing and does not require gradients.
  public func detached() -> Tensor {
    Tensor(shape: shape, scalars: scalars)
  }

  /// The same tensor converted to another scalar type (not differentiable).
  public func converted<Other: NNScalar>(to type: Other.Type = Other.self) -> Tensor<Other> {
    Tensor<Other>(shape: shape, scalars: scalars.map { Other($0) })
  }

  /// Marks a leaf tensor as a parameter (or stops tracking it).
  public func setRequiresGrad(_ value: Bool) {
    precondition(node == nil || graphReleased, "requiresGrad can only be changed on leaf tensors")
    node = nil  // an intermediate whose graph is freed is a constant leaf from now on
    leafRequiresGrad = value
  }

  /// Clears the accumulated gradient.
  public func zeroGrad() { grad = nil }
}

/// Box–Muller N(0, 1) sample in double precision.
func gaussian(using rng: inout some RandomNumberGenerator) -> Double {
  let u1 = 1 - Double.random(in: 0..<1, using: &rng)
  let u2 = Double.random(in: 0..<1, using: &rng)
  return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
}
