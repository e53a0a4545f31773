import NumPyIO

/// The checks of one Task 1 item file: a `.npy` mono float array as long as the item's
/// `_A.wav`, every value finite.
///
/// The file is streamed through `NumPyScanner`: the header is judged as soon as it has
/// arrived (a wrong shape or dtype stops the read), then every value is looked at once.
struct Task1Check {
  /// The number of samples the array must hold.
  let expectedLength: Int
  /// The sample rate the length refers to (for messages).
  let sampleRate = 16_000

  func run(_ entry: SubmissionEntry, reader: SubmissionContents.Reader) -> [SubmissionProblem] {
    let file = entry.path
    var scanner = NumPyScanner(path: nil)
    var shapeProblems: [SubmissionProblem] = []
    var headerChecked = false
    do {
      try reader.read(entry) { chunk in
        try scanner.consume(chunk)
        if !headerChecked, let header = scanner.header {
          headerChecked = true
          shapeProblems = headerProblems(header, file: file)
          if !shapeProblems.isEmpty { return false }
        }
        if scanner.trailingByteCount > 0 {
          // Past the data: the size says how much more there is.
          if let size = entry.size, let header = scanner.header {
            let extra = size - header.dataOffset - header.dataByteCount - scanner.trailingByteCount
            scanner.skipTrailing(byteCount: max(0, extra))
          }
          return false
        }
        return true
      }
      if !shapeProblems.isEmpty { return shapeProblems }
      let result = try scanner.finish()
      return valueProblems(result, file: file)
    } catch let error as NumPyError {
      return [numPyProblem(error, file: file)]
    } catch let failure as ReadFailure {
      return [SubmissionProblem(.error, .unreadableFile, file: file, failure.message)]
    } catch {
      return [SubmissionProblem(.error, .unreadableFile, file: file, "\(error)")]
    }
  }

  /// Reads the whole entry and checks it like `run`; when it holds no error, also returns
  /// its samples as `Float` (what the scorer uses).
  func read(_ entry: SubmissionEntry, reader: SubmissionContents.Reader) -> ([SubmissionProblem], [Float]?) {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(entry.size ?? 0)
    do {
      try reader.read(entry) { chunk in
        // A mono 12-s estimate in float64 is 1.5 MB; anything beyond 1 GiB is not an estimate.
        guard bytes.count + chunk.count <= 1 << 30 else {
          throw ReadFailure(message: "the file is larger than 1 GiB; a Task 1 estimate is a few MB")
        }
        bytes.append(contentsOf: chunk)
        return true
      }
    } catch let failure as ReadFailure {
      return ([SubmissionProblem(.error, .unreadableFile, file: entry.path, failure.message)], nil)
    } catch {
      return ([SubmissionProblem(.error, .unreadableFile, file: entry.path, "\(error)")], nil)
    }
    let problems = check(bytes, file: entry.path)
    guard !problems.contains(where: { $0.severity == .error }) else { return (problems, nil) }
    do {
      let (_, values) = try bytes.withUnsafeBytes { try NumPyFile.readFloats($0, path: entry.path) }
      return (problems, values)
    } catch let error as NumPyError {
      return (problems + [numPyProblem(error, file: entry.path)], nil)
    } catch {
      return (problems + [SubmissionProblem(.error, .unreadableFile, file: entry.path, "\(error)")], nil)
    }
  }

  /// The checks of `run` on bytes already in memory.
  func check(_ bytes: [UInt8], file: String) -> [SubmissionProblem] {
    var scanner = NumPyScanner(path: nil)
    do {
      try bytes.withUnsafeBytes { try scanner.consume($0) }
      if let header = scanner.header {
        let shapeProblems = headerProblems(header, file: file)
        if !shapeProblems.isEmpty { return shapeProblems }
      }
      return valueProblems(try scanner.finish(), file: file)
    } catch let error as NumPyError {
      return [numPyProblem(error, file: file)]
    } catch {
      return [SubmissionProblem(.error, .unreadableFile, file: file, "\(error)")]
    }
  }

  private func numPyProblem(_ error: NumPyError, file: String) -> SubmissionProblem {
    let hint: String
    switch error.code {
    case .pickled:
      hint = "save a plain array: np.save(path, np.asarray(x, dtype=np.float32)) (no pickle, no object dtype)"
    case .notNumPy:
      hint = "write the file with np.save (not torch.save, pickle or np.savez)"
    case .truncated:
      hint = "the file is incomplete (interrupted copy or upload?): write it again with np.save"
    case .trailingData:
      hint = "write exactly one array per file with np.save"
    case .unsupportedDType:
      hint = "save a float array: np.save(path, x.astype(np.float32))"
    default:
      hint = "write the file with np.save(path, x.astype(np.float32))"
    }
    return SubmissionProblem(.error, .invalidNumPy, file: file, error.message, hint: hint)
  }

  /// Dtype and shape problems, known from the header alone.
  func headerProblems(_ header: NumPyHeader, file: String) -> [SubmissionProblem] {
    var problems: [SubmissionProblem] = []
    if header.dataType.kind != .float {
      problems.append(
        SubmissionProblem(
          .error, .notFloat, file: file,
          "dtype \(header.dataType) is not a float type; the estimate is audio in [-1, 1]",
          hint: "save x.astype(np.float32)"))
    }
    let shape = header.shape
    let shapeText =
      shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    let length: Int?
    switch shape.count {
    case 1:
      length = shape[0]
    case 2 where shape[0] == 1:
      length = shape[1]  // (1, N): the official scorer squeezes it
    case 2 where shape[1] == 1 && shape[0] != 1:
      problems.append(
        SubmissionProblem(
          .error, .notMono, file: file,
          "shape \(shapeText) is a column; the official validator compares the last axis with the \(expectedLength) samples",
          hint: "save a 1-D array: np.save(path, x.reshape(-1))"))
      length = nil
    case 2:
      problems.append(
        SubmissionProblem(
          .error, .notMono, file: file,
          "shape \(shapeText) holds \(shape[0]) channels; Task 1 estimates are mono, shape (\(expectedLength),)",
          hint: "submit one channel (the enhanced speech), e.g. np.save(path, x[0])"))
      length = nil
    case 0:
      problems.append(
        SubmissionProblem(
          .error, .notMono, file: file,
          "the array is a 0-d scalar; Task 1 estimates are mono audio of shape (\(expectedLength),)",
          hint: "save the whole enhanced waveform as a 1-D array"))
      length = nil
    default:
      problems.append(
        SubmissionProblem(
          .error, .notMono, file: file,
          "shape \(shapeText) has \(shape.count) axes; Task 1 estimates are mono, shape (\(expectedLength),)",
          hint: "squeeze batch and channel axes: np.save(path, x.reshape(-1)) if it holds one channel"))
      length = nil
    }
    if let length, length != expectedLength {
      let difference = length - expectedLength
      let seconds = Double(abs(difference)) / Double(sampleRate)
      problems.append(
        SubmissionProblem(
          .error, .wrongLength, file: file,
          "\(length) samples, but the test item's _A.wav has \(expectedLength) "
            + "(\(difference > 0 ? "\(difference) too many" : "\(-difference) too few"), "
            + "\(String(format: "%.3f", seconds)) s at 16 kHz)",
          hint: difference > 0
            ? "cut the padding added for the model: x[:\(expectedLength)]"
            : "pad or predict the whole item; the estimate must cover every input sample"))
    }
    return problems
  }

  private func valueProblems(_ result: NumPyScanResult, file: String) -> [SubmissionProblem] {
    var problems: [SubmissionProblem] = []
    if result.nonFiniteCount > 0, let first = result.firstNonFiniteIndex {
      problems.append(
        SubmissionProblem(
          .error, .nonFinite, file: file,
          "\(result.nonFiniteCount) of \(result.header.elementCount) samples are NaN or infinite "
            + "(first at sample \(first), \(String(format: "%.3f", Double(first) / Double(sampleRate))) s)",
          hint: "check the model for divergence; np.nan_to_num(x) hides the symptom, not the cause"))
    }
    if result.nonFiniteCount == 0, result.peak > Double(Float.greatestFiniteMagnitude) {
      // Finite in float64, but not in float32, the precision every scorer computes in.
      problems.append(
        SubmissionProblem(
          .error, .nonFinite, file: file,
          "a sample of magnitude \(result.peak) exceeds float32's range (±3.4e38); the scorers compute in float32",
          hint: "the estimate is audio in [-1, 1]; check the model's output scaling"))
    }
    if result.isAllZero {
      problems.append(
        SubmissionProblem(
          .warning, .silent, file: file, "every sample is zero; STOI of silence is meaningless",
          hint: "check that the model's output was written, not a zero-initialised buffer"))
    }
    return problems
  }
}
