import AudioIO
import Datasets
import Foundation
import NumPyIO
import Submission
import _TestSupport

/// A temporary test folder (`data/<id>_A.wav`, `_B.wav`) and submission folder.
final class ValidationFixture {
  let directory: TemporaryDirectory
  let test: URL
  let submission: URL

  /// Test items with the given lengths (frames) at `sampleRate`.
  init(items: [String: Int], sampleRate: Int) throws {
    directory = try TemporaryDirectory(prefix: "l3das-validate")
    test = directory.path("test")
    submission = directory.path("submission")
    let data = test.appendingPathComponent("data")
    try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: submission, withIntermediateDirectories: true)
    for (id, frames) in items {
      let audio = Signals.sines(channelCount: 4, frameCount: frames, sampleRate: sampleRate)
      try AudioFile.write(audio, to: data.appendingPathComponent("\(id)_A.wav"), format: .pcm16)
      try AudioFile.write(audio, to: data.appendingPathComponent("\(id)_B.wav"), format: .pcm16)
    }
  }

  func url(_ name: String) -> URL { submission.appendingPathComponent(name) }

  func write(_ text: String, _ name: String) throws {
    try Data(text.utf8).write(to: url(name))
  }

  /// Writes `bytes` without the fsync of `Data.write` (the fuzz tests write 20,000 files).
  func write(bytes: [UInt8], _ name: String) throws {
    guard let file = fopen(url(name).path, "wb") else { throw CocoaError(.fileWriteUnknown) }
    defer { fclose(file) }
    guard bytes.isEmpty || fwrite(bytes, 1, bytes.count, file) == bytes.count else {
      throw CocoaError(.fileWriteUnknown)
    }
  }

  func writeNumPy(_ values: [Float], shape: [Int], _ name: String) throws {
    try NumPyFile.write(values, shape: shape, to: url(name))
  }

  func validate(
    task: Task, edition: Edition? = nil, listLimit: Int = 10, submission: URL? = nil
  ) throws -> SubmissionReport {
    try SubmissionValidator.validate(
      submission: submission ?? self.submission, test: test,
      options: .init(task: task, edition: edition, listLimit: listLimit))
  }
}

extension SubmissionReport {
  /// The kinds of the problems, in report order.
  var kinds: [SubmissionProblem.Kind] { problems.map(\.kind) }

  /// The problems of one kind.
  func problems(_ kind: SubmissionProblem.Kind) -> [SubmissionProblem] {
    problems.filter { $0.kind == kind }
  }
}

/// A `.npy` file's bytes with any header text (for dtypes and shapes our writer does not make).
func numPyBytes(header: String, data: [UInt8], version: UInt8 = 1) -> [UInt8] {
  var text = header
  let preamble = version == 1 ? 10 : 12
  let unpadded = preamble + text.utf8.count + 1
  text += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
  var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0]
  let length = text.utf8.count
  if version == 1 {
    bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
  } else {
    bytes += (0..<4).map { UInt8((length >> (8 * $0)) & 0xFF) }
  }
  return bytes + Array(text.utf8) + data
}

/// The repository's `submission/examples` folder.
let examplesFolder = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("submission/examples")
