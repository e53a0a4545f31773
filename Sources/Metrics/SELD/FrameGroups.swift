/// The rows of one file grouped by frame, in compressed-sparse-row form.
///
/// The rows of frame `f` are `entries[starts[f]..<starts[f + 1]]`, in file order. Built once
/// per file with a counting pass (a straight copy when the file is already sorted by frame, as
/// submissions are), so the per-frame loops index arrays and never touch a dictionary. The
/// buffers keep their capacity between files.
struct FrameGroups: Sendable {
  /// One row, packed for the inner loops.
  struct Entry: Sendable {
    var x: Double
    var y: Double
    var z: Double
    var classID: Int
  }

  /// `frameCount + 1` offsets into `entries`.
  private(set) var starts: [Int] = []
  /// The rows, grouped by frame.
  private(set) var entries: [Entry] = []
  /// The largest number of rows in one frame.
  private(set) var largestFrame = 0
  /// Scratch for the unsorted case.
  private var cursors: [Int] = []

  /// The largest frame index holding a row; nil when there is none.
  var lastOccupiedFrame: Int? {
    var frame = starts.count - 2
    while frame >= 0 && starts[frame + 1] == starts[frame] { frame -= 1 }
    return frame >= 0 ? frame : nil
  }

  /// Regroups `rows` for a file of `frameCount` frames.
  ///
  /// - Precondition: every row's frame is in `0..<frameCount`.
  mutating func fill(_ rows: [DetectionRow], frameCount: Int, role: String) {
    rows.withUnsafeBufferPointer { fill($0, frameCount: frameCount, role: role) }
  }

  /// Regroups `rows` for a file of `frameCount` frames.
  ///
  /// - Precondition: every row's frame is in `0..<frameCount`.
  mutating func fill(_ rows: UnsafeBufferPointer<DetectionRow>, frameCount: Int, role: String) {
    starts.removeAll(keepingCapacity: true)
    starts.append(contentsOf: repeatElement(0, count: frameCount + 1))
    var sorted = true
    var previous = 0
    for row in rows {
      let frame = row.frame
      precondition(
        frame >= 0 && frame < frameCount,
        "\(role) row with frame \(frame) outside 0..<\(frameCount); read files with "
          + "Task2Rows.read(_:frameCount:) to get a thrown error instead")
      starts[frame + 1] += 1
      if frame < previous { sorted = false }
      previous = frame
    }
    largestFrame = 0
    for frame in 0..<frameCount {
      largestFrame = max(largestFrame, starts[frame + 1])
      starts[frame + 1] += starts[frame]
    }
    entries.removeAll(keepingCapacity: true)
    if sorted {
      entries.reserveCapacity(rows.count)
      for row in rows { entries.append(Entry(row)) }
      return
    }
    entries.append(
      contentsOf: repeatElement(Entry(x: 0, y: 0, z: 0, classID: 0), count: rows.count))
    cursors.removeAll(keepingCapacity: true)
    cursors.append(contentsOf: starts.dropLast())
    for row in rows {
      entries[cursors[row.frame]] = Entry(row)
      cursors[row.frame] += 1
    }
  }
}

extension FrameGroups.Entry {
  init(_ row: DetectionRow) {
    self.init(
      x: row.position.x, y: row.position.y, z: row.position.z, classID: row.soundClass.rawValue)
  }

  /// The official distance test: `np.linalg.norm(truth − prediction) < threshold`.
  ///
  /// The squares are summed left to right, as NumPy does for the object arrays the official
  /// function sees when classes are names; no fused multiply-add.
  @inline(__always)
  func distance(to other: Self) -> Double {
    let dx = x - other.x
    let dy = y - other.y
    let dz = z - other.z
    return (dx * dx + dy * dy + dz * dz).squareRoot()
  }
}
