import AudioIO
import DSP
import Datasets
import Foundation
import Synthesis
import Testing
import _TestSupport

/// Builds a small synthetic dataset once per configuration and keeps it for the suite.
private func generate(_ configure: (inout SyntheticDataset.Configuration) -> Void) throws -> (
  TemporaryDirectory, SyntheticDataset.Report
) {
  let dir = try TemporaryDirectory(prefix: "l3das-synth")
  var configuration = SyntheticDataset.Configuration()
  configure(&configuration)
  let report = try SyntheticDataset.generate(configuration, at: dir.url)
  return (dir, report)
}

@Suite("Synthetic Task 2 scenes")
struct SyntheticTask2Tests {
  @Test("a 30 s L3DAS22 Task 2 split is laid out, named and sampled like the real data")
  func layoutAndFormat() throws {
    let (dir, report) = try generate {
      $0.task1Splits = []
      $0.task2Splits = [.dev]
      $0.task2ItemsPerSplit = 3
    }
    #expect(report.splits.count == 1 && report.splits[0].itemCount == 3)
    let split = dir.path("L3DAS22_Task2_dev")
    let names = try FileManager.default.contentsOfDirectory(
      atPath: split.appendingPathComponent("data").path
    ).sorted()
    #expect(
      names == [
        "split4_ov1_1_A.wav", "split4_ov1_1_B.wav", "split4_ov2_1_A.wav", "split4_ov2_1_B.wav",
        "split4_ov3_1_A.wav", "split4_ov3_1_B.wav",
      ])
    let labels = try FileManager.default.contentsOfDirectory(
      atPath: split.appendingPathComponent("labels").path
    ).sorted()
    #expect(
      labels == ["label_split4_ov1_1.csv", "label_split4_ov2_1.csv", "label_split4_ov3_1.csv"])
    for name in names {
      let info = try AudioFile.info(
        at: split.appendingPathComponent("data").appendingPathComponent(name))
      #expect(
        info
          == AudioFileInfo(
            sampleRate: 32_000, channelCount: 4, frameCount: 960_000, sampleFormat: .pcm16))
    }
    #expect(try dir.entries() == ["L3DAS22_Task2_dev", SyntheticDataset.configurationFileName])
  }

  @Test(
    "labels respect the box, the grid, the overlap limit and the 3-instance limit",
    arguments: [1, 2, 3])
  func labelConstraints(overlap: Int) {
    var rng = SplitMix64Seeded.make(UInt64(overlap))
    let geometry = RoomGeometry()
    for _ in 0..<20 {
      let events = Task2SceneSynthesizer.planEvents(
        sceneSeconds: 30, overlap: overlap, geometry: geometry, using: &rng)
      #expect(!events.isEmpty)
      for e in events {
        #expect(e.startSeconds >= 0 && e.endSeconds <= 30 && e.startSeconds < e.endSeconds)
        #expect(abs(e.position.x) <= 2 && abs(e.position.y) <= 1.5 && abs(e.position.z) <= 1)
        let steps = e.position / 0.25
        #expect(
          steps == steps.rounded(.toNearestOrEven), "position \(e.position) is off the 25 cm grid")
        #expect((e.position * e.position).sum().squareRoot() >= 0.5)
        let active = events.filter {
          $0.startSeconds <= e.startSeconds && e.startSeconds < $0.endSeconds
        }
        #expect(active.count <= overlap)
        #expect(active.filter { $0.soundClass == e.soundClass }.count <= 3)
      }
    }
  }

  @Test(
    "the FOA intensity direction of every isolated event points to its label within 10°, at both mics",
    arguments: [7, 8, 9] as [UInt64])
  func directionsMatchLabels(seed: UInt64) throws {
    let (dir, _) = try generate {
      $0.task1Splits = []
      $0.task2Splits = [.dev]
      $0.task2ItemsPerSplit = 1  // split4_ov1_1: every event is isolated
      $0.seed = seed
    }
    let split = dir.path("L3DAS22_Task2_dev")
    let id = try #require(Task2RecordingID("split4_ov1_1"))
    let events = try Task2Labels.read(
      split.appendingPathComponent("labels").appendingPathComponent(id.labelFileName))
    #expect(events.count >= 5)
    let recording = try AmbisonicRecording.load(
      micA: split.appendingPathComponent("data").appendingPathComponent(id.audioFileName(.a)),
      micB: split.appendingPathComponent("data").appendingPathComponent(id.audioFileName(.b)),
      expectedChannelCount: 4)
    let geometry = RoomGeometry()
    var worst = 0.0
    for event in events {
      let range = Int(event.startSeconds * 32_000)..<Int(event.endSeconds * 32_000)
      for mic in Microphone.allCases {
        let audio = recording.microphone(mic)
        let intensity = Ambisonics.intensityVector(
          w: audio.channel(0), y: audio.channel(1), z: audio.channel(2), x: audio.channel(3),
          range: range)
        let truth = event.position - geometry.position(of: mic)
        let error = Ambisonics.angleDegrees(between: intensity, and: truth)
        worst = max(worst, error)
        #expect(
          error < 10,
          "seed \(seed): \(event.soundClass.officialName) at \(event.position), mic \(mic.rawValue): \(error)°"
        )
      }
    }
    print("worst direction error over \(events.count) events × 2 mics: \(worst)°")
  }

  @Test("the same seed gives byte-identical files; another seed does not")
  func determinism() throws {
    let configure: (UInt64) -> (inout SyntheticDataset.Configuration) -> Void = { seed in
      {
        $0.task1Splits = []; $0.task2Splits = [.train]; $0.task2ItemsPerSplit = 2;
        $0.task2SceneSeconds = 4; $0.seed = seed
      }
    }
    let (a, _) = try generate(configure(1))
    let (b, _) = try generate(configure(1))
    let (c, _) = try generate(configure(2))
    let file = "L3DAS22_Task2_train/data/split1_ov1_1_B.wav"
    let label = "L3DAS22_Task2_train/labels/label_split0_ov1_1.csv"
    #expect(try Data(contentsOf: a.path(file)) == Data(contentsOf: b.path(file)))
    #expect(try Data(contentsOf: a.path(label)) == Data(contentsOf: b.path(label)))
    #expect(try Data(contentsOf: a.path(file)) != Data(contentsOf: c.path(file)))
  }

  @Test("L3DAS21 naming gives 60 s scenes in L3DAS_Task2_<split> folders, and Kaggle nesting nests")
  func editionAndNesting() throws {
    let (dir, _) = try generate {
      $0.edition = .l3das21
      $0.task1Splits = []
      $0.task2Splits = [.test]
      $0.task2ItemsPerSplit = 1
      $0.kaggleNesting = true
    }
    let url = dir.path("L3DAS_Task2_test/L3DAS_Task2_test/data/split5_ov1_1_A.wav")
    #expect(try AudioFile.info(at: url).frameCount == 60 * 32_000)
  }
}

@Suite("Synthetic Task 1 items")
struct SyntheticTask1Tests {
  @Test("Task 1 items carry real speech, its transcript and an 8-channel 16 kHz mixture")
  func task1Items() throws {
    let corpus = try SpeechCorpus(sampleRate: 16_000)
    #expect(corpus.clips.count == 5)
    let (dir, report) = try generate {
      $0.task2Splits = []
      $0.task1Splits = [.dev]
      $0.task1ItemsPerSplit = 3
    }
    #expect(report.splits.map(\.itemCount) == [3])
    let split = dir.path("L3DAS22_Task1_dev")
    let infoLines = try String(
      contentsOf: split.appendingPathComponent("info.csv"), encoding: .utf8
    ).split(separator: "\n")
    #expect(infoLines.count == 4)
    for line in infoLines.dropFirst() {
      let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      let id = try #require(Task1RecordingID(fields[0]))
      let clip = try #require(corpus.clips.first { $0.name == fields[1] })
      let recording = try AmbisonicRecording.load(
        micA: split.appendingPathComponent("data/\(id.audioFileName(.a))"),
        micB: split.appendingPathComponent("data/\(id.audioFileName(.b))"), expectedChannelCount: 4)
      #expect(recording.audio.sampleRate == 16_000 && recording.audio.channelCount == 8)
      let clean = try AudioFile.read(split.appendingPathComponent("labels/\(id.cleanFileName)"))
      #expect(clean.channelCount == 1 && clean.frameCount == recording.audio.frameCount)
      #expect(zip(clean.samples, clip.samples).allSatisfy { abs($0 - $1) <= 1.0 / 32768 })
      let transcript = try String(
        contentsOf: split.appendingPathComponent("labels/\(id.transcriptFileName)"), encoding: .utf8
      )
      #expect(transcript == clip.transcript + "\n")
      #expect(
        transcript.uppercased() == transcript
          && transcript.contains("DASHWOOD") == (clip.name.hasSuffix("0870")))
      let snr = try #require(Double(fields[5]))
      #expect((5...20).contains(snr))
    }
  }

  @Test("the mixture's speech comes from the speaker position written in info.csv")
  func speechDirection() throws {
    var rng = SplitMix64Seeded.make(3)
    let corpus = try SpeechCorpus(sampleRate: 16_000)
    for clip in corpus.clips {
      let item = try Task1MixtureSynthesizer.synthesize(
        clip: clip, geometry: RoomGeometry(), using: &rng)
      let a = item.micA
      let i = Ambisonics.intensityVector(
        w: a.channel(0), y: a.channel(1), z: a.channel(2), x: a.channel(3), range: 0..<a.frameCount)
      // Interfering sounds come from elsewhere, so allow a wider cone than for isolated events.
      #expect(
        Ambisonics.angleDegrees(between: i, and: item.speakerPosition) < 30,
        "\(clip.name) snr \(item.snrDecibels)")
    }
  }
}

@Suite("Synthetic dataset errors")
struct SyntheticErrorTests {
  @Test("an existing split is refused before anything is written, and kept intact")
  func existingOutput() throws {
    let (dir, _) = try generate {
      $0.task1Splits = []; $0.task2Splits = [.dev]; $0.task2ItemsPerSplit = 1;
      $0.task2SceneSeconds = 2
    }
    var configuration = SyntheticDataset.Configuration()
    configuration.task1Splits = []
    configuration.task2Splits = [.train, .dev]
    configuration.task2SceneSeconds = 2
    let error = #expect(throws: SynthesisError.self) {
      try SyntheticDataset.generate(configuration, at: dir.url)
    }
    #expect(error?.code == .outputExists)
    #expect(try dir.entries() == ["L3DAS22_Task2_dev", SyntheticDataset.configurationFileName])
    try SyntheticDataset.generate(configuration, at: dir.url, overwrite: true)
    #expect(
      try dir.entries() == [
        "L3DAS22_Task2_dev", "L3DAS22_Task2_train", SyntheticDataset.configurationFileName,
      ])
  }

  @Test("a missing speech folder is a clear error naming the fix")
  func missingSpeech() throws {
    let dir = try TemporaryDirectory()
    var configuration = SyntheticDataset.Configuration()
    configuration.task2Splits = []
    configuration.speechDirectory = "/nonexistent/speech"
    let error = #expect(throws: SynthesisError.self) {
      try SyntheticDataset.generate(configuration, at: dir.url)
    }
    #expect(error?.code == .speechCorpusUnavailable)
    #expect(error?.message.contains("pocketsphinx-testdata") == true)
    #expect(try dir.entries().isEmpty)
  }

  @Test("a split the task does not have is refused")
  func wrongSplit() throws {
    var configuration = SyntheticDataset.Configuration()
    configuration.task2Splits = [.train100]
    #expect(throws: SynthesisError.self) { try configuration.validate() }
  }
}
