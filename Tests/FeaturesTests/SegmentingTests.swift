import Features
import Testing

private func ramp(_ shape: [Int]) -> FeatureTensor {
  FeatureTensor(shape: shape, values: (0..<shape.reduce(1, *)).map { Float($0 + 1) })
}

@Suite("Segmenting")
struct SegmentingTests {
  @Test(
    "Task 1 pieces are consecutive and the last is zero-padded",
    arguments: [(25, 10, 3), (30, 10, 3), (5, 10, 1), (0, 10, 0)])
  func chunks(samples: Int, length: Int, count: Int) {
    let audio = ramp([2, samples])
    let pieces = Segmenting.chunks(of: audio, length: length)
    #expect(pieces.count == count)
    for (i, piece) in pieces.enumerated() {
      #expect(piece.shape == [2, length])
      for c in 0..<2 {
        for n in 0..<length {
          let source = i * length + n
          #expect(piece[c, n] == (source < samples ? audio[c, source] : 0))
        }
      }
    }
  }

  @Test("fixed length truncates or zero-pads every channel")
  func fixedLength() {
    let audio = ramp([2, 5])
    #expect(Segmenting.fixedLength(audio, length: 3).values == [1, 2, 3, 6, 7, 8])
    #expect(
      Segmenting.fixedLength(audio, length: 7).values == [
        1, 2, 3, 4, 5, 0, 0, 6, 7, 8, 9, 10, 0, 0,
      ])
  }

  @Test("Task 2 pieces overlap by half, stay aligned and zero-pad the tail")
  func task2() throws {
    let spectrogram = ramp([2, 3, 16])  // 16 STFT frames = 4 label frames of 4
    let labels = ramp([4, 5])
    let pairs = try Segmenting.task2Segments(
      spectrogram: spectrogram, labels: labels, spectrogramFrames: 8, labelFrames: 2)
    #expect(pairs.count == 4)  // starts 0, 4, 8, 12 and 0, 1, 2, 3
    for (i, pair) in pairs.enumerated() {
      #expect(pair.spectrogram.shape == [2, 3, 8])
      #expect(pair.labels.shape == [2, 5])
      for t in 0..<8 {
        let source = 4 * i + t
        #expect(pair.spectrogram[1, 2, t] == (source < 16 ? spectrogram[1, 2, source] : 0))
      }
      for f in 0..<2 {
        for v in 0..<5 {
          #expect(pair.labels[f, v] == (i + f < 4 ? labels[i + f, v] : 0))
        }
      }
    }
    let error = #expect(throws: FeatureError.self) {
      try Segmenting.task2Segments(
        spectrogram: spectrogram, labels: ramp([6, 5]), spectrogramFrames: 8, labelFrames: 2)
    }
    #expect(error?.code == .shapeMismatch)
  }

  @Test("the baseline's 30 s file gives 12 pairs of 400 STFT and 50 label frames")
  func baselineSizes() throws {
    let pairs = try Segmenting.task2Segments(
      spectrogram: FeatureTensor(zeros: [1, 2, 2400]), labels: FeatureTensor(zeros: [300, 168]))
    #expect(pairs.count == 12)
    #expect(
      pairs.allSatisfy { $0.spectrogram.shape == [1, 2, 400] && $0.labels.shape == [50, 168] })
  }

  @Test("the official reshape layout reproduces segment_task2's reshape of [frames, values]")
  func officialReshape() throws {
    let (frames, width, n) = (4, 5, 2)
    let labels = ramp([frames, width])
    let pairs = try Segmenting.task2Segments(
      spectrogram: ramp([1, 1, 16]), labels: labels, spectrogramFrames: 8, labelFrames: n,
      layout: .officialReshape)
    // numpy: view = labels.reshape(width, frames); piece = pad(view[:, s:s+n], n).reshape(n, width).
    for (s, pair) in pairs.enumerated() {
      for r in 0..<n {
        for c in 0..<width {
          let flat = r * width + c
          let (a, b) = (flat / n, flat % n)
          let expected: Float = s + b < frames ? labels.values[a * frames + s + b] : 0
          #expect(pair.labels[r, c] == expected)
        }
      }
    }
    #expect(pairs[0].labels.values != Array(labels.values.prefix(n * width)))
  }
}
