import AudioIO
import Datasets
import Foundation
import Metrics
import Pipelines
import NumPyIO
import Synthesis
import Testing
import _TestSupport

/// A transcriber that "recognises" by item id, so scoring tests need no ASR.
private struct IDTranscriber: Transcriber {
  var identifier: String { "id" }
  func transcribe(_ request: TranscriptionRequest) throws -> String {
    request.role == .reference ? "WORDS OF \(request.itemID ?? "")" : "WORDS OF \(request.itemID ?? "") EXTRA"
  }
}

/// A small synthetic Task 1 test split plus a submission folder.
private func makeSplit(items: Int = 3) throws -> (TemporaryDirectory, URL, URL, [Task1Item]) {
  let dir = try TemporaryDirectory()
  var configuration = SyntheticDataset.Configuration()
  configuration.task1Splits = [.test]
  configuration.task1ItemsPerSplit = items
  configuration.task2Splits = []
  try SyntheticDataset.generate(configuration, at: dir.path("data"))
  let split = dir.path("data/L3DAS22_Task1_test")
  let submission = dir.path("submission")
  try FileManager.default.createDirectory(at: submission, withIntermediateDirectories: true)
  let location = try SplitLocation(folder: split)
  return (dir, split, submission, try location.task1Items().sortedItems())
}

@Suite("Task 1 scoring")
struct Task1ScoringTests {
  @Test("the clean speech as the estimate scores STOI 1; the noisy mic-A W channel scores lower")
  func perfectAndNoisy() throws {
    let (dir, split, submission, items) = try makeSplit()
    defer { withExtendedLifetime(dir) {} }
    for item in items {
      let clean = try item.loadClean()
      try NumPyFile.write(Array(clean.channel(0)), shape: [clean.frameCount], to: submission.appendingPathComponent("\(item.id).npy"))
    }
    let perfect = try Task1Scoring.score(submission: submission, truth: split, options: .init(transcriber: IDTranscriber()))
    #expect(perfect.items.count == 3 && perfect.scoredCount == 3)
    #expect(abs(perfect.stoi - 1) < 1e-9)
    #expect(abs(perfect.wer - 1.0 / 3) < 1e-12, "3 reference words, one insertion")
    #expect(abs(perfect.metric - (1 + 1 - 1.0 / 3) / 2) < 1e-9)

    let noisyFolder = dir.path("noisy")
    try FileManager.default.createDirectory(at: noisyFolder, withIntermediateDirectories: true)
    for item in items {
      let mixture = try item.loadRecording(frames: nil)
      try NumPyFile.write(Array(mixture.audio.channel(0)), shape: [1, mixture.audio.frameCount], to: noisyFolder.appendingPathComponent("\(item.id).npy"))
    }
    let noisy = try Task1Scoring.score(submission: noisyFolder, truth: split, options: .init(transcriber: IDTranscriber()))
    #expect(noisy.stoi < 0.99 && noisy.stoi > 0.3, "\(noisy.stoi)")
    for (n, p) in zip(noisy.items, perfect.items) { #expect(n.id == p.id && (n.stoi ?? 1) < (p.stoi ?? 0)) }
  }

  @Test("missing and extra files are all listed before any scoring")
  func mismatchedItems() throws {
    let (dir, split, submission, items) = try makeSplit()
    defer { withExtendedLifetime(dir) {} }
    try NumPyFile.write([0], shape: [1], to: submission.appendingPathComponent("\(items[0].id).npy"))
    try NumPyFile.write([0], shape: [1], to: submission.appendingPathComponent("9999-1-0001.npy"))
    let error = #expect(throws: ScoringError.self) {
      try Task1Scoring.score(submission: submission, truth: split, options: .init(transcriber: IDTranscriber()))
    }
    #expect(error?.code == .mismatchedItems)
    #expect(error?.message.contains("missing 2") == true && error?.message.contains("9999-1-0001.npy") == true)
    #expect(error?.message.contains("\(items[1].id).npy") == true && error?.message.contains("\(items[2].id).npy") == true)
  }

  @Test("a multichannel array, a wrong length, or NaN samples are refused naming the file, with validate's message")
  func invalidEstimates() throws {
    let (dir, split, submission, items) = try makeSplit(items: 1)
    defer { withExtendedLifetime(dir) {} }
    let n = try items[0].loadClean().frameCount
    let url = submission.appendingPathComponent("\(items[0].id).npy")
    let cases: [([Float], [Int], String)] = [
      ([Float](repeating: 0, count: 4 * n), [4, n], "Task 1 estimates are mono"),
      ([Float](repeating: 0, count: n - 1), [n - 1], "samples, but the test item's _A.wav has"),
      ([Float](repeating: .nan, count: n), [n], "are NaN or infinite"),
    ]
    for (values, shape, fragment) in cases {
      try NumPyFile.write(values, shape: shape, to: url)
      let error = #expect(throws: ScoringError.self) {
        try Task1Scoring.score(submission: submission, truth: split, options: .init(transcriber: IDTranscriber()))
      }
      #expect(error?.message.contains(fragment) == true && error?.message.contains(url.lastPathComponent) == true, "\(error?.message ?? "")")
    }
  }
}
