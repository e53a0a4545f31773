import Foundation
import NN
import Testing

/// `Float.exp` and `Float.tanh` are our own branch-free approximations (so activation loops
/// vectorise); they must stay within a few ulp of the correctly rounded values everywhere the
/// networks use them.
@Suite("Float exp and tanh accuracy")
struct ActivationAccuracyTests {
  /// Relative error in units of Float's ε at 1 (2⁻²³ ≈ 1.19e-7).
  static func ulps(_ value: Float, _ exact: Double) -> Double {
    abs(Double(value) - exact) / (abs(exact) * Double(Float.ulpOfOne))
  }

  @Test("exp is within 1.5 ulp of e^x on [-87, 88], and clamps outside instead of trapping")
  func exp() {
    var worst = 0.0
    var x: Float = -87
    while x <= 88 {
      worst = max(worst, Self.ulps(Float.exp(x), Foundation.exp(Double(x))))
      x = x.nextUp.nextUp.nextUp + 1e-4  // about 1.75 M points, denser near 0
    }
    #expect(worst <= 1.5, "worst error \(worst) ulp")  // 1.08 measured
    #expect(Float.exp(0) == 1)
    #expect(Float.exp(-1000) < 1e-37 && Float.exp(-1000) >= 0)
    #expect(Float.exp(1000).isFinite && Float.exp(1000) > 1e38)
    #expect(Float.exp(.nan).isNaN)
    #expect(Float.exp(-.infinity) < 1e-37)
  }

  @Test("tanh is within 1.5 ulp of tanh x on [-20, 20], tiny arguments included, and odd")
  func tanh() {
    var worst = 0.0
    var asymmetric = 0
    var x: Float = -20
    while x <= 20 {
      if x != 0 {
        worst = max(worst, Self.ulps(Float.tanh(x), Foundation.tanh(Double(x))))
        if Float.tanh(-x) != -Float.tanh(x) { asymmetric += 1 }
      }
      x = x.nextUp.nextUp + 5e-5
    }
    #expect(asymmetric == 0)
    for tiny: Float in [1e-30, 1e-10, 3e-6, 1e-3, 0.6249, 0.625, 0.6251] {
      worst = max(worst, Self.ulps(Float.tanh(tiny), Foundation.tanh(Double(tiny))))
    }
    #expect(worst <= 1.5, "worst error \(worst) ulp")  // 0.68 measured
    #expect(Float.tanh(0) == 0)
    #expect(Float.tanh(100) == 1 && Float.tanh(-100) == -1)
    #expect(Float.tanh(.nan).isNaN)
  }

  @Test("sigmoid and tanh tensors agree with the double-precision functions")
  func tensors() {
    let values: [Float] = (0..<2001).map { Float($0 - 1000) / 50 }
    let x = Tensor<Float>(shape: [values.count], scalars: values)
    let s = x.sigmoid().scalars
    let t = x.tanh().scalars
    for (i, v) in values.enumerated() {
      let sigmoid = 1 / (1 + Foundation.exp(-Double(v)))
      #expect(abs(Double(s[i]) - sigmoid) <= 3e-7 * sigmoid, "sigmoid(\(v))")
      #expect(abs(Double(t[i]) - Foundation.tanh(Double(v))) <= 3e-7 * max(abs(Double(v)), 1e-3), "tanh(\(v))")
    }
  }

  /// Float tensors' sigmoid and tanh run C kernels built per vector width (AVX-512, AVX2 + FMA,
  /// baseline); whichever one this CPU selects must be as accurate as the scalar functions.
  @Test("vectorised sigmoid and tanh of Float tensors stay within 1.5 ulp on dense grids")
  func vectorKernels() {
    var grid: [Float] = []
    var x: Float = -20
    while x <= 20 {
      if x != 0 { grid.append(x) }
      x = x.nextUp.nextUp + 5e-5
    }
    grid += [1e-30, 1e-10, 3e-6, 1e-3, 0.6249, 0.625, 0.6251, -1e-30, -3e-6]
    let tensor = Tensor<Float>(shape: [grid.count], scalars: grid)
    let t = tensor.tanh().scalars
    let s = tensor.sigmoid().scalars
    var (worstTanh, worstSigmoid) = (0.0, 0.0)
    for (i, v) in grid.enumerated() {
      worstTanh = max(worstTanh, Self.ulps(t[i], Foundation.tanh(Double(v))))
      worstSigmoid = max(worstSigmoid, Self.ulps(s[i], 1 / (1 + Foundation.exp(-Double(v)))))
      if t[i] != Float.tanh(v) && abs(Double(t[i]) - Double(Float.tanh(v))) > 2e-7 * Double(abs(t[i])) {
        Issue.record("tanh(\(v)): kernel \(t[i]), scalar \(Float.tanh(v))")
        break
      }
    }
    #expect(worstTanh <= 1.5, "tanh worst error \(worstTanh) ulp")  // 1.08 measured (AVX-512)
    #expect(worstSigmoid <= 1.5, "sigmoid worst error \(worstSigmoid) ulp")  // 1.24 measured
    let special = Tensor<Float>(shape: [4], scalars: [.nan, 100, -100, 0])
    let ts = special.tanh().scalars
    #expect(ts[0].isNaN && ts[1] == 1 && ts[2] == -1 && ts[3] == 0)
    let ss = special.sigmoid().scalars
    #expect(ss[0].isNaN && ss[1] == 1 && ss[2] >= 0 && ss[2] < 1e-37 && ss[3] == 0.5)
  }
}
