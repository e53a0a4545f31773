// Broadcasting arithmetic and pointwise functions, each with its vector–Jacobian product.

internal import _NNKernels

extension Tensor {
  /// The broadcasting binary ops with a product rule.
  enum BinaryOp {
    case product, quotient
  }

  /// a·b or a/b with broadcasting. The partial derivatives are written out per op (not passed as
  /// closures, which the backward pass would call once per element).
  @inline(__always)
  static func binary(_ a: Tensor, _ b: Tensor, _ op: BinaryOp) -> Tensor {
    let (shape, values) =
      op == .product
      ? broadcastMap(a.scalars, a.shape, b.scalars, b.shape, { $0 * $1 })
      : broadcastMap(a.scalars, a.shape, b.scalars, b.shape, { $0 / $1 })
    let av = a.scalars
    let bv = b.scalars
    let aShape = a.shape
    let bShape = b.shape
    return record(shape: shape, scalars: values, inputs: [a, b]) { g, needs in
      let aFull = broadcastValues(av, shape: aShape, to: shape)
      let bFull = broadcastValues(bv, shape: bShape, to: shape)
      var ga: [Scalar]?
      var gb: [Scalar]?
      if needs[0] {
        var t = g
        switch op {
        case .product: for i in 0..<t.count { t[i] *= bFull[i] }
        case .quotient: for i in 0..<t.count { t[i] *= 1 / bFull[i] }
        }
        ga = reduceSum(t, shape: shape, to: aShape)
      }
      if needs[1] {
        var t = g
        switch op {
        case .product: for i in 0..<t.count { t[i] *= aFull[i] }
        case .quotient: for i in 0..<t.count { t[i] *= -aFull[i] / (bFull[i] * bFull[i]) }
        }
        gb = reduceSum(t, shape: shape, to: bShape)
      }
      return [ga, gb]
    }
  }

  /// Which values a pointwise op's derivative reads, and therefore keeps alive until backward.
  enum PointwiseSaved {
    case input, output, neither
  }

  /// The derivative of a pointwise op as a function of the saved value v (the input or the
  /// output). The named forms run as loops the compiler vectorises; `.closure` costs a call per
  /// element (the closure is captured by the backward pass, so it is not inlined there).
  enum PointwiseDerivative {
    /// 1 where v > 0, else `otherwise` (ReLU on its output, leaky ReLU on its input).
    case step(otherwise: Scalar)
    /// 1 − v² (tanh on its output).
    case oneMinusSquare
    /// v·(1 − v) (the logistic function on its output).
    case logistic
    /// v itself (eˣ on its output).
    case value
    /// Any derivative of (x, y); the value not saved is passed as 0.
    case closure((_ x: Scalar, _ y: Scalar) -> Scalar)
  }

  /// Pointwise op `y = f(x)` with derivative `dy/dx` given `(x, y)`; only the values named by
  /// `saving` are kept for backward (the others are passed as 0).
  ///
  /// The loops stay on one thread: `f` is inlined into them, which beats splitting them across
  /// cores through an opaque closure call per element.
  /// `floatKernel`, when given and `Scalar` is `Float`, computes `f` in place on the output
  /// instead (one of the C kernels, built for the CPU's widest vectors).
  @inline(__always)
  func pointwise(
    _ f: (Scalar) -> Scalar, floatKernel: ((Int, UnsafeMutablePointer<Float>) -> Void)? = nil,
    saving: PointwiseSaved, derivative: @escaping (_ x: Scalar, _ y: Scalar) -> Scalar
  ) -> Tensor {
    pointwise(f, floatKernel: floatKernel, saving: saving, derivative: .closure(derivative))
  }

  @inline(__always)
  func pointwise(
    _ f: (Scalar) -> Scalar, floatKernel: ((Int, UnsafeMutablePointer<Float>) -> Void)? = nil,
    saving: PointwiseSaved, derivative: PointwiseDerivative
  ) -> Tensor {
    let out = scalars.withUnsafeBufferPointer { px in
      [Scalar](unsafeUninitializedCapacity: px.count) { po, initialized in
        if let floatKernel, Scalar.self == Float.self, let base = po.baseAddress {
          base.update(from: px.baseAddress!, count: px.count)
          floatKernel(px.count, UnsafeMutableRawPointer(base).assumingMemoryBound(to: Float.self))
        } else {
          for i in 0..<px.count { po[i] = f(px[i]) }
        }
        initialized = px.count
      }
    }
    if case .closure = derivative {} else {
      precondition(saving != .neither, "a named derivative reads the saved values")
    }
    let saved = saving == .input ? scalars : (saving == .output ? out : [])
    return Tensor.record(shape: shape, scalars: out, inputs: [self]) { g, _ in
      // One pass into fresh storage (mutating a copy of g would read and write it twice).
      let gx = g.withUnsafeBufferPointer { pg in
        saved.withUnsafeBufferPointer { pv in
          [Scalar](unsafeUninitializedCapacity: pg.count) { out, initialized in
            /// g · d(v) over the saved values v.
            @inline(__always) func scale(by d: (Scalar) -> Scalar) {
              for i in 0..<pg.count { out[i] = pg[i] * d(pv[i]) }
            }
            switch derivative {
            case .step(let otherwise): scale { $0 > 0 ? 1 : otherwise }
            case .oneMinusSquare: scale { 1 - $0 * $0 }
            case .logistic: scale { $0 * (1 - $0) }
            case .value: scale { $0 }
            case .closure(let derivative):
              switch saving {
              case .input: scale { derivative($0, 0) }
              case .output: scale { derivative(0, $0) }
              case .neither:
                let d = derivative(0, 0)
                for i in 0..<pg.count { out[i] = pg[i] * d }
              }
            }
            initialized = pg.count
          }
        }
      }
      return [gx]
    }
  }

  /// a + sign·b with broadcasting; the gradients are sums of g, without materialising the
  /// broadcast operands.
  @inline(__always)
  static func additive(_ a: Tensor, _ b: Tensor, sign: Scalar) -> Tensor {
    // Equal shapes (residual connections): one inlined loop that vectorises, instead of a
    // closure call per element. Same values.
    let (shape, values) =
      a.shape == b.shape
      ? (a.shape, sameShapeSum(a.scalars, b.scalars, sign: sign))
      : sign > 0
        ? broadcastMap(a.scalars, a.shape, b.scalars, b.shape, { $0 + $1 })
        : broadcastMap(a.scalars, a.shape, b.scalars, b.shape, { $0 - $1 })
    let (aShape, bShape) = (a.shape, b.shape)
    return record(shape: shape, scalars: values, inputs: [a, b]) { g, needs in
      var gb: [Scalar]?
      if needs[1] {
        var r = reduceSum(g, shape: shape, to: bShape)
        if sign < 0 { for i in 0..<r.count { r[i] = -r[i] } }
        gb = r
      }
      return [needs[0] ? reduceSum(g, shape: shape, to: aShape) : nil, gb]
    }
  }

  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func + (a: Tensor, b: Tensor) -> Tensor { additive(a, b, sign: 1) }
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func - (a: Tensor, b: Tensor) -> Tensor { additive(a, b, sign: -1) }
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func * (a: Tensor, b: Tensor) -> Tensor {
    binary(a, b, .product)
  }
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func / (a: Tensor, b: Tensor) -> Tensor {
    binary(a, b, .quotient)
  }
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func + (a: Tensor, s: Scalar) -> Tensor { a.pointwise({ $0 + s }, saving: .neither) { _, _ in 1 } }
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func - (a: Tensor, s: Scalar) -> Tensor { a.pointwise({ $0 - s }, saving: .neither) { _, _ in 1 } }
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func * (a: Tensor, s: Scalar) -> Tensor { a.pointwise({ $0 * s }, saving: .neither) { _, _ in s } }
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func / (a: Tensor, s: Scalar) -> Tensor { a.pointwise({ $0 / s }, saving: .neither) { _, _ in 1 / s } }
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func + (s: Scalar, a: Tensor) -> Tensor { a + s }
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func * (s: Scalar, a: Tensor) -> Tensor { a * s }
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func - (s: Scalar, a: Tensor) -> Tensor { a.pointwise({ s - $0 }, saving: .neither) { _, _ in -1 } }
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static prefix func - (a: Tensor) -> Tensor { a.pointwise({ -$0 }, saving: .neither) { _, _ in -1 } }

  /// eˣ.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func exp() -> Tensor { pointwise({ Scalar.exp($0) }, saving: .output, derivative: .value) }
  /// Natural logarithm.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func log() -> Tensor { pointwise({ Scalar.log($0) }, saving: .input) { x, _ in 1 / x } }
  /// √x.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func sqrt() -> Tensor { pointwise({ $0.squareRoot() }, saving: .output) { _, y in 1 / (2 * y) } }
  /// x².
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func squared() -> Tensor { pointwise({ $0 * $0 }, saving: .input) { x, _ in 2 * x } }
  /// |x|, with gradient sign(x) (0 at 0, as PyTorch).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func abs() -> Tensor {
    pointwise({ Swift.abs($0) }, saving: .input) { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) }
  }
  /// max(x, 0); the gradient at 0 is 0 (PyTorch's `threshold_backward`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func relu() -> Tensor { pointwise({ $0 > 0 ? $0 : 0 }, saving: .output, derivative: .step(otherwise: 0)) }
  /// x for x > 0, else slope·x (PyTorch `leaky_relu`, default slope 0.01).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func leakyRelu(negativeSlope: Scalar = 0.01) -> Tensor {
    pointwise({ $0 > 0 ? $0 : $0 * negativeSlope }, saving: .input, derivative: .step(otherwise: negativeSlope))
  }
  /// tanh x.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func tanh() -> Tensor {
    pointwise({ Scalar.tanh($0) }, floatKernel: { l3das_tanh_f32($0, $1) }, saving: .output, derivative: .oneMinusSquare)
  }
  /// The logistic function 1/(1+e⁻ˣ).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func sigmoid() -> Tensor {
    pointwise({ Scalar.sigmoid($0) }, floatKernel: { l3das_sigmoid_f32($0, $1) }, saving: .output, derivative: .logistic)
  }
  /// min(max(x, low), high); the gradient passes where low ≤ x ≤ high (as PyTorch's `clamp`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func clamped(min low: Scalar, max high: Scalar) -> Tensor {
    pointwise({ Swift.min(Swift.max($0, low), high) }, saving: .input) { x, _ in x >= low && x <= high ? 1 : 0 }
  }
}

/// a + b (sign 1) or a − b (sign −1) elementwise, for arrays of equal length.
@_specialize(where S == Float)
@_specialize(where S == Double)
func sameShapeSum<S: NNScalar>(_ a: [S], _ b: [S], sign: S) -> [S] {
  a.withUnsafeBufferPointer { pa in
    b.withUnsafeBufferPointer { pb in
      [S](unsafeUninitializedCapacity: pa.count) { out, initialized in
        if sign > 0 {
          for i in 0..<pa.count { out[i] = pa[i] + pb[i] }
        } else {
          for i in 0..<pa.count { out[i] = pa[i] - pb[i] }
        }
        initialized = pa.count
      }
    }
  }
}
