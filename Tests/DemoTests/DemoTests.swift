import Demo
import Foundation
import L3DASCore
import Metrics
import Pipelines
import Testing
import _TestSupport

/// "Recognises" by item id, so the demo test needs no ASR.
private struct EchoTranscriber: Transcriber {
  var identifier: String { "echo" }
  func transcribe(_ request: TranscriptionRequest) throws -> String {
    request.role == .reference ? "A B C \(request.itemID ?? "")" : "A B \(request.itemID ?? "")"
  }
}

/// Records the stages it is told about.
private final class Recorder: Demo.Observer, @unchecked Sendable {
  private let lock = NSLock()
  private(set) var titles: [String] = []
  private(set) var ended = 0

  func begin(stage: String, of total: Int, title: String) -> any ProgressReporter {
    lock.withLock { titles.append("\(stage)/\(total) \(title)") }
    return SilentProgress()
  }

  func end(stage: String, seconds: Double, summary: String) { lock.withLock { ended += 1 } }
}

@Suite("Demo")
struct DemoTests {
  @Test("a miniature demo runs every stage of both tasks and writes both leaderboards")
  func miniature() throws {
    let dir = try TemporaryDirectory()
    var configuration = Demo.Configuration()
    configuration.task2TrainScenes = 4
    configuration.task2TestScenes = 2
    configuration.sceneSeconds = 2
    configuration.task2Epochs = 1
    configuration.task1TrainItems = 4
    configuration.task1TestItems = 2
    configuration.task1Epochs = 1
    let output = dir.path("demo")
    let recorder = Recorder()
    let report = try Demo.run(
      configuration: configuration, output: output, transcriber: EchoTranscriber(), observer: recorder)
    #expect(recorder.titles.count == 10 && recorder.ended == 10 && report.stages.count == 10)
    #expect(recorder.titles.first?.hasPrefix("1/10 Task 2: synthesise") == true)

    let task2 = try #require(report.task2)
    #expect(Set(task2.entries.map(\.name)) == ["seldnet-tiny", "random", "empty"])
    #expect(task2.entries.allSatisfy { $0.isRanked }, "every baseline submission is valid")
    #expect(task2.entries.first { $0.name == "empty" }?.score == 0)
    let task1 = try #require(report.task1)
    #expect(task1.entries.map(\.name).first == "clean-speech" && task1.entries.first?.rank == 1)
    #expect(abs((task1.entries.first?.task1?.stoi ?? 0) - 1) < 1e-9)
    #expect(task1.entries.allSatisfy { $0.isRanked })

    for task in ["task1", "task2"] {
      for name in ["index.html", "leaderboard.md", "leaderboard.csv", "leaderboard.json"] {
        #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("reports/\(task)/\(name)").path), "\(task)/\(name)")
      }
    }
    let saved = try JSONDecoder().decode(Demo.Report.self, from: Data(contentsOf: output.appendingPathComponent("demo.json")))
    #expect(saved.configuration == configuration && saved.task2 == task2 && saved.task1 == task1)

    // A second run replaces the demo's own folder.
    var only2 = configuration
    only2.tasks = [2]
    let again = try Demo.run(configuration: only2, output: output, transcriber: nil, observer: Recorder())
    #expect(again.task1 == nil && again.task2 != nil)
    #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("reports/task1").path))
  }

  @Test("a folder the demo did not write is refused untouched, and bad sizes are refused")
  func refusals() throws {
    let dir = try TemporaryDirectory()
    let output = dir.path("mine")
    try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
    try "keep".write(to: output.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
    var configuration = Demo.Configuration()
    configuration.tasks = [2]
    let error = #expect(throws: DemoError.self) {
      try Demo.run(configuration: configuration, output: output, transcriber: nil, observer: Recorder())
    }
    #expect(error?.message.contains("was not written by 'l3das demo'") == true)
    #expect(try String(contentsOf: output.appendingPathComponent("notes.txt"), encoding: .utf8) == "keep")
    configuration.task2Epochs = 0
    #expect(throws: DemoError.self) {
      try Demo.run(configuration: configuration, output: dir.path("new"), transcriber: nil, observer: Recorder())
    }
    configuration = Demo.Configuration()
    #expect(throws: DemoError.self, "Task 1 needs a transcriber") {
      try Demo.run(configuration: configuration, output: dir.path("new"), transcriber: nil, observer: Recorder())
    }
  }
}
