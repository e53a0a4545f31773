public import Datasets

/// The Task 2 training target: one row of 168 values per 100 ms frame, exactly as the
/// official `csv_to_matrix_task2` (L3DAS21/22 `utility_functions.py`) builds it.
///
/// Per event, in file order:
/// 1. `Start` and `End` are quantised to the frame step: `round(t / 0.1) · 0.1`, with Python's
///    round-half-to-even on the quotient.
/// 2. Each is mapped to a frame with `int(np.interp(t, [0, duration], [0, frames − 1]))`:
///    `t·(frames − 1)/duration` truncated, clamped to the first and last frame (so a 30 s,
///    300-frame scene maps 1.0 s to frame 9, not 10).
/// 3. The event is active on frames start…end **inclusive**, and in each takes the first free
///    of its class's three overlap slots.
/// 4. Coordinates are divided by `maximumLocation` (2 m; L3DAS23 divides its label file's own
///    ρ, θ° and z by 360, as its official function does).
///
/// Row layout (`classCount = 14`, `slotCount = 3`): SED activity at `class·3 + slot` (42
/// values), then DOA at `42 + (class·3 + slot)·3 + axis` with axis x, y, z innermost (126
/// values). The model's `sed` and `doa` outputs use the same layout.
///
/// ```swift
/// let labels = Task2LabelMatrix(configuration: .l3das22)
/// let target = try labels.matrix(for: try Task2Labels.read(url))   // [300, 168]
/// let rows = labels.detections(sed: sed, doa: doa)                   // back to frame rows
/// ```
public struct Task2LabelMatrix: Sendable {
  /// Durations and scales of the matrix.
  public struct Configuration: Sendable, Codable, Equatable {
    /// The scene length the matrix covers, in seconds (`dur`).
    public var durationSeconds: Double
    /// The label frame step, in seconds (`step`).
    public var frameSeconds: Double
    /// Overlap slots per class (`max_overlap`).
    public var slotCount: Int
    /// Coordinates are divided by this many metres (`max_loc_value`).
    public var maximumLocation: Double
    /// The coordinates of the DOA values: `nil` or `.cartesian` (x, y, z), or `.cylindrical`
    /// (L3DAS23's ρ, θ°, z as the label file writes them).
    public var coordinates: CoordinateSystem?

    /// Creates a configuration.
    public init(
      durationSeconds: Double, frameSeconds: Double = 0.1, slotCount: Int = 3,
      maximumLocation: Double = 2, coordinates: CoordinateSystem? = nil
    ) {
      precondition(
        durationSeconds > 0 && frameSeconds > 0 && slotCount >= 1 && maximumLocation > 0,
        "label matrix sizes must be positive")
      self.durationSeconds = durationSeconds
      self.frameSeconds = frameSeconds
      self.slotCount = slotCount
      self.maximumLocation = maximumLocation
      self.coordinates = coordinates == .cartesian ? nil : coordinates
    }

    /// L3DAS21: 60 s scenes, 600 frames.
    public static let l3das21 = Configuration(durationSeconds: 60)
    /// L3DAS22: 30 s scenes, 300 frames.
    public static let l3das22 = Configuration(durationSeconds: 30)
    /// L3DAS23: 30 s scenes, 300 frames, (ρ, θ°, z) / 360.
    public static let l3das23 = Configuration(durationSeconds: 30, maximumLocation: 360, coordinates: .cylindrical)

    /// The official configuration of `edition` for scenes of `durationSeconds` (default: the
    /// edition's).
    public static func official(_ edition: Edition, durationSeconds: Double? = nil) -> Configuration {
      Configuration(
        durationSeconds: durationSeconds ?? edition.task2SceneSeconds, maximumLocation: edition.task2LabelScale,
        coordinates: edition.coordinates)
    }

    /// Frames in the matrix: `int(duration / step)`.
    public var frameCount: Int { Int(durationSeconds / frameSeconds) }
    /// SED values per frame: `14 · slotCount`.
    public var activityCount: Int { SoundClass.allCases.count * slotCount }
    /// Values per frame: `14 · slotCount · 4` (168 for three slots).
    public var valuesPerFrame: Int { activityCount * 4 }
  }

  /// One active slot of a model output (or a label matrix) turned back into a submission row.
  public struct Detection: Sendable, Equatable, Codable {
    /// The 0-based label frame.
    public var frame: Int
    /// The detected class (`index / slotCount`).
    public var soundClass: SoundClass
    /// The overlap slot (`index % slotCount`).
    public var slot: Int
    /// The position as the edition writes it (the DOA output times `maximumLocation`): x, y, z
    /// in metres, or L3DAS23's ρ, θ°, z.
    public var position: SIMD3<Double>
  }

  /// The configuration.
  public let configuration: Configuration

  /// Creates a converter.
  public init(configuration: Configuration) {
    self.configuration = configuration
  }

  /// The quantised time of `seconds`: `round(t / step) · step` with round-half-to-even.
  public func quantized(_ seconds: Double) -> Double {
    (seconds / configuration.frameSeconds).rounded(.toNearestOrEven) * configuration.frameSeconds
  }

  /// The frame of an (already quantised) time, as `int(np.interp(t, (0, dur), (0, frames − 1)))`.
  public func frameIndex(quantizedSeconds t: Double) -> Int {
    let last = configuration.frameCount - 1
    if t.isNaN { return 0 }
    if t <= 0 { return 0 }
    if t >= configuration.durationSeconds { return last }
    let slope = Double(last) / configuration.durationSeconds
    return Int(slope * t)
  }

  /// The frames `event` is active on: the quantised start frame through the quantised end
  /// frame, inclusive.
  public func frames(of event: SoundEvent) -> ClosedRange<Int> {
    let start = frameIndex(quantizedSeconds: quantized(event.startSeconds))
    let end = frameIndex(quantizedSeconds: quantized(event.endSeconds))
    return start...max(start, end)
  }

  /// The label matrix of `events`, `[frameCount, valuesPerFrame]`.
  ///
  /// - Parameters:
  ///   - events: the scene's events in file order (the order decides slots).
  ///   - path: the label file, named in errors.
  /// - Throws: `FeatureError.tooManyOverlaps` when more than `slotCount` events of one class
  ///   share a frame.
  public func matrix(for events: [SoundEvent], path: String? = nil) throws -> FeatureTensor {
    let frameCount = configuration.frameCount
    let slots = configuration.slotCount
    let width = configuration.valuesPerFrame
    let doaStart = configuration.activityCount
    var values = [Float](repeating: 0, count: frameCount * width)
    for (number, event) in events.enumerated() {
      let c = event.soundClass.rawValue
      let written = configuration.coordinates == .cylindrical
        ? event.cylindrical ?? CoordinateSystem.cylindrical.written(event.position) : event.position
      let scaled = written / configuration.maximumLocation
      for f in frames(of: event) {
        let row = f * width
        guard let slot = (0..<slots).first(where: { values[row + c * slots + $0] == 0 }) else {
          throw FeatureError(
            .tooManyOverlaps,
            "event \(number + 1) (\(event.soundClass.officialName), \(event.startSeconds)–\(event.endSeconds) s) is a fourth overlapping \(event.soundClass.officialName) in frame \(f); at most \(slots) events of one class may overlap",
            path: path)
        }
        let index = c * slots + slot
        values[row + index] = 1
        values[row + doaStart + 3 * index] = Float(scaled.x)
        values[row + doaStart + 3 * index + 1] = Float(scaled.y)
        values[row + doaStart + 3 * index + 2] = Float(scaled.z)
      }
    }
    return FeatureTensor(shape: [frameCount, width], values: values)
  }

  /// The submission rows of a model output, as the official `gen_submission_list_task2`.
  ///
  /// A slot is active when `np.round(p) != 0` (round-half-to-even: `p > 0.5`, exactly 0.5 is
  /// inactive; for values outside [0, 1], `|p| > 0.5`). Rows come frame by frame in increasing
  /// order and, within a frame, in increasing `class·slotCount + slot` order, with that slot's
  /// DOA times `maximumLocation`.
  ///
  /// - Parameters:
  ///   - sed: `[frames, activityCount]` row-major (42 per frame).
  ///   - doa: `[frames, 3·activityCount]` row-major (126 per frame).
  ///   - threshold: `nil` for the official rule above; otherwise a slot is active when
  ///     `p > threshold` (a tuned operating point, not the leaderboard's conversion).
  /// - Throws: `FeatureError.shapeMismatch` when the two do not describe the same frames.
  public func detections(sed: [Float], doa: [Float], threshold: Float? = nil) throws -> [Detection] {
    let k = configuration.activityCount
    guard sed.count % k == 0, doa.count == 3 * sed.count else {
      throw FeatureError(
        .shapeMismatch,
        "sed holds \(sed.count) values and doa \(doa.count); expected frames × \(k) and frames × \(3 * k)"
      )
    }
    var rows: [Detection] = []
    for frame in 0..<(sed.count / k) {
      for j in 0..<k {
        let p = sed[frame * k + j]
        let active = threshold.map { p > $0 } ?? (p.rounded(.toNearestOrEven) != 0)
        guard active else { continue }
        let d = frame * 3 * k + 3 * j
        let scale = configuration.maximumLocation
        rows.append(
          Detection(
            frame: frame, soundClass: SoundClass.allCases[j / configuration.slotCount],
            slot: j % configuration.slotCount,
            position: SIMD3(
              Double(doa[d]) * scale, Double(doa[d + 1]) * scale, Double(doa[d + 2]) * scale)))
      }
    }
    return rows
  }

  /// The rows of a label matrix (`[frames, valuesPerFrame]`), to check a round trip.
  /// - Throws: `FeatureError.shapeMismatch` for a tensor of another width.
  public func detections(matrix: FeatureTensor) throws -> [Detection] {
    let width = configuration.valuesPerFrame
    guard matrix.shape.count == 2, matrix.shape[1] == width else {
      throw FeatureError(
        .shapeMismatch, "a label matrix is [frames, \(width)], found \(matrix.shape)")
    }
    var sed: [Float] = []
    var doa: [Float] = []
    for f in 0..<matrix.shape[0] {
      let row = matrix.values[(f * width)..<((f + 1) * width)]
      sed += row.prefix(configuration.activityCount)
      doa += row.dropFirst(configuration.activityCount)
    }
    return try detections(sed: sed, doa: doa)
  }
}
