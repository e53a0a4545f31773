import Datasets
import Features
import TensorModule
import Testing

private func event(
  _ start: Double, _ end: Double, _ soundClass: SoundClass = .knock,
  _ position: SIMD3<Double> = [1, -0.5, 0.25]
) -> SoundEvent {
  SoundEvent(startSeconds: start, endSeconds: end, soundClass: soundClass, position: position)
}

@Suite("Task 2 label matrix")
struct Task2LabelMatrixTests {
  let labels = Task2LabelMatrix(configuration: .l3das22)

  @Test("an event from 1.0 s to 2.0 s in a 30 s scene covers frames 9…19 (FACTS §1.5)")
  func documentedCase() throws {
    let matrix = try labels.matrix(for: [event(1.0, 2.0)])
    #expect(matrix.shape == [300, 168])
    let knock = SoundClass.knock.rawValue
    let active = (0..<300).filter { matrix[$0, knock * 3] == 1 }
    #expect(active == Array(9...19))
    #expect(matrix.values.reduce(0, +) == Float(11) * (1 + 0.5 - 0.25 + 0.125))
    #expect(matrix[9, 42 + knock * 9] == 0.5)
    #expect(matrix[19, 42 + knock * 9 + 1] == -0.25)
    #expect(matrix[19, 42 + knock * 9 + 2] == 0.125)
    #expect(matrix[20, 42 + knock * 9] == 0)
  }

  // Hand-computed (and checked with Python's round and np.interp):
  // q = round_half_even(t / 0.1)·0.1 in float64, frame = int(q·299/30).
  @Test(
    "times are quantised half-to-even and mapped by the official interpolation",
    arguments: [
      (0.0, 0), (0.05, 0),  // 0.05/0.1 = 0.5 → 0
      (0.15, 0),  // 1.4999999999999998 → 1 → 0.1 → 0.997 → 0
      (0.25, 1),  // 2.5 → 2 → 0.2 → 1.99 → 1
      (0.35, 2),  // 3.4999999999999996 → 3 → 0.3 → 2.99 → 2
      (1.0, 9), (2.0, 19), (15.0, 149),
      (29.95, 299),  // 299.5 → 300 (half to even) → 30.0 → last frame
      (29.85, 297),  // 298.5 → 298 (half to even) → 29.8 → 297.0
      (12.25, 121), (12.35, 122),  // 122.5 → 122; 123.49999999999999 → 123
      (30.0, 299), (31.5, 299),  // clamped like np.interp
    ])
  func quantisation(seconds: Double, frame: Int) {
    #expect(labels.frameIndex(quantizedSeconds: labels.quantized(seconds)) == frame)
  }

  @Test("the L3DAS21 configuration has 600 frames and maps 1.0 s to frame 9")
  func l3das21() throws {
    let labels = Task2LabelMatrix(configuration: .l3das21)
    #expect(labels.configuration.frameCount == 600)
    #expect(labels.frames(of: event(1.0, 2.0)) == 9...19)
    #expect(labels.frames(of: event(59.9, 60)) == 598...599)
    #expect(try labels.matrix(for: []).shape == [600, 168])
  }

  @Test("overlapping events of one class take slots 0, 1, 2 per frame; a fourth is an error")
  func slots() throws {
    let c = SoundClass.telephone.rawValue
    let matrix = try labels.matrix(for: [
      event(0.0, 1.0, .telephone, [2, 0, 0]),
      event(0.5, 2.0, .telephone, [0, 2, 0]),
      event(0.5, 0.6, .telephone, [0, 0, 2]),
      event(0.5, 0.6, .writing, [-2, 0, 0]),
    ])
    // 0.5 s is frame 4 (0.5·299/30 = 4.98), where three telephones overlap.
    let f = labels.frameIndex(quantizedSeconds: 0.5)
    #expect(f == 4)
    #expect((0..<3).map { matrix[f, c * 3 + $0] } == [1, 1, 1])
    #expect((0..<3).map { matrix[f, 42 + (c * 3 + $0) * 3 + $0] } == [1, 1, 1])
    // After the first event ends (frame 9), the second event falls back to slot 0.
    #expect(matrix[12, c * 3] == 1 && matrix[12, c * 3 + 1] == 0)
    #expect(matrix[12, 42 + c * 9 + 1] == 1)
    // Other classes have their own slots.
    #expect(matrix[f, SoundClass.writing.rawValue * 3] == 1)
    let error = #expect(throws: FeatureError.self) {
      try labels.matrix(
        for: (0..<4).map { _ in event(3.0, 4.0, .telephone) }, path: "labels/label_split0_ov3_1.csv"
      )
    }
    #expect(error?.code == .tooManyOverlaps)
    #expect(error?.description.hasPrefix("labels/label_split0_ov3_1.csv: event 4") == true)
  }

  @Test("model output becomes rows: round-half-even threshold, coordinates ×2, ascending order")
  func detections() throws {
    var sed = [Float](repeating: 0, count: 3 * 42)
    var doa = [Float](repeating: 0, count: 3 * 126)
    sed[0 * 42 + 5 * 3 + 2] = 0.5  // exactly 0.5: inactive (np.round → 0)
    sed[0 * 42 + 7 * 3 + 1] = 0.500001
    sed[0 * 42 + 1 * 3 + 0] = 0.97
    sed[2 * 42 + 13 * 3 + 2] = 1
    sed[1 * 42 + 2 * 3] = 0.49
    for (i, v) in [0.1, -0.2, 0.3].enumerated() { doa[0 * 126 + (7 * 3 + 1) * 3 + i] = Float(v) }
    doa[2 * 126 + (13 * 3 + 2) * 3] = -1
    let rows = try labels.detections(sed: sed, doa: doa)
    #expect(rows.map(\.frame) == [0, 0, 2])
    #expect(rows.map(\.soundClass) == [.computerKeyboard, .knock, .writing])
    #expect(rows.map(\.slot) == [0, 1, 2])
    #expect(
      rows[1].position
        == SIMD3(Double(Float(0.1)) * 2, Double(Float(-0.2)) * 2, Double(Float(0.3)) * 2))
    #expect(rows[2].position == [-2, 0, 0])
    #expect(throws: FeatureError.self) {
      try labels.detections(sed: sed, doa: Array(doa.dropLast()))
    }
  }

  @Test("a label matrix converts back to its events' frames, classes and positions")
  func roundTrip() throws {
    var rng = SplitMix64(seed: 21)
    let events = (0..<12).map { _ -> SoundEvent in
      let start = Double.random(in: 0..<28, using: &rng)
      return event(
        start, start + Double.random(in: 0.1..<2, using: &rng),
        SoundClass.allCases[Int.random(in: 0..<14, using: &rng)],
        SIMD3(
          Double.random(in: -2...2, using: &rng), Double.random(in: -1.5...1.5, using: &rng),
          Double.random(in: -1...1, using: &rng)))
    }
    // Keep at most three of a class per frame.
    var kept: [SoundEvent] = []
    for e in events
    where kept.filter({
      $0.soundClass == e.soundClass && labels.frames(of: $0).overlaps(labels.frames(of: e))
    }).count < 3 {
      kept.append(e)
    }
    let rows = try labels.detections(matrix: try labels.matrix(for: kept))
    #expect(rows.count == kept.reduce(0) { $0 + labels.frames(of: $1).count })
    for e in kept {
      for f in labels.frames(of: e) {
        #expect(
          rows.contains {
            $0.frame == f && $0.soundClass == e.soundClass
              && abs(($0.position - e.position).max()) < 1e-6
              && abs(($0.position - e.position).min()) < 1e-6
          })
      }
    }
  }
}
