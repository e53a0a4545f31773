import AudioIO
import Datasets
import Foundation
import Synthesis
import Testing
import _TestSupport

@Suite("Synthetic data through the layout types")
struct SyntheticLayoutTests {
  @Test(
    "synth output is discovered, checked and loaded by the Datasets layout types",
    arguments: [false, true])
  func readableByLayoutTypes(kaggleNesting: Bool) throws {
    let dir = try TemporaryDirectory()
    var configuration = SyntheticDataset.Configuration()
    configuration.task1Splits = [.dev]
    configuration.task1ItemsPerSplit = 2
    configuration.task2Splits = [.train, .test]
    configuration.task2ItemsPerSplit = 3
    configuration.task2SceneSeconds = 3
    configuration.kaggleNesting = kaggleNesting
    try SyntheticDataset.generate(configuration, at: dir.url)

    let layout = try DatasetLayout.discover(at: dir.url)
    let found = layout.splits.map {
      "\($0.task.rawValue)/\($0.split.rawValue)/\($0.edition.rawValue)"
    }
    #expect(Set(found) == ["1/dev/2022", "2/train/2022", "2/test/2022"])

    let task2 = try #require(
      layout.location(of: .train, task: .soundEventLocalizationDetection, edition: .l3das22))
    #expect(task2.check().isEmpty, "\(task2.check())")
    let items = try task2.task2Items().sortedItems()
    #expect(items.map(\.id.description) == ["split0_ov1_1", "split1_ov1_1", "split2_ov1_1"])
    for item in items {
      let events = try item.loadLabels()
      #expect(!events.isEmpty)
      #expect(events.allSatisfy { $0.endSeconds <= 3 && abs($0.position.x) <= 2 })
      let recording = try item.loadRecording(frames: 0..<32_000)
      #expect(recording.audio.channelCount == 8 && recording.audio.frameCount == 32_000)
      #expect(recording.audio.sampleRate == 32_000)
    }

    let task1 = try #require(layout.location(of: .dev, task: .speechEnhancement, edition: .l3das22))
    #expect(task1.check().isEmpty, "\(task1.check())")
    for item in try task1.task1Items().sortedItems() {
      let transcript = try item.loadTranscript()
      #expect(!transcript.isEmpty && transcript == transcript.uppercased())
      let clean = try item.loadClean()
      #expect(try item.loadRecording(frames: nil).audio.frameCount == clean.frameCount)
    }
  }
}
