/// Cutting long inputs into training pieces, as the official preprocessing does.
///
/// - Task 1 (`segment_waveforms`, L3DAS21 `--segmentation_len`): consecutive,
///   non-overlapping pieces of `length` samples; the last piece is zero-padded.
/// - Task 1 (L3DAS22 default): every file truncated or zero-padded to one fixed length
///   (`fixedLength(_:length:)`, 76 672 samples = 4.792 s in the baseline).
/// - Task 2 (`segment_task2`): spectrogram and label matrix cut into aligned, overlapping
///   pieces (by default 400 STFT frames with 50 label frames, hop half a piece); pieces that
///   run past the end are zero-padded.
///
/// ```swift
/// let pieces = Segmenting.chunks(of: mixture, length: 32_000)       // [C, 32000] each
/// let pairs = try Segmenting.task2Segments(spectrogram: x, labels: y)  // 12 pairs for 30 s
/// ```
public enum Segmenting {
  /// The consecutive pieces of `tensor` along its last axis, each `length` long, with the
  /// last piece zero-padded (`segment_waveforms`).
  ///
  /// A tensor of `L` samples gives `⌈L / length⌉` pieces (none when `L == 0`).
  /// - Parameters:
  ///   - tensor: `[…, L]`, e.g. `[channels, samples]`.
  ///   - length: piece length in samples (≥ 1).
  /// - Returns: tensors of shape `[…, length]`.
  public static func chunks(of tensor: FeatureTensor, length: Int) -> [FeatureTensor] {
    precondition(length >= 1, "a piece needs at least one sample")
    precondition(!tensor.shape.isEmpty, "cannot cut a scalar")
    let total = tensor.shape[tensor.shape.count - 1]
    return stride(from: 0, to: total, by: length).map { start in
      piece(of: tensor, start: start, length: length)
    }
  }

  /// `tensor` cut or zero-padded along its last axis to exactly `length`.
  public static func fixedLength(_ tensor: FeatureTensor, length: Int) -> FeatureTensor {
    precondition(length >= 0, "length must be non-negative")
    precondition(!tensor.shape.isEmpty, "cannot cut a scalar")
    return piece(of: tensor, start: 0, length: length)
  }

  /// How `task2Segments` lays out the label piece.
  public enum LabelLayout: String, Sendable, Codable, CaseIterable {
    /// Label frames `start…start+n−1` of the `[frames, values]` matrix, as `segment_task2`
    /// evidently intends.
    case aligned
    /// Exactly what `segment_task2` computes: it `reshape`s (rather than transposes)
    /// `[frames, values]` to `[values, frames]` before cutting and reshapes the piece back,
    /// which mixes frames and values. Only for bit-for-bit comparisons with the reference.
    case officialReshape
  }

  /// Aligned, overlapping spectrogram/label pieces (`segment_task2`).
  ///
  /// Pieces start every `⌊spectrogramFrames·hopFraction⌋` STFT frames and every
  /// `⌊labelFrames·hopFraction⌋` label frames; both sequences of starts must have the same
  /// length. A piece that would run past the end is zero-padded (both parts), so a 30 s file
  /// (2400 STFT frames, 300 label frames) with the defaults gives 12 pairs, the last half
  /// padding.
  ///
  /// - Parameters:
  ///   - spectrogram: `[channels, bins, frames]`.
  ///   - labels: `[labelFrames, values]`, e.g. `Task2LabelMatrix.matrix(for:)`.
  ///   - spectrogramFrames: STFT frames per piece (400 = 5 s).
  ///   - labelFrames: label frames per piece (50 = 5 s).
  ///   - hopFraction: hop as a fraction of the piece (`overlap` = 0.5 in the reference).
  ///   - layout: `.aligned` (default) or the reference's `.officialReshape`.
  /// - Returns: pairs of `[channels, bins, spectrogramFrames]` and `[labelFrames, values]`.
  /// - Throws: `FeatureError.shapeMismatch` when the two give different numbers of pieces
  ///   (the reference's ValueError).
  public static func task2Segments(
    spectrogram: FeatureTensor, labels: FeatureTensor, spectrogramFrames: Int = 400,
    labelFrames: Int = 50, hopFraction: Double = 0.5, layout: LabelLayout = .aligned
  ) throws -> [(spectrogram: FeatureTensor, labels: FeatureTensor)] {
    precondition(spectrogram.shape.count == 3, "the spectrogram must be [channels, bins, frames]")
    precondition(labels.shape.count == 2, "the labels must be [frames, values]")
    let spectrogramHop = Int(Double(spectrogramFrames) * hopFraction)
    let labelHop = Int(Double(labelFrames) * hopFraction)
    precondition(spectrogramHop >= 1 && labelHop >= 1, "the hop must be at least one frame")
    let frames = spectrogram.shape[2]
    let (labelCount, width) = (labels.shape[0], labels.shape[1])
    let spectrogramStarts = Array(stride(from: 0, to: frames, by: spectrogramHop))
    let labelStarts = Array(stride(from: 0, to: labelCount, by: labelHop))
    guard spectrogramStarts.count == labelStarts.count else {
      throw FeatureError(
        .shapeMismatch,
        "\(frames) spectrogram frames give \(spectrogramStarts.count) pieces but \(labelCount) label frames give \(labelStarts.count); the lengths must correspond"
      )
    }
    // The reference views the labels as [values, frames] (a reshape, not a transpose).
    let columns: FeatureTensor =
      switch layout {
      case .aligned: transposed(labels)
      case .officialReshape: FeatureTensor(shape: [width, labelCount], values: labels.values)
      }
    return zip(spectrogramStarts, labelStarts).map { s, l in
      let x = piece(of: spectrogram, start: s, length: spectrogramFrames)
      let cut = piece(of: columns, start: l, length: labelFrames)  // [values, labelFrames]
      let y =
        switch layout {
        case .aligned: transposed(cut)
        case .officialReshape: FeatureTensor(shape: [labelFrames, width], values: cut.values)
        }
      return (x, y)
    }
  }

  /// Entries `start..<start+length` of `tensor`'s last axis, zero where they run past the end.
  /// - Returns: shape `[…, length]`.
  public static func piece(of tensor: FeatureTensor, start: Int, length: Int) -> FeatureTensor {
    precondition(start >= 0 && length >= 0, "start and length must be non-negative")
    precondition(!tensor.shape.isEmpty, "cannot cut a scalar")
    let total = tensor.shape[tensor.shape.count - 1]
    let rows = total == 0 ? tensor.shape.dropLast().reduce(1, *) : tensor.values.count / total
    var values = [Float](repeating: 0, count: rows * length)
    let available = max(0, min(length, total - start))
    if available > 0 {
      for r in 0..<rows {
        values.replaceSubrange(
          (r * length)..<(r * length + available),
          with: tensor.values[(r * total + start)..<(r * total + start + available)])
      }
    }
    return FeatureTensor(shape: tensor.shape.dropLast() + [length], values: values)
  }

  static func transposed(_ matrix: FeatureTensor) -> FeatureTensor {
    let (rows, columns) = (matrix.shape[0], matrix.shape[1])
    var values = [Float](repeating: 0, count: matrix.values.count)
    for r in 0..<rows {
      for c in 0..<columns { values[c * rows + r] = matrix.values[r * columns + c] }
    }
    return FeatureTensor(shape: [columns, rows], values: values)
  }
}
