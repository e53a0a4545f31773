// Shape manipulation: reshape, permute, slice, concatenate and zero padding (all differentiable).

extension Tensor {
  /// The same elements under another shape (row-major reinterpretation, PyTorch `reshape`).
  /// One extent may be −1; it is inferred.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func reshaped(_ newShape: [Int]) -> Tensor {
    var resolved = newShape
    if let unknown = newShape.firstIndex(of: -1) {
      let known = newShape.enumerated().filter { $0.offset != unknown }.map(\.element).reduce(1, *)
      precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
      resolved[unknown] = count / known
    }
    precondition(
      resolved.reduce(1, *) == count, "cannot reshape \(shape) (\(count) elements) to \(newShape)")
    return Tensor.record(shape: resolved, scalars: scalars, inputs: [self]) { g, _ in [g] }
  }

  /// Flattens axes `start...end` into one.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func flattened(from start: Int = 0, through end: Int = -1) -> Tensor {
    let e = end < 0 ? rank + end : end
    let merged = shape[start...e].reduce(1, *)
    return reshaped(Array(shape[..<start]) + [merged] + Array(shape[(e + 1)...]))
  }

  /// Reorders the axes: output axis i is input axis `axes[i]` (PyTorch `permute`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func permuted(_ axes: [Int]) -> Tensor {
    precondition(axes.sorted() == Array(0..<rank), "\(axes) is not a permutation of 0..<\(rank)")
    let outShape = axes.map { shape[$0] }
    let values = permute(scalars, shape: shape, axes: axes)
    var inverse = [Int](repeating: 0, count: rank)
    for (i, a) in axes.enumerated() { inverse[a] = i }
    return Tensor.record(shape: outShape, scalars: values, inputs: [self]) { g, _ in
      [permute(g, shape: outShape, axes: inverse)]
    }
  }

  /// Swaps two axes (PyTorch `transpose(a, b)`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func transposed(_ a: Int, _ b: Int) -> Tensor {
    var axes = Array(0..<rank)
    axes.swapAt(a, b)
    return permuted(axes)
  }

  /// The elements with index in `range` along `axis` (PyTorch `x[..., range, ...]`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
    precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis], "slice out of range")
    let outer = shape[..<axis].reduce(1, *)
    let inner = shape[(axis + 1)...].reduce(1, *)
    let length = shape[axis]
    var outShape = shape
    outShape[axis] = range.count
    let values = copyBlocks(
      scalars, outer: outer, inner: inner, fromLength: length, fromStart: range.lowerBound,
      toLength: range.count, toStart: 0, count: range.count)
    return Tensor.record(shape: outShape, scalars: values, inputs: [self]) { g, _ in
      [
        copyBlocks(
          g, outer: outer, inner: inner, fromLength: range.count, fromStart: 0,
          toLength: length, toStart: range.lowerBound, count: range.count)
      ]
    }
  }

  /// Zero padding along one axis: `before` zeros in front, `after` zeros behind.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func padded(axis: Int, before: Int, after: Int) -> Tensor {
    precondition(before >= 0 && after >= 0, "padding must be non-negative")
    let outer = shape[..<axis].reduce(1, *)
    let inner = shape[(axis + 1)...].reduce(1, *)
    let length = shape[axis]
    var outShape = shape
    outShape[axis] = length + before + after
    let newLength = outShape[axis]
    let values = copyBlocks(
      scalars, outer: outer, inner: inner, fromLength: length, fromStart: 0,
      toLength: newLength, toStart: before, count: length)
    return Tensor.record(shape: outShape, scalars: values, inputs: [self]) { g, _ in
      [
        copyBlocks(
          g, outer: outer, inner: inner, fromLength: newLength, fromStart: before,
          toLength: length, toStart: 0, count: length)
      ]
    }
  }

  /// Joins tensors along `axis`; all other extents must agree (PyTorch `torch.cat`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func concatenate(_ tensors: [Tensor], axis: Int) -> Tensor {
    precondition(!tensors.isEmpty, "concatenate needs at least one tensor")
    let first = tensors[0].shape
    for t in tensors {
      precondition(
        t.rank == first.count
          && (0..<first.count).allSatisfy { $0 == axis || t.shape[$0] == first[$0] },
        "cannot concatenate \(t.shape) with \(first) along axis \(axis)")
    }
    let outer = first[..<axis].reduce(1, *)
    let inner = first[(axis + 1)...].reduce(1, *)
    let lengths = tensors.map { $0.shape[axis] }
    let total = lengths.reduce(0, +)
    var outShape = first
    outShape[axis] = total
    var values = [Scalar](repeating: 0, count: outer * total * inner)
    var start = 0
    for (t, length) in zip(tensors, lengths) {
      copyBlocks(
        t.scalars, into: &values, outer: outer, inner: inner, fromLength: length, fromStart: 0,
        toLength: total, toStart: start, count: length)
      start += length
    }
    return record(shape: outShape, scalars: values, inputs: tensors) { g, needs in
      var grads: [[Scalar]?] = []
      var start = 0
      for (i, length) in lengths.enumerated() {
        grads.append(
          needs[i]
            ? copyBlocks(
              g, outer: outer, inner: inner, fromLength: total, fromStart: start,
              toLength: length, toStart: 0, count: length) : nil)
        start += length
      }
      return grads
    }
  }

  /// Splits along `axis` into pieces of the given sizes.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func split(axis: Int, sizes: [Int]) -> [Tensor] {
    precondition(sizes.reduce(0, +) == shape[axis], "sizes \(sizes) do not add up to \(shape[axis])")
    var start = 0
    return sizes.map { size in
      defer { start += size }
      return slice(axis: axis, start..<(start + size))
    }
  }
}

/// Copies `count` rows of `inner` elements per outer block, from position `fromStart` of an axis
/// of length `fromLength` to position `toStart` of one of length `toLength`; the rest is zero.
@_specialize(where S == Float)
@_specialize(where S == Double)
func copyBlocks<S: NNScalar>(
  _ source: [S], outer: Int, inner: Int, fromLength: Int, fromStart: Int,
  toLength: Int, toStart: Int, count: Int
) -> [S] {
  var out = [S](repeating: 0, count: outer * toLength * inner)
  copyBlocks(
    source, into: &out, outer: outer, inner: inner, fromLength: fromLength, fromStart: fromStart,
    toLength: toLength, toStart: toStart, count: count)
  return out
}

@_specialize(where S == Float)
@_specialize(where S == Double)
func copyBlocks<S: NNScalar>(
  _ source: [S], into out: inout [S], outer: Int, inner: Int, fromLength: Int, fromStart: Int,
  toLength: Int, toStart: Int, count: Int
) {
  let run = count * inner
  guard run > 0 else { return }
  source.withUnsafeBufferPointer { ps in
    out.withUnsafeMutableBufferPointer { po in
      guard let src = ps.baseAddress, let dst = po.baseAddress else { return }
      for o in 0..<outer {
        (dst + (o * toLength + toStart) * inner).update(
          from: src + (o * fromLength + fromStart) * inner, count: run)
      }
    }
  }
}

/// Row-major transposition of `values` (of `shape`) so that output axis i is input axis axes[i].
@_specialize(where S == Float)
@_specialize(where S == Double)
func permute<S: NNScalar>(_ values: [S], shape: [Int], axes: [Int]) -> [S] {
  if axes == Array(0..<shape.count) { return values }
  let inStrides = contiguousStrides(shape)
  let outShape = axes.map { shape[$0] }
  let strides = axes.map { inStrides[$0] }
  var out = [S](repeating: 0, count: values.count)
  values.withUnsafeBufferPointer { pv in
    out.withUnsafeMutableBufferPointer { po in
      forEachRow(shape: outShape, stridesA: strides, stridesB: strides) { o, oi, _, n, si, _ in
        for j in 0..<n { po[o + j] = pv[oi + j * si] }
      }
    }
  }
  return out
}
