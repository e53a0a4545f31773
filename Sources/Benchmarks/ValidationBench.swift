import AudioIO
import Foundation
import NumPyIO
import Submission

/// Submission validation at challenge scale: a 1000-item Task 1 submission (6–12 s float32
/// estimates, distinct files) and a 300-item Task 2 submission (600 rows per file), each
/// against a test folder of real WAV headers (hard links to one file per task: the validator
/// reads only the headers).
enum ValidationBench {
  struct Case {
    var name: String
    var seconds: Double
    var detail: String
  }

  static func run(in folder: URL, repetitions: Int) throws -> [Case] {
    let manager = FileManager.default
    var cases: [Case] = []

    // Task 1: 1000 items.
    let t1 = folder.appendingPathComponent("validate-task1")
    let t1Test = t1.appendingPathComponent("test/data")
    let t1Submission = t1.appendingPathComponent("submission")
    try? manager.removeItem(at: t1)
    try manager.createDirectory(at: t1Test, withIntermediateDirectories: true)
    try manager.createDirectory(at: t1Submission, withIntermediateDirectories: true)
    var state: UInt32 = 7
    var totalBytes = 0
    for i in 0..<1000 {
      let seconds = 6 + Double(i % 61) / 10  // 6.0 … 12.0 s
      let frames = Int(seconds * 16_000)
      let id = String(format: "%d-%d-%04d", 100 + i / 100, 5000 + i % 7, i)
      let wav = t1Test.appendingPathComponent("\(id)_A.wav")
      // One real 4-channel WAV per distinct length; the other items link to it.
      let shared = t1.appendingPathComponent("shared-\(frames).wav")
      if !manager.fileExists(atPath: shared.path) {
        try AudioFile.write(
          AudioBuffer(channelCount: 4, frameCount: frames, sampleRate: 16_000), to: shared,
          format: .pcm16)
      }
      try manager.linkItem(at: shared, to: wav)
      var values = [Float](repeating: 0, count: frames)
      for k in values.indices {
        state = state &* 1_664_525 &+ 1_013_904_223
        values[k] = Float(Int32(bitPattern: state)) / 4_294_967_296
      }
      try NumPyFile.write(values, shape: [frames], to: t1Submission.appendingPathComponent("\(id).npy"))
      totalBytes += frames * 4
    }
    let t1Time = try Bench.median(repetitions: repetitions) {
      let report = try SubmissionValidator.validate(
        submission: t1Submission, test: t1.appendingPathComponent("test"),
        options: .init(task: .speechEnhancement))
      precondition(report.isValid, report.text)
    }
    cases.append(
      Case(
        name: "validate Task 1: 1000 items (6–12 s, float32)", seconds: t1Time,
        detail: String(format: "%.0f MB of .npy, every value checked; warm page cache", Double(totalBytes) / 1e6)))

    // Task 2: 300 items of 600 rows.
    let t2 = folder.appendingPathComponent("validate-task2")
    let t2Test = t2.appendingPathComponent("test/data")
    let t2Submission = t2.appendingPathComponent("submission")
    try? manager.removeItem(at: t2)
    try manager.createDirectory(at: t2Test, withIntermediateDirectories: true)
    try manager.createDirectory(at: t2Submission, withIntermediateDirectories: true)
    let shared = t2.appendingPathComponent("shared.wav")
    try AudioFile.write(
      AudioBuffer(channelCount: 4, frameCount: 30 * 32_000, sampleRate: 32_000), to: shared,
      format: .pcm16)
    var rowCount = 0
    for i in 0..<300 {
      let id = "split5_ov\(1 + i % 3)_\(i / 3 + 1)"
      try manager.linkItem(at: shared, to: t2Test.appendingPathComponent("\(id)_A.wav"))
      var text = ""
      for frame in 0..<300 {
        for k in 0..<2 {
          state = state &* 1_664_525 &+ 1_013_904_223
          let x = Double(Int32(bitPattern: state)) / 2_147_483_648 * 2
          text += "\(frame),\((i + k * 5) % 14),\(x),\(-x / 2),\(x / 4)\n"
          rowCount += 1
        }
      }
      try text.write(to: t2Submission.appendingPathComponent("\(id).csv"), atomically: false, encoding: .utf8)
    }
    let t2Time = try Bench.median(repetitions: repetitions) {
      let report = try SubmissionValidator.validate(
        submission: t2Submission, test: t2.appendingPathComponent("test"),
        options: .init(task: .soundEventLocalizationDetection))
      precondition(report.isValid, report.text)
    }
    cases.append(
      Case(
        name: "validate Task 2: 300 items × 600 rows", seconds: t2Time,
        detail: "\(rowCount) rows, every row checked; edition from the test audio"))
    try? manager.removeItem(at: t1)
    try? manager.removeItem(at: t2)
    return cases
  }
}
