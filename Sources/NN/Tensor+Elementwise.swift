// Broadcasting arithmetic and pointwise functions, each with its vector–Jacobian product.

internal import _NNKernels

extension Tensor {
  /// Broadcasting binary op with the partial derivatives ∂op/∂a and ∂op/∂b.
  @inline(__always)
  static func binary(
    _ a: Tensor, _ b: Tensor, _ op: @escaping (Scalar, Scalar) -> Scalar,
    da: @escaping (Scalar, Scalar) -> Scalar, db: @escaping (Scalar, Scalar) -> Scalar
  ) -> Tensor {
    let (shape, values) = broadcastMap(a.scalars, a.shape, b.scalars, b.shape, op)
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
        for i in 0..<t.count { t[i] *= da(aFull[i], bFull[i]) }
        ga = reduceSum(t, shape: shape, to: aShape)
      }
      if needs[1] {
        var t = g
        for i in 0..<t.count { t[i] *= db(aFull[i], bFull[i]) }
        gb = reduceSum(t, shape: shape, to: bShape)
      }
      return [ga, gb]
    }
  }

  /// Which values a pointwise op's derivative reads, and therefore keeps alive until backward.
  enum PointwiseSaved {
    case input, output, neither
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
    let saved = saving == .input ? scalars : (saving == .output ? out : [])
    return Tensor.record(shape: shape, scalars: out, inputs: [self]) { g, _ in
      // One pass into fresh storage (mutating a copy of g would read and write it twice).
      let gx = g.withUnsafeBufferPointer { pg in
        saved.withUnsafeBufferPointer { pv in
          [Scalar](unsafeUninitializedCapacity: pg.count) { out, initialized in
            switch saving {
            case .input: for i in 0..<pg.count { out[i] = pg[i] * derivative(pv[i], 0) }
            case .output: for i in 0..<pg.count { out[i] = pg[i] * derivative(0, pv[i]) }
            case .neither:
              let d = derivative(0, 0)
              for i in 0..<pg.count { out[i] = pg[i] * d }
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
    let (shape, values) =
      sign > 0
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
    binary(a, b, { $0 * $1 }, da: { _, y in y }, db: { x, _ in x })
  }
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func / (a: Tensor, b: Tensor) -> Tensor {
    binary(a, b, { $0 / $1 }, da: { _, y in 1 / y }, db: { x, y in -x / (y * y) })
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
  public func exp() -> Tensor { pointwise({ Scalar.exp($0) }, saving: .output) { _, y in y } }
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
  public func relu() -> Tensor { pointwise({ $0 > 0 ? $0 : 0 }, saving: .output) { _, y in y > 0 ? 1 : 0 } }
  /// x for x > 0, else slope·x (PyTorch `leaky_relu`, default slope 0.01).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func leakyRelu(negativeSlope: Scalar = 0.01) -> Tensor {
    pointwise({ $0 > 0 ? $0 : $0 * negativeSlope }, saving: .input) { x, _ in x > 0 ? 1 : negativeSlope }
  }
  /// tanh x.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func tanh() -> Tensor {
    pointwise({ Scalar.tanh($0) }, floatKernel: { l3das_tanh_f32($0, $1) }, saving: .output) { _, y in 1 - y * y }
  }
  /// The logistic function 1/(1+e⁻ˣ).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func sigmoid() -> Tensor {
    pointwise({ Scalar.sigmoid($0) }, floatKernel: { l3das_sigmoid_f32($0, $1) }, saving: .output) { _, y in
      y * (1 - y)
    }
  }
  /// min(max(x, low), high); the gradient passes where low ≤ x ≤ high (as PyTorch's `clamp`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func clamped(min low: Scalar, max high: Scalar) -> Tensor {
    pointwise({ Swift.min(Swift.max($0, low), high) }, saving: .input) { x, _ in x >= low && x <= high ? 1 : 0 }
  }
}
