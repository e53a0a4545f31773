/// First-order Ambisonics (FOA) encoding and direction estimation in the AmbiX convention:
///
/// ACN channel order **W, Y, Z, X** with SN3D normalisation (W has gain 1; Y, Z, X are the unit
/// direction's components). Coordinates: X front, Y left, Z up, metres.
///
/// L3DAS23 states AmbiX; for L3DAS21/22 the convention is not published and we assume the
/// same (see `docs/conventions.md`).
public enum Ambisonics {
  /// The four FOA gains (W, Y, Z, X) of a plane wave arriving from `direction` (any length
  /// but zero): `(1, y/r, z/r, x/r)`.
  public static func encodingGains(direction: SIMD3<Double>) -> SIMD4<Float> {
    let r = (direction * direction).sum().squareRoot()
    precondition(r > 0, "a source at the microphone position has no direction")
    let u = direction / r
    return SIMD4(1, Float(u.y), Float(u.z), Float(u.x))
  }

  /// The broadband active intensity vector of an FOA signal over a frame range:
  ///
  /// `I = Σₙ W[n]·(X[n], Y[n], Z[n])`, which points towards a dominant source (for SN3D encoding of
  /// a plane wave, `I ∝ u·Σ s²`). This is the time-domain form of the intensity-vector DOA
  /// estimator used as SELD input features.
  ///
  /// - Parameters:
  ///   - w, y, z, x: the four channels in ACN order, equal lengths.
  ///   - range: the frames to integrate over.
  /// - Returns: the (unnormalised) intensity vector in X, Y, Z coordinates.
  public static func intensityVector(
    w: ArraySlice<Float>, y: ArraySlice<Float>, z: ArraySlice<Float>, x: ArraySlice<Float>,
    range: Range<Int>
  ) -> SIMD3<Double> {
    precondition(
      w.count == x.count && w.count == y.count && w.count == z.count, "channel lengths differ")
    precondition(range.lowerBound >= 0 && range.upperBound <= w.count, "range out of bounds")
    var ix = 0.0, iy = 0.0, iz = 0.0
    let w0 = w.startIndex, x0 = x.startIndex, y0 = y.startIndex, z0 = z.startIndex
    for n in range {
      let p = Double(w[w0 + n])
      ix += p * Double(x[x0 + n])
      iy += p * Double(y[y0 + n])
      iz += p * Double(z[z0 + n])
    }
    return SIMD3(ix, iy, iz)
  }

  /// The angle between two directions, in degrees (0…180).
  public static func angleDegrees(between a: SIMD3<Double>, and b: SIMD3<Double>) -> Double {
    let na = (a * a).sum().squareRoot()
    let nb = (b * b).sum().squareRoot()
    guard na > 0, nb > 0 else { return 180 }
    let c = max(-1, min(1, (a * b).sum() / (na * nb)))
    return acos(c) * 180 / Double.pi
  }

  /// Azimuth in degrees, counter-clockwise from +X (front) towards +Y (left), in (-180, 180].
  public static func azimuthDegrees(of direction: SIMD3<Double>) -> Double {
    atan2(direction.y, direction.x) * 180 / Double.pi
  }

  /// Elevation in degrees above the horizontal plane, in [-90, 90].
  public static func elevationDegrees(of direction: SIMD3<Double>) -> Double {
    atan2(direction.z, (direction.x * direction.x + direction.y * direction.y).squareRoot()) * 180
      / Double.pi
  }
}

#if canImport(Glibc)
  import Glibc
#endif
