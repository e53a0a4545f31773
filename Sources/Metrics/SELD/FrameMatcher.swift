/// The per-frame counting kernels of `LocationSensitiveDetection`, with their scratch space.
///
/// One value lives inside each accumulator; its buffers grow to the largest frame seen and
/// are then reused, so scoring allocates nothing per frame (and nothing per file once warm).
struct FrameMatcher: Sendable {
  /// Number of classes; class ids index the per-class tallies.
  static let classCount = 14

  /// Per-class totals of the current file: TP, FP, FN at `3c`, `3c + 1`, `3c + 2`.
  private(set) var classTallies = [Int](repeating: 0, count: 3 * classCount)
  // Scratch, sized by `reserve`.
  private var predictionHit: [Bool] = []
  private var referenceHit: [Bool] = []
  private var adjacency: [Bool] = []
  private var visited: [Bool] = []
  private var partnerOfPrediction: [Int] = []
  /// Per frame and class: predictions, matched predictions, references, matched references.
  private var frameClassTallies = [Int](repeating: 0, count: 4 * classCount)
  private var touchedClasses = [Int](repeating: 0, count: classCount)

  /// Counts one file; rows must already be grouped over the same `frameCount`.
  mutating func count(
    prediction: FrameGroups, reference: FrameGroups, frameCount: Int, threshold: Double,
    matching: LocationSensitiveDetection.Matching
  ) -> DetectionScore {
    reserve(predictions: prediction.largestFrame, references: reference.largestFrame)
    for i in classTallies.indices { classTallies[i] = 0 }
    var total = DetectionScore()
    prediction.starts.withUnsafeBufferPointer { pStarts in
      reference.starts.withUnsafeBufferPointer { rStarts in
        prediction.entries.withUnsafeBufferPointer { pRows in
          reference.entries.withUnsafeBufferPointer { rRows in
            withScratch { scratch in
              for frame in 0..<frameCount {
                let p = UnsafeBufferPointer(rebasing: pRows[pStarts[frame]..<pStarts[frame + 1]])
                let r = UnsafeBufferPointer(rebasing: rRows[rStarts[frame]..<rStarts[frame + 1]])
                if p.isEmpty && r.isEmpty { continue }
                scratch.countFrame(
                  prediction: p, reference: r, threshold: threshold, matching: matching,
                  total: &total)
              }
            }
          }
        }
      }
    }
    return total
  }

  private mutating func reserve(predictions: Int, references: Int) {
    func grow<T>(_ array: inout [T], to count: Int, _ value: T) {
      if array.count < count {
        array.append(contentsOf: repeatElement(value, count: count - array.count))
      }
    }
    grow(&predictionHit, to: predictions, false)
    grow(&visited, to: predictions, false)
    grow(&partnerOfPrediction, to: predictions, -1)
    grow(&referenceHit, to: references, false)
    grow(&adjacency, to: predictions * references, false)
  }

  private mutating func withScratch(_ body: (inout Scratch) -> Void) {
    classTallies.withUnsafeMutableBufferPointer { classTallies in
      predictionHit.withUnsafeMutableBufferPointer { predictionHit in
        referenceHit.withUnsafeMutableBufferPointer { referenceHit in
          adjacency.withUnsafeMutableBufferPointer { adjacency in
            visited.withUnsafeMutableBufferPointer { visited in
              partnerOfPrediction.withUnsafeMutableBufferPointer { partner in
                frameClassTallies.withUnsafeMutableBufferPointer { frameClass in
                  touchedClasses.withUnsafeMutableBufferPointer { touched in
                    var scratch = Scratch(
                      classTallies: classTallies, predictionHit: predictionHit,
                      referenceHit: referenceHit, adjacency: adjacency, visited: visited,
                      partnerOfPrediction: partner, frameClassTallies: frameClass,
                      touchedClasses: touched)
                    body(&scratch)
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

/// Unsafe views of the scratch buffers, valid during one `FrameMatcher.count` call.
private struct Scratch {
  let classTallies: UnsafeMutableBufferPointer<Int>
  let predictionHit: UnsafeMutableBufferPointer<Bool>
  let referenceHit: UnsafeMutableBufferPointer<Bool>
  let adjacency: UnsafeMutableBufferPointer<Bool>
  let visited: UnsafeMutableBufferPointer<Bool>
  let partnerOfPrediction: UnsafeMutableBufferPointer<Int>
  let frameClassTallies: UnsafeMutableBufferPointer<Int>
  let touchedClasses: UnsafeMutableBufferPointer<Int>

  typealias Rows = UnsafeBufferPointer<FrameGroups.Entry>

  func countFrame(
    prediction p: Rows, reference r: Rows, threshold: Double,
    matching: LocationSensitiveDetection.Matching, total: inout DetectionScore
  ) {
    // L3DAS21 adds a one-sided frame's rows in its "no truth" / "no prediction" branch and
    // then once more as `#rows − matched` with matched = 0 (see `Matching.l3das21`).
    let oneSidedWeight = matching == .l3das21 ? 2 : 1
    if r.isEmpty {
      // Official: "no reference → every prediction is a false positive".
      total.falsePositives += oneSidedWeight * p.count
      for row in p { classTallies[3 * row.classID + 1] += oneSidedWeight }
      return
    }
    if p.isEmpty {
      total.falseNegatives += oneSidedWeight * r.count
      for row in r { classTallies[3 * row.classID + 2] += oneSidedWeight }
      return
    }
    switch matching {
    case .official: countOfficial(p, r, threshold, &total)
    case .oneToOne: countOneToOne(p, r, threshold, &total)
    case .l3das21: countL3DAS21(p, r, threshold, &total)
    }
  }

  /// L3DAS21 rule (`metrics.py` at a6ac3ca): matched = the number of references with at least
  /// one prediction of their class strictly within the threshold, however many references share
  /// that prediction; TP += matched, FP += #pred − matched (negative when more references than
  /// predictions match), FN += #ref − matched. Per class: TP and FN from the class's references,
  /// FP = the class's predictions minus its matched references, so the classes add up to the
  /// total.
  private func countL3DAS21(
    _ p: Rows, _ r: Rows, _ threshold: Double, _ total: inout DetectionScore
  ) {
    var matched = 0
    for reference in r {
      let hit = p.contains { prediction in
        prediction.classID == reference.classID && reference.distance(to: prediction) < threshold
      }
      let base = 3 * reference.classID
      if hit {
        matched += 1
        classTallies[base] += 1
        classTallies[base + 1] -= 1
      } else {
        classTallies[base + 2] += 1
      }
    }
    for prediction in p { classTallies[3 * prediction.classID + 1] += 1 }
    total.truePositives += matched
    total.falsePositives += p.count - matched
    total.falseNegatives += r.count - matched
  }

  /// L3DAS22 final rule: matched = min(#distinct predictions, #distinct references) over all
  /// pairs with equal class and distance strictly below the threshold.
  private func countOfficial(
    _ p: Rows, _ r: Rows, _ threshold: Double, _ total: inout DetectionScore
  ) {
    for i in 0..<p.count { predictionHit[i] = false }
    for j in 0..<r.count { referenceHit[j] = false }
    for j in 0..<r.count {
      let reference = r[j]
      for i in 0..<p.count {
        let prediction = p[i]
        if prediction.classID == reference.classID && reference.distance(to: prediction) < threshold
        {
          predictionHit[i] = true
          referenceHit[j] = true
        }
      }
    }
    // Per class (slots 4c…4c+3): predictions, matched predictions, references, matched.
    var touchedCount = 0
    var matchedPredictions = 0
    var matchedReferences = 0
    for i in 0..<p.count {
      let base = 4 * p[i].classID
      if frameClassTallies[base] == 0 && frameClassTallies[base + 2] == 0 {
        touchedClasses[touchedCount] = p[i].classID
        touchedCount += 1
      }
      frameClassTallies[base] += 1
      if predictionHit[i] {
        frameClassTallies[base + 1] += 1
        matchedPredictions += 1
      }
    }
    for j in 0..<r.count {
      let base = 4 * r[j].classID
      if frameClassTallies[base] == 0 && frameClassTallies[base + 2] == 0 {
        touchedClasses[touchedCount] = r[j].classID
        touchedCount += 1
      }
      frameClassTallies[base + 2] += 1
      if referenceHit[j] {
        frameClassTallies[base + 3] += 1
        matchedReferences += 1
      }
    }
    let matched = min(matchedPredictions, matchedReferences)
    total.truePositives += matched
    total.falsePositives += p.count - matched
    total.falseNegatives += r.count - matched
    for k in 0..<touchedCount {
      let c = touchedClasses[k]
      let base = 4 * c
      let classMatched = min(frameClassTallies[base + 1], frameClassTallies[base + 3])
      classTallies[3 * c] += classMatched
      classTallies[3 * c + 1] += frameClassTallies[base] - classMatched
      classTallies[3 * c + 2] += frameClassTallies[base + 2] - classMatched
      for slot in base..<(base + 4) { frameClassTallies[slot] = 0 }
    }
  }

  /// Maximum-cardinality one-to-one matching of the same graph (augmenting paths, Kuhn).
  private func countOneToOne(
    _ p: Rows, _ r: Rows, _ threshold: Double, _ total: inout DetectionScore
  ) {
    let n = p.count
    for j in 0..<r.count {
      let reference = r[j]
      for i in 0..<n {
        let prediction = p[i]
        adjacency[j * n + i] =
          prediction.classID == reference.classID && reference.distance(to: prediction) < threshold
      }
    }
    for i in 0..<n { partnerOfPrediction[i] = -1 }
    var matched = 0
    for j in 0..<r.count {
      for i in 0..<n { visited[i] = false }
      let found = augment(from: j, predictionCount: n)
      referenceHit[j] = found
      if found { matched += 1 }
    }
    total.truePositives += matched
    total.falsePositives += n - matched
    total.falseNegatives += r.count - matched
    for i in 0..<n {
      classTallies[3 * p[i].classID + (partnerOfPrediction[i] >= 0 ? 0 : 1)] += 1
    }
    for j in 0..<r.count where !referenceHit[j] {
      classTallies[3 * r[j].classID + 2] += 1
    }
  }

  /// Tries to match reference `j`, re-routing earlier matches along an augmenting path.
  private func augment(from j: Int, predictionCount n: Int) -> Bool {
    for i in 0..<n where adjacency[j * n + i] && !visited[i] {
      visited[i] = true
      let partner = partnerOfPrediction[i]
      if partner < 0 || augment(from: partner, predictionCount: n) {
        partnerOfPrediction[i] = j
        return true
      }
    }
    return false
  }
}
