/// Row-major strides of a shape.
func contiguousStrides(_ shape: [Int]) -> [Int] {
  var strides = [Int](repeating: 1, count: shape.count)
  var s = 1
  for axis in stride(from: shape.count - 1, through: 0, by: -1) {
    strides[axis] = s
    s *= shape[axis]
  }
  return strides
}

/// NumPy/PyTorch broadcasting of two shapes: aligned at the right, extents equal or 1.
func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
  let rank = max(a.count, b.count)
  var out = [Int](repeating: 1, count: rank)
  for i in 0..<rank {
    let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
    let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
    precondition(da == db || da == 1 || db == 1, "shapes \(a) and \(b) do not broadcast")
    out[i] = da == 1 ? db : da
  }
  return out
}

/// Strides for reading a tensor of `shape` as if it had `target` shape (0 on broadcast axes).
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
  let own = contiguousStrides(shape)
  let offset = target.count - shape.count
  precondition(offset >= 0, "cannot broadcast \(shape) to \(target)")
  var strides = [Int](repeating: 0, count: target.count)
  for i in 0..<shape.count where shape[i] != 1 {
    precondition(shape[i] == target[i + offset], "cannot broadcast \(shape) to \(target)")
    strides[i + offset] = own[i]
  }
  return strides
}

/// Visits every element of `shape` in row-major order, passing the matching offsets into two
/// strided operands. The innermost axis is a tight loop (`body(outIndex, offsetA, offsetB,
/// length, strideA, strideB)` is called once per row).
@inline(__always)
func forEachRow(
  shape: [Int], stridesA: [Int], stridesB: [Int],
  _ body: (_ out: Int, _ a: Int, _ b: Int, _ length: Int, _ sa: Int, _ sb: Int) -> Void
) {
  let total = shape.reduce(1, *)
  guard total > 0 else { return }
  let rank = shape.count
  guard rank > 0 else {
    body(0, 0, 0, 1, 0, 0)
    return
  }
  let inner = shape[rank - 1]
  let sa = stridesA[rank - 1]
  let sb = stridesB[rank - 1]
  var index = [Int](repeating: 0, count: rank)
  var offA = 0
  var offB = 0
  var out = 0
  while out < total {
    body(out, offA, offB, inner, sa, sb)
    out += inner
    var axis = rank - 2
    while axis >= 0 {
      index[axis] += 1
      offA += stridesA[axis]
      offB += stridesB[axis]
      if index[axis] < shape[axis] { break }
      offA -= stridesA[axis] * shape[axis]
      offB -= stridesB[axis] * shape[axis]
      index[axis] = 0
      axis -= 1
    }
  }
}

/// Elementwise `op` over two broadcast operands.
@inline(__always)
func broadcastMap<S: NNScalar>(
  _ a: [S], _ aShape: [Int], _ b: [S], _ bShape: [Int], _ op: (S, S) -> S
) -> (shape: [Int], values: [S]) {
  if aShape == bShape {
    var out = [S](repeating: 0, count: a.count)
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        out.withUnsafeMutableBufferPointer { po in
          for i in 0..<po.count { po[i] = op(pa[i], pb[i]) }
        }
      }
    }
    return (aShape, out)
  }
  let shape = broadcastShape(aShape, bShape)
  var out = [S](repeating: 0, count: shape.reduce(1, *))
  a.withUnsafeBufferPointer { pa in
    b.withUnsafeBufferPointer { pb in
      out.withUnsafeMutableBufferPointer { po in
        forEachRow(
          shape: shape, stridesA: broadcastStrides(aShape, to: shape),
          stridesB: broadcastStrides(bShape, to: shape)
        ) { o, oa, ob, n, sa, sb in
          for j in 0..<n { po[o + j] = op(pa[oa + j * sa], pb[ob + j * sb]) }
        }
      }
    }
  }
  return (shape, out)
}

/// Sums `values` (of shape `shape`) down to `target`, the inverse of broadcasting `target` up to
/// `shape` (used for gradients of broadcast operands and for `sum(alongAxes:)`).
@_specialize(where S == Float)
@_specialize(where S == Double)
func reduceSum<S: NNScalar>(_ values: [S], shape: [Int], to target: [Int]) -> [S] {
  if shape == target { return values }
  var out = [S](repeating: 0, count: target.reduce(1, *))
  let targetStrides = broadcastStrides(target, to: shape)
  values.withUnsafeBufferPointer { pv in
    out.withUnsafeMutableBufferPointer { po in
      forEachRow(shape: shape, stridesA: targetStrides, stridesB: targetStrides) {
        o, ot, _, n, st, _ in
        if st == 0 {
          po[ot] += contiguousSum(pv.baseAddress! + o, count: n)
        } else if st == 1 {
          // Column sums (a bias gradient over rows): a unit-stride loop, which vectorises.
          let (dst, src) = (po.baseAddress! + ot, pv.baseAddress! + o)
          for j in 0..<n { dst[j] += src[j] }
        } else {
          for j in 0..<n { po[ot + j * st] += pv[o + j] }
        }
      }
    }
  }
  return out
}

/// Repeats `values` (of shape `shape`, broadcastable) up to `target`.
@_specialize(where S == Float)
@_specialize(where S == Double)
func broadcastValues<S: NNScalar>(_ values: [S], shape: [Int], to target: [Int]) -> [S] {
  if shape == target { return values }
  var out = [S](repeating: 0, count: target.reduce(1, *))
  let strides = broadcastStrides(shape, to: target)
  values.withUnsafeBufferPointer { pv in
    out.withUnsafeMutableBufferPointer { po in
      forEachRow(shape: target, stridesA: strides, stridesB: strides) { o, ov, _, n, sv, _ in
        if sv == 0 {
          // One value repeated along the row (a per-channel bias over a plane).
          (po.baseAddress! + o).update(repeating: pv[ov], count: n)
        } else {
          for j in 0..<n { po[o + j] = pv[ov + j * sv] }
        }
      }
    }
  }
  return out
}
