import Datasets
import Features
import Foundation
import NumPyIO
import Testing

/// The L3DAS23 label matrices of the public reference set (`Fixtures/l3das23`, from the official
/// `csv_to_matrix_task2(…, max_loc_value=360.)`): same active cells, (ρ, θ°, z) / 360.
@Suite("L3DAS23 label matrix equals the official function's")
struct L3DAS23LabelMatrixTests {
  static let folder = fixtures.appendingPathComponent("l3das23/labels")
  static let names = ["basic", "empty", "overlap3", "quantisation_edges", "random_0", "theta_conventions"]

  /// Our matrix is float32, the reference float64: one float32 rounding of a value ≤ 2.1.
  static let tolerance: Float = 2.5e-7

  @Test("every public label file, from the L3DAS23 header rho,theta,z", arguments: names)
  func officialMatrix(name: String) throws {
    let events = try Task2Labels.read(Self.folder.appendingPathComponent("\(name).csv"))
    #expect(events.allSatisfy { $0.cylindrical != nil }, "rho,theta,z are kept as written")
    let matrix = try Task2LabelMatrix(configuration: .l3das23).matrix(for: events)
    let reference = try NumPyFile.readFloats(Self.folder.appendingPathComponent("\(name).npy"))
    #expect(reference.header.shape == [300, 168] && matrix.shape == [300, 168])
    var worst: Float = 0
    var activeMismatch = 0
    for index in 0..<(300 * 168) {
      let (ours, theirs) = (matrix.values[index], reference.values[index])
      if index % 168 < 42, ours != theirs { activeMismatch += 1 }
      worst = max(worst, abs(ours - theirs))
    }
    #expect(activeMismatch == 0)
    #expect(worst <= Self.tolerance, "max |Δ| \(worst)")
    let official = Task2LabelMatrix.Configuration.official(.l3das23)
    #expect(official == .l3das23 && official.frameCount == 300 && official.maximumLocation == 360)
  }

  @Test("the L3DAS23 coordinates convert as the official metric: x = −ρ sin θ, y = ρ cos θ, θ wraps")
  func conversion() {
    let c = CoordinateSystem.cylindrical
    let p = c.cartesian(2, 90, 0.5)
    #expect(abs(p.x + 2) < 1e-12 && abs(p.y) < 1e-12 && p.z == 0.5)
    let a = c.cartesian(1.5, 359, 0)
    let b = c.cartesian(1.5, -1, 0)
    #expect(((a - b) * (a - b)).sum() < 1e-24)
    let back = c.written(c.cartesian(3, 120, -1))
    #expect(abs(back.x - 3) < 1e-12 && abs(back.y - 120) < 1e-9 && back.z == -1)
  }
}
