import AudioIO
import Datasets
import Features
import Foundation
import NumPyIO
import Pipelines
import Synthesis
import Testing
import _TestSupport

@Suite("Preprocessing")
struct PreprocessTests {
  /// A synthetic dataset with a Task 1 dev split of 2 items or a Task 2 dev split of
  /// three 2 s scenes.
  private func makeDataset(task: Task = .soundEventLocalizationDetection) throws
    -> TemporaryDirectory
  {
    let dir = try TemporaryDirectory()
    var configuration = SyntheticDataset.Configuration()
    configuration.task1Splits = task == .speechEnhancement ? [.dev] : []
    configuration.task1ItemsPerSplit = 2
    configuration.task2Splits = task == .speechEnhancement ? [] : [.dev]
    configuration.task2ItemsPerSplit = 3
    configuration.task2SceneSeconds = 2
    configuration.seed = 12
    try SyntheticDataset.generate(configuration, at: dir.path("data"))
    return dir
  }

  private func task2Configuration(microphones: Int = 2) -> PreprocessConfiguration {
    var configuration = PreprocessConfiguration.baseline(
      task: .soundEventLocalizationDetection, edition: .l3das22, microphones: microphones)
    configuration.sceneSeconds = 2
    configuration.itemsPerShard = 2
    return configuration
  }

  @Test("Task 2 shards hold each scene's SELDnet spectrum and label matrix, in id order")
  func task2() throws {
    let dir = try makeDataset()
    let split = try SplitLocation(folder: dir.path("data/L3DAS22_Task2_dev"))
    let out = dir.path("features")
    let report = try Preprocessing.run(
      split: split, output: out, configuration: task2Configuration())
    #expect(report.computedShards == 2 && report.resumedShards == 0 && report.problems.isEmpty)
    let items = try split.task2Items().sortedItems()
    #expect(report.manifest.shards.flatMap(\.entries).map(\.id) == items.map(\.id.description))
    let spectrum = try SELDnetSpectrum()
    let labels = Task2LabelMatrix(configuration: .init(durationSeconds: 2))
    for shard in report.manifest.shards {
      let (xHeader, x) = try NumPyFile.readFloats(
        out.appendingPathComponent(try #require(shard.predictors)))
      let (yHeader, y) = try NumPyFile.readFloats(
        out.appendingPathComponent(try #require(shard.targets)))
      #expect(xHeader.shape == [shard.entries.count, 8, 256, 160])
      #expect(yHeader.shape == [shard.entries.count, 20, 168])
      for entry in shard.entries {
        let item = try #require(items.first { $0.id.description == entry.id })
        let features = spectrum.features(of: try item.loadRecording().audio)
        let matrix = try labels.matrix(for: try item.loadLabels())
        let xSize = 8 * 256 * 160
        #expect(
          Array(x[(entry.firstRow * xSize)..<((entry.firstRow + 1) * xSize)]) == features.values)
        #expect(
          Array(y[(entry.firstRow * 20 * 168)..<((entry.firstRow + 1) * 20 * 168)]) == matrix.values
        )
      }
    }
    let manifest = try JSONDecoder().decode(
      PreprocessManifest.self, from: Data(contentsOf: out.appendingPathComponent("manifest.json")))
    #expect(manifest == report.manifest)
    // No temporary file is left; the hidden entries are the output marker and the lock.
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasPrefix(".") }
        .sorted() == [".l3das-lock", ".l3das-output.json"])
  }

  @Test(
    "Task 2 log-mel and intensity-vector features are written with 8 frames per label frame",
    arguments: [PreprocessConfiguration.Task2Features.logmel, .logmelIntensity])
  func task2DCASEFeatures(features: PreprocessConfiguration.Task2Features) throws {
    let dir = try makeDataset()
    let split = try SplitLocation(folder: dir.path("data/L3DAS22_Task2_dev"))
    let out = dir.path("features")
    var configuration = task2Configuration()
    configuration.task2Features = features
    let report = try Preprocessing.run(split: split, output: out, configuration: configuration)
    #expect(report.problems.isEmpty)
    let items = try split.task2Items().sortedItems()
    let logMel = try LogMelSpectrogram(sampleRate: 32_000)
    let intensity = try IntensityVectors(sampleRate: 32_000)
    let channels = features == .logmel ? 8 : 8 + 6
    for shard in report.manifest.shards {
      let (header, x) = try NumPyFile.readFloats(
        out.appendingPathComponent(try #require(shard.predictors)))
      #expect(header.shape == [shard.entries.count, channels, 64, 160])
      for entry in shard.entries {
        let item = try #require(items.first { $0.id.description == entry.id })
        let audio = try item.loadRecording().audio
        var parts = [logMel.features(of: audio)]
        if features == .logmelIntensity { parts.append(try intensity.features(of: audio)) }
        #expect(parts[0].shape == [8, 64, 161])  // centre padding: one frame more, cut to 160
        let size = channels * 64 * 160
        let row = Array(x[(entry.firstRow * size)..<((entry.firstRow + 1) * size)])
        var expected: [Float] = []
        for part in parts {
          for r in 0..<(part.shape[0] * 64) {
            expected += part.values[(r * 161)..<(r * 161 + 160)]
          }
        }
        #expect(row == expected)
      }
    }
    #expect(report.manifest.configuration.task2Features == features)
  }

  @Test("a second run reuses complete shards and recomputes missing or differently configured ones")
  func resume() throws {
    let dir = try makeDataset()
    let split = try SplitLocation(folder: dir.path("data/L3DAS22_Task2_dev"))
    let out = dir.path("features")
    let configuration = task2Configuration(microphones: 1)
    let first = try Preprocessing.run(split: split, output: out, configuration: configuration)
    let bytes = try Data(contentsOf: out.appendingPathComponent("shard-00001.predictors.npy"))
    let again = try Preprocessing.run(split: split, output: out, configuration: configuration)
    #expect(again.resumedShards == 2 && again.computedShards == 0)
    #expect(again.manifest == first.manifest)
    // An interrupted run never wrote shard 1's record: only shard 1 is recomputed.
    try FileManager.default.removeItem(at: out.appendingPathComponent("shard-00001.json"))
    let partial = try Preprocessing.run(split: split, output: out, configuration: configuration)
    #expect(partial.resumedShards == 1 && partial.computedShards == 1)
    #expect(try Data(contentsOf: out.appendingPathComponent("shard-00001.predictors.npy")) == bytes)
    var phase = configuration
    phase.includesPhase = true
    let changed = try Preprocessing.run(split: split, output: out, configuration: phase)
    #expect(changed.computedShards == 2)
    #expect(changed.manifest.shards[0].predictorShape == [2, 8, 256, 160])
  }

  @Test("sharded runs into one folder, merged, give the unsharded manifest and the same arrays")
  func shardedMerge() throws {
    let dir = try makeDataset()
    let split = try SplitLocation(folder: dir.path("data/L3DAS22_Task2_dev"))
    var configuration = task2Configuration(microphones: 1)
    configuration.itemsPerShard = 1
    let whole = try Preprocessing.run(split: split, output: dir.path("whole"), configuration: configuration)
    let out = dir.path("sharded")
    #expect(throws: ShardError.self) { try Preprocessing.merge(output: out) }
    let second = try Preprocessing.run(
      split: split, output: out, configuration: configuration, shard: try Shard(index: 2, count: 2))
    #expect(second.manifest.shards.map(\.index) == [1])
    #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent(Preprocessing.manifestName).path))
    let missing = #expect(throws: ShardError.self) { try Preprocessing.merge(output: out) }
    #expect(missing?.message.contains("missing shard 1/2") == true)
    _ = try Preprocessing.run(
      split: split, output: out, configuration: configuration, shard: try Shard(index: 1, count: 2))
    let merged = try Preprocessing.merge(output: out)
    #expect(merged.manifest == whole.manifest)
    #expect(
      try Data(contentsOf: out.appendingPathComponent(Preprocessing.manifestName))
        == Data(contentsOf: dir.path("whole").appendingPathComponent(Preprocessing.manifestName)))
    for record in whole.manifest.shards {
      for file in [record.predictors, record.targets].compactMap({ $0 }) {
        #expect(
          try Data(contentsOf: out.appendingPathComponent(file))
            == Data(contentsOf: dir.path("whole").appendingPathComponent(file)), "\(file)")
      }
    }
    // A lost output shard file is named before any manifest is written.
    try FileManager.default.removeItem(at: out.appendingPathComponent(Preprocessing.manifestName))
    try FileManager.default.removeItem(at: out.appendingPathComponent(whole.manifest.shards[2].predictors ?? ""))
    let lost = #expect(throws: ShardError.self) { try Preprocessing.merge(output: out) }
    #expect(lost?.message.contains("is missing") == true)
  }

  @Test("an unreadable item is listed and skipped, or stops the run with strict")
  func problems() throws {
    let dir = try makeDataset()
    let folder = dir.path("data/L3DAS22_Task2_dev")
    let split = try SplitLocation(folder: folder)
    let broken = try split.task2Items().sortedItems()[1]
    try Data("not a wav".utf8).write(to: broken.micA)
    let out = dir.path("features")
    let report = try Preprocessing.run(
      split: split, output: out, configuration: task2Configuration())
    #expect(report.problems.map(\.id) == [broken.id.description])
    #expect(report.problems.first?.message.contains(broken.micA.lastPathComponent) == true)
    #expect(report.itemCount == 2)
    #expect(report.manifest.shards[0].predictorShape == [1, 8, 256, 160])
    #expect(throws: (any Error).self) {
      try Preprocessing.run(
        split: split, output: dir.path("strict"), configuration: task2Configuration(), strict: true)
    }
    #expect(!FileManager.default.fileExists(atPath: dir.path("strict/manifest.json").path))
    let wrongTask = #expect(throws: PreprocessError.self) {
      try Preprocessing.run(
        split: split, output: dir.path("x"),
        configuration: .baseline(task: .speechEnhancement, edition: .l3das22))
    }
    #expect(wrongTask?.code == .invalidOptions)
  }

  @Test(
    "a missing mic B file, a wrong sample rate and a label file without its recording are reported and skipped; strict refuses them"
  )
  func mismatchedInputs() throws {
    let dir = try makeDataset()
    let folder = dir.path("data/L3DAS22_Task2_dev")
    let split = try SplitLocation(folder: folder)
    let items = try split.task2Items().sortedItems()
    try FileManager.default.removeItem(at: items[0].micB)
    let slow = AudioBuffer(
      channels: Array(repeating: [Float](repeating: 0.1, count: 2 * 16_000), count: 4),
      sampleRate: 16_000)
    try AudioFile.write(slow, to: items[1].micA, format: .pcm16)
    let id = items[2].id.description
    let orphanName = "label_" + id.split(separator: "_").dropLast().joined(separator: "_") + "_999.csv"
    let orphan = folder.appendingPathComponent("labels/\(orphanName)")
    try FileManager.default.copyItem(at: items[2].labels, to: orphan)

    let report = try Preprocessing.run(
      split: split, output: dir.path("features"), configuration: task2Configuration())
    #expect(report.itemCount == 1)
    #expect(
      report.problems.map(\.id)
        == ["labels/\(orphanName)", items[0].id.description, items[1].id.description])
    let messages = report.problems.map(\.message)
    #expect(messages[0].contains("without its recording") && messages[0].contains("_999_A.wav"))
    #expect(messages[1].contains(items[0].micB.lastPathComponent))
    #expect(messages[2].contains("32000 Hz") && messages[2].contains("16000 Hz"))
    let manifest = try JSONDecoder().decode(
      PreprocessManifest.self, from: Data(contentsOf: dir.path("features/manifest.json")))
    #expect(manifest.problems.map(\.id) == [items[0].id.description, items[1].id.description])

    // Strict: the orphan label file refuses the split before anything is computed, then the
    // first broken item stops the run; neither leaves a manifest or a shard behind.
    let refused = #expect(throws: PreprocessError.self) {
      try Preprocessing.run(
        split: split, output: dir.path("strict"), configuration: task2Configuration(), strict: true)
    }
    #expect(refused?.code == .unmatchedFiles)
    #expect(refused?.message.contains(orphanName) == true)
    try FileManager.default.removeItem(at: orphan)
    #expect(throws: (any Error).self) {
      try Preprocessing.run(
        split: split, output: dir.path("strict"), configuration: task2Configuration(), strict: true)
    }
    let left = (try? FileManager.default.contentsOfDirectory(atPath: dir.path("strict").path)) ?? []
    #expect(left.isEmpty, "left behind: \(left)")
  }

  @Test("Task 1 mixtures and clean speech are cut into padded chunks or to a fixed length")
  func task1() throws {
    let dir = try makeDataset(task: .speechEnhancement)
    let split = try SplitLocation(folder: dir.path("data/L3DAS22_Task1_dev"))
    let items = try split.task1Items().sortedItems()
    var configuration = PreprocessConfiguration.baseline(
      task: .speechEnhancement, edition: .l3das21)
    configuration.task1Segmenting = .chunks(16_000)
    let out = dir.path("chunks")
    let report = try Preprocessing.run(split: split, output: out, configuration: configuration)
    #expect(report.problems.isEmpty)
    let lengths = try items.map { try AudioFile.read($0.micA).frameCount }
    let rows = lengths.map { ($0 + 15_999) / 16_000 }
    #expect(report.manifest.shards[0].entries.map(\.rowCount) == rows)
    let shard = report.manifest.shards[0]
    #expect(shard.predictorShape == [rows.reduce(0, +), 4, 16_000])
    #expect(shard.targetShape == [rows.reduce(0, +), 1, 16_000])
    let (_, x) = try NumPyFile.readFloats(
      out.appendingPathComponent(try #require(shard.predictors)))
    let (_, y) = try NumPyFile.readFloats(out.appendingPathComponent(try #require(shard.targets)))
    let mixture = try AudioFile.read(items[0].micA)
    let clean = try items[0].loadClean()
    // Row 1 channel 2 is samples 16000..<32000 of mic A's third channel.
    let channel = Array(mixture.channel(2))
    #expect(
      Array(x[(1 * 4 + 2) * 16_000..<((1 * 4 + 3) * 16_000)]) == Array(
        channel[16_000..<min(32_000, channel.count)])
        + [Float](repeating: 0, count: max(0, 32_000 - channel.count)))
    let lastRow = rows[0] - 1
    let tail = Array(y[(lastRow * 16_000)..<((lastRow + 1) * 16_000)])
    let used = clean.frameCount - lastRow * 16_000
    #expect(Array(tail.prefix(used)) == Array(clean.samples[(lastRow * 16_000)...]))
    #expect(tail.dropFirst(used).allSatisfy { $0 == 0 })

    let fixed = try Preprocessing.run(
      split: split, output: dir.path("fixed"),
      configuration: .baseline(task: .speechEnhancement, edition: .l3das22, microphones: 2))
    #expect(fixed.manifest.shards[0].predictorShape == [2, 8, 76_672])
    #expect(fixed.manifest.shards[0].targetShape == [2, 1, 76_672])
  }
}
