public import AudioIO
public import Datasets
public import Foundation
public import L3DASCore
import ImageIO
import TensorModule

/// Writes a small L3DAS-format dataset that is laid out, named, sampled and labelled like
/// L3DAS22 (or L3DAS21), so every command runs offline without the real data.
///
/// - Task 1 splits (`L3DAS22_Task1_<split>/`): `data/<id>_A.wav`, `data/<id>_B.wav` (4-channel
///   FOA, 16 kHz), `labels/<id>.wav` (the dry speech), `labels/<id>.txt` (its transcript) and
///   `info.csv` (our own columns; the real file's columns are not published).
/// - Task 2 splits (`L3DAS22_Task2_<split>/`): `data/split<X>_ov<K>_<Y>_{A,B}.wav` (4-channel
///   FOA, 32 kHz, 30 s; 60 s for L3DAS21) and `labels/label_split<X>_ov<K>_<Y>.csv`.
///
/// Every item is generated from its own generator, forked from the seed by (task, split,
/// index), so the output is identical for a given seed whatever the thread count or the
/// other splits requested. Each split is assembled in a hidden folder and renamed into place
/// when complete, so an interrupted run leaves no half-written split.
///
/// ```swift
/// let report = try SyntheticDataset.generate(.init(), at: URL(fileURLWithPath: "l3das-data"))
/// ```
public enum SyntheticDataset {
  /// What to generate.
  public struct Configuration: Codable, Sendable, Equatable {
    /// Folder naming and Task 2 scene length follow this edition.
    public var edition: Edition = .l3das22
    /// Task 1 splits to write (empty: no Task 1).
    public var task1Splits: [Split] = [.train100, .dev, .test]
    /// Items per Task 1 split.
    public var task1ItemsPerSplit: Int = 4
    /// Task 2 splits to write (empty: no Task 2).
    public var task2Splits: [Split] = [.train, .dev, .test]
    /// Scenes per Task 2 split; overlaps cycle ov1, ov2, ov3.
    public var task2ItemsPerSplit: Int = 3
    /// Task 2 scene length in seconds; `nil` uses the edition's (30 s or 60 s).
    public var task2SceneSeconds: Double? = nil
    /// The seed every item's generator is forked from.
    public var seed: UInt64 = 0
    /// The WAV encoding (the challenge distributes 16-bit PCM).
    public var sampleFormat: AudioSampleFormat = .pcm16
    /// Nest each split as `X/X/data`, like the Kaggle L3DAS22 archive unpacks.
    public var kaggleNesting: Bool = false
    /// The room and microphone geometry.
    public var geometry: RoomGeometry = RoomGeometry()
    /// Folder of speech clips for Task 1; `nil` uses Debian's pocketsphinx-testdata clips.
    public var speechDirectory: String? = nil

    /// The defaults: both tasks, three splits each, a few items per split.
    public init() {}

    /// Task 2 scene length actually used.
    public var resolvedTask2SceneSeconds: Double { task2SceneSeconds ?? edition.task2SceneSeconds }

    /// Checks the configuration.
    /// - Throws: `SynthesisError.invalidConfiguration` naming the bad field.
    public func validate() throws {
      for split in task1Splits where !Task.speechEnhancement.splits.contains(split) {
        throw SynthesisError(
          .invalidConfiguration,
          "Task 1 has no split '\(split.rawValue)' (it has train100, train360, dev, test)")
      }
      for split in task2Splits where !Task.soundEventLocalizationDetection.splits.contains(split) {
        throw SynthesisError(
          .invalidConfiguration, "Task 2 has no split '\(split.rawValue)' (it has train, dev, test)"
        )
      }
      guard task1ItemsPerSplit >= 0, task2ItemsPerSplit >= 0 else {
        throw SynthesisError(.invalidConfiguration, "item counts must be non-negative")
      }
      guard resolvedTask2SceneSeconds >= 1, resolvedTask2SceneSeconds <= 600 else {
        throw SynthesisError(
          .invalidConfiguration, "Task 2 scenes must last 1–600 s, got \(resolvedTask2SceneSeconds)"
        )
      }
      guard task1Splits.count + task2Splits.count > 0 else {
        throw SynthesisError(.invalidConfiguration, "nothing to generate: no split selected")
      }
    }
  }

  /// What was written.
  public struct Report: Codable, Sendable {
    /// One written split.
    public struct SplitReport: Codable, Sendable {
      /// The task number (1 or 2).
      public var task: Int
      /// The split name.
      public var split: String
      /// The split folder.
      public var path: String
      /// Items written.
      public var itemCount: Int
      /// Total audio duration of the items, seconds.
      public var totalSeconds: Double
    }

    /// The dataset root.
    public var root: String
    /// The splits, in generation order.
    public var splits: [SplitReport]
    /// The configuration used (also saved as `l3das-synth.json` in the root).
    public var configuration: Configuration
  }

  /// The file, in the dataset root, that records the configuration a dataset was made with.
  public static let configurationFileName = "l3das-synth.json"

  /// Generates the dataset under `root` (created if missing).
  ///
  /// - Parameters:
  ///   - configuration: what to write.
  ///   - root: the dataset folder.
  ///   - overwrite: replace split folders that already exist; otherwise they are an error,
  ///     reported before anything is written.
  ///   - progress: receives one event per finished item.
  /// - Throws: `SynthesisError` for a bad configuration, existing output or a missing speech
  ///   corpus; `AudioIOError` / `DatasetError` for write failures.
  @discardableResult
  public static func generate(
    _ configuration: Configuration, at root: URL, overwrite: Bool = false,
    progress: any ProgressReporter = SilentProgress()
  ) throws -> Report {
    try configuration.validate()
    let fm = FileManager.default
    let jobs =
      configuration.task1Splits.map { (Task.speechEnhancement, $0) }
      + configuration.task2Splits.map { (Task.soundEventLocalizationDetection, $0) }
    // Every split folder is checked before anything is written: new, or (with `overwrite`)
    // one that an earlier `synth` wrote; never a real dataset's split or the current folder.
    if case .notAFolder(let kind) = OutputFolder.state(of: root) {
      throw SynthesisError(.outputExists, "\(root.path) is \(kind), not a folder; choose another --output folder")
    }
    for (task, split) in jobs {
      let folder = root.appendingPathComponent(
        split.folderName(task: task, edition: configuration.edition))
      guard fm.fileExists(atPath: folder.path) || OutputFolder.state(of: folder) != .absent else { continue }
      guard overwrite else {
        throw SynthesisError(
          .outputExists,
          "\(folder.path) already exists; choose another output folder or pass --overwrite")
      }
      do {
        try OutputFolder.checkReplaceable(
          folder, command: "synth",
          inputs: configuration.speechDirectory.map { [URL(fileURLWithPath: $0)] } ?? [],
          replace: true, option: "--output")
      } catch let error as OutputFolderError {
        throw SynthesisError(.outputExists, error.description)
      }
    }
    let corpus: SpeechCorpus? =
      configuration.task1Splits.isEmpty || configuration.task1ItemsPerSplit == 0
      ? nil
      : try SpeechCorpus(
        directory: configuration.speechDirectory.map { URL(fileURLWithPath: $0, isDirectory: true) }
          ?? SpeechCorpus.defaultDirectory,
        sampleRate: Task.speechEnhancement.sampleRate)
    do {
      try fm.createDirectory(at: root, withIntermediateDirectories: true)
    } catch {
      throw SynthesisError(
        .writeFailed, "\(root.path): cannot create the dataset folder: \(FileErrorText.describe(error))")
    }

    let total =
      configuration.task1Splits.count * configuration.task1ItemsPerSplit
      + configuration.task2Splits.count * configuration.task2ItemsPerSplit
    let counter = ConcurrentProgress(total: total, reporter: progress)
    var reports: [Report.SplitReport] = []
    for (task, split) in jobs {
      let report = try writeSplit(
        task: task, split: split, configuration: configuration, corpus: corpus, root: root,
        counter: counter)
      reports.append(report)
    }
    let report = Report(root: root.path, splits: reports, configuration: configuration)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try AtomicFile.write(
      try encoder.encode(configuration), to: root.appendingPathComponent(configurationFileName))
    return report
  }

  /// A Task 2 scene name for item `index` of `split`: overlaps cycle 1, 2, 3; train items
  /// spread over recording splits 0–3, dev uses split 4 (as the real data), test split 5
  /// (the real test names are not published).
  public static func task2ID(split: Split, index: Int) -> Task2RecordingID {
    switch split {
    case .train, .train100, .train360:
      Task2RecordingID(splitNumber: index % 4, overlap: (index / 4) % 3 + 1, index: index / 12 + 1)
    case .dev:
      Task2RecordingID(splitNumber: 4, overlap: index % 3 + 1, index: index / 3 + 1)
    case .test:
      Task2RecordingID(splitNumber: 5, overlap: index % 3 + 1, index: index / 3 + 1)
    }
  }

  /// A LibriSpeech-style Task 1 id (`speaker-chapter-utterance`) for item `index` of `split`
  /// made from speech clip number `clipIndex`.
  public static func task1ID(split: Split, index: Int, clipIndex: Int) throws -> Task1RecordingID {
    let chapter = 100 + (Split.allCases.firstIndex(of: split) ?? 0)
    let utterance = String(index).leftPadded(to: 4)
    return try Task1RecordingID(validating: "\(9100 + clipIndex)-\(chapter)-\(utterance)")
  }

  private static func itemGenerator(seed: UInt64, task: Task, split: Split, index: Int)
    -> SplitMix64
  {
    let splitNumber = UInt64(Split.allCases.firstIndex(of: split) ?? 0)
    let stream = UInt64(task.rawValue) << 48 | splitNumber << 32 | UInt64(index)
    return SplitMix64(seed: seed).fork(stream: stream)
  }

  private static func writeSplit(
    task: Task, split: Split, configuration: Configuration, corpus: SpeechCorpus?, root: URL,
    counter: ConcurrentProgress
  ) throws -> Report.SplitReport {
    let fm = FileManager.default
    let folderName = split.folderName(task: task, edition: configuration.edition)
    let destination = root.appendingPathComponent(folderName)
    StagingPath.removeStale(besides: destination)
    let staging = StagingPath.make(besides: destination)
    let content = configuration.kaggleNesting ? staging.appendingPathComponent(folderName) : staging
    do {
      for sub in ["data", "labels"] {
        try fm.createDirectory(
          at: content.appendingPathComponent(sub), withIntermediateDirectories: true)
      }
      let count =
        task == .speechEnhancement
        ? configuration.task1ItemsPerSplit : configuration.task2ItemsPerSplit
      let results = IndexedResults<(seconds: Double, infoRow: [String]?)>(count: count)
      DispatchQueue.concurrentPerform(iterations: count) { index in
        results.record(index) {
          var rng = itemGenerator(seed: configuration.seed, task: task, split: split, index: index)
          let result: (seconds: Double, infoRow: [String]?)
          if task == .speechEnhancement, let corpus {
            result = try writeTask1Item(
              index: index, split: split, corpus: corpus, configuration: configuration,
              into: content, using: &rng)
          } else {
            result = try writeTask2Item(
              index: index, split: split, configuration: configuration, into: content, using: &rng)
          }
          counter.advance(label: "\(folderName) item \(index + 1)")
          return result
        }
      }
      let items = try results.values()
      if task == .speechEnhancement {
        let header = [
          "id", "speech_clip", "speaker_x", "speaker_y", "speaker_z", "snr_db", "noise_classes",
        ]
        let rows = items.compactMap(\.infoRow).sorted { $0[0] < $1[0] }
        let text =
          ([header] + rows).map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n"
        try AtomicFile.write(text, to: content.appendingPathComponent("info.csv"))
      }
      if configuration.edition == .l3das23 {
        // The audio-visual part: one image per item (a "microphone position"), shared by its
        // mics A and B, paired in the split's headerless audio_image.csv.
        let stems =
          task == .speechEnhancement
          ? items.compactMap { $0.infoRow?.first }
          : (0..<count).map { task2ID(split: split, index: $0).description }
        try writeImages(task: task, split: split, stems: stems, configuration: configuration, root: root, pairsInto: content)
      }
      try OutputFolder.mark(staging, command: "synth")
      if fm.fileExists(atPath: destination.path) {
        let old = StagingPath.make(besides: destination, kind: "old")
        try fm.moveItem(at: destination, to: old)
        try fm.moveItem(at: staging, to: destination)
        try? fm.removeItem(at: old)
      } else {
        try fm.moveItem(at: staging, to: destination)
      }
      return Report.SplitReport(
        task: task.rawValue, split: split.rawValue, path: destination.path, itemCount: items.count,
        totalSeconds: items.reduce(0) { $0 + $1.seconds })
    } catch {
      try? fm.removeItem(at: staging)
      throw error
    }
  }

  /// The side of the synthetic L3DAS23 images, as the real ones: 512 pixels.
  public static let imageSide = 512

  /// Writes `L3DAS23_Task<N>_images/<task>_<split>_<n>.png` (blocky random colours, 512 × 512,
  /// deterministic for the seed) and the split's `audio_image.csv`.
  private static func writeImages(
    task: Task, split: Split, stems: [String], configuration: Configuration, root: URL, pairsInto folder: URL
  ) throws {
    let images = root.appendingPathComponent("L3DAS23_Task\(task.rawValue)_images", isDirectory: true)
    switch OutputFolder.state(of: images) {
    case .absent, .empty, .marked(command: "synth"):
      break
    default:
      throw SynthesisError(.outputExists, "\(images.path) exists and was not written by l3das synth; choose another output folder")
    }
    do {
      try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
      try OutputFolder.mark(images, command: "synth")
    } catch let error as OutputFolderError {
      throw SynthesisError(.writeFailed, error.description)
    }
    var pairs: [String: String] = [:]
    let written = IndexedResults<Void>(count: stems.count)
    DispatchQueue.concurrentPerform(iterations: stems.count) { index in written.record(index) {
      let splitNumber = UInt64(Split.allCases.firstIndex(of: split) ?? 0)
      var rng = SplitMix64(seed: configuration.seed).fork(
        stream: 0x49 << 56 | UInt64(task.rawValue) << 48 | splitNumber << 32 | UInt64(index))
      let side = imageSide
      let cell = 32
      var pixels = [UInt8](repeating: 0, count: side * side * 3)
      var colours: [[UInt8]] = []
      for _ in 0..<((side / cell) * (side / cell)) {
        colours.append((0..<3).map { _ in UInt8.random(in: 0...255, using: &rng) })
      }
      for y in 0..<side {
        for x in 0..<side {
          let colour = colours[(y / cell) * (side / cell) + x / cell]
          let p = 3 * (y * side + x)
          pixels[p] = colour[0]
          pixels[p + 1] = colour[1]
          pixels[p + 2] = colour[2]
        }
      }
      let name = "task\(task.rawValue)_\(split.rawValue)_\(index).png"
      try RGBImage(width: side, height: side, pixels: pixels).writePNG(to: images.appendingPathComponent(name))
    } }
    _ = try written.values()
    for (index, stem) in stems.enumerated() { pairs[stem] = "task\(task.rawValue)_\(split.rawValue)_\(index).png" }
    try AtomicFile.write(AudioImagePairs(images: pairs).csvText, to: folder.appendingPathComponent(AudioImagePairs.fileName))
  }

  private static func writeTask1Item(
    index: Int, split: Split, corpus: SpeechCorpus, configuration: Configuration, into folder: URL,
    using rng: inout SplitMix64
  ) throws -> (seconds: Double, infoRow: [String]?) {
    let clipIndex = Int.random(in: 0..<corpus.clips.count, using: &rng)
    let item = try Task1MixtureSynthesizer.synthesize(
      clip: corpus.clips[clipIndex], geometry: configuration.geometry, using: &rng)
    let id = try task1ID(split: split, index: index, clipIndex: clipIndex)
    let data = folder.appendingPathComponent("data")
    let labels = folder.appendingPathComponent("labels")
    try AudioFile.write(
      item.micA, to: data.appendingPathComponent(id.audioFileName(.a)),
      format: configuration.sampleFormat)
    try AudioFile.write(
      item.micB, to: data.appendingPathComponent(id.audioFileName(.b)),
      format: configuration.sampleFormat)
    try AudioFile.write(
      item.clean, to: labels.appendingPathComponent(id.cleanFileName),
      format: configuration.sampleFormat)
    try AtomicFile.write(
      item.transcript + "\n", to: labels.appendingPathComponent(id.transcriptFileName))
    let p = item.speakerPosition
    let row = [
      id.description, item.speechClip, format(p.x), format(p.y), format(p.z),
      format(item.snrDecibels), item.noiseClasses.map(\.officialName).joined(separator: ";"),
    ]
    return (item.micA.durationSeconds, row)
  }

  private static func writeTask2Item(
    index: Int, split: Split, configuration: Configuration, into folder: URL,
    using rng: inout SplitMix64
  ) throws -> (seconds: Double, infoRow: [String]?) {
    let id = task2ID(split: split, index: index)
    let scene = try Task2SceneSynthesizer.synthesize(
      sceneSeconds: configuration.resolvedTask2SceneSeconds, overlap: id.overlap,
      sampleRate: Task.soundEventLocalizationDetection.sampleRate, geometry: configuration.geometry,
      using: &rng)
    let data = folder.appendingPathComponent("data")
    try AudioFile.write(
      scene.micA, to: data.appendingPathComponent(id.audioFileName(.a)),
      format: configuration.sampleFormat)
    try AudioFile.write(
      scene.micB, to: data.appendingPathComponent(id.audioFileName(.b)),
      format: configuration.sampleFormat)
    try Task2Labels.write(
      scene.events,
      to: folder.appendingPathComponent("labels").appendingPathComponent(id.labelFileName),
      coordinates: configuration.edition.coordinates)
    return (scene.micA.durationSeconds, nil)
  }

  private static func format(_ value: Double) -> String {
    String(format: "%.3f", value)
  }
}

extension String {
  fileprivate func leftPadded(to length: Int) -> String {
    count >= length ? self : String(repeating: "0", count: length - count) + self
  }
}

#if canImport(Glibc)
  import Glibc
#endif
