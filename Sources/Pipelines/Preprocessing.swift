import AudioIO
public import Datasets
import Features
public import Foundation
public import L3DASCore
import NumPyIO

/// `l3das preprocess`: turns a split into model-ready NumPy arrays, streamed shard by shard.
///
/// Items are listed lazily from the split (URLs only) and sorted by id, then cut into shards
/// of `itemsPerShard`. For each shard the items are loaded and transformed in parallel, and
/// their rows written one after the other as `.npy` files with a `shard-<k>.json` record. A
/// shard is written in the background while the next is computed, so at most two shards are in
/// memory. Every file is written atomically, and a shard's record is written last, so an
/// interrupted run leaves only complete shards, and running again reuses every shard whose
/// record matches the configuration and item list. `manifest.json` (see `PreprocessManifest`)
/// is written at the end.
///
/// An item that cannot be used (unreadable audio, bad labels, wrong rate or length) is listed
/// as a problem and skipped; with `strict`, its error is thrown instead.
///
/// ```swift
/// let split = try SplitLocation(folder: dev)
/// let report = try Preprocessing.run(
///   split: split, output: out, configuration: .baseline(task: split.task, edition: split.edition))
/// ```
public enum Preprocessing {
  /// Name of the manifest in the output folder.
  public static let manifestName = "manifest.json"

  /// Preprocesses every item of `split` into `output` (created if missing).
  ///
  /// - Parameters:
  ///   - split: the split to read.
  ///   - output: the folder for shards and manifest.
  ///   - configuration: what to compute; its `task` must be the split's.
  ///   - strict: throw the first item problem instead of skipping the item, and refuse a split
  ///     with label files that have no recording (`PreprocessError.unmatchedFiles`) before
  ///     anything is computed.
  ///   - progress: receives one event per item.
  /// - Returns: the manifest and counts of computed and reused shards.
  /// - Throws: `PreprocessError` for unusable options or output; with `strict`, the error of
  ///   the first failing item (`AudioIOError`, `DatasetError`, `FeatureError`).
  ///   - shard: with `K/N`, only the output shards at positions ≡ K − 1 mod N are computed, and
  ///     `manifest.shard-K-of-N.json` is written instead of the manifest; `merge(output:)`
  ///     writes `manifest.json` once every shard is done (the output shard files are the same
  ///     as an unsharded run's, so shards may share one folder or be copied together).
  public static func run(
    split: SplitLocation, output: URL, configuration: PreprocessConfiguration, strict: Bool = false,
    shard: Shard = .all, progress: any ProgressReporter = SilentProgress()
  ) throws -> PreprocessReport {
    guard configuration.task == split.task else {
      throw PreprocessError(
        .invalidOptions,
        "\(split.name) is a Task \(split.task.rawValue) split, but Task \(configuration.task.rawValue) preprocessing was asked for"
      )
    }
    guard configuration.microphones == 1 || configuration.microphones == 2 else {
      throw PreprocessError(
        .invalidOptions, "microphones must be 1 or 2, got \(configuration.microphones)")
    }
    guard configuration.itemsPerShard >= 1 else {
      throw PreprocessError(.invalidOptions, "itemsPerShard must be at least 1")
    }
    guard configuration.task1Segmenting.length >= 1 else {
      throw PreprocessError(.invalidOptions, "the Task 1 segment length must be at least 1 sample")
    }
    guard configuration.sceneSeconds >= 0.1 else {
      throw PreprocessError(.invalidOptions, "sceneSeconds must be at least 0.1")
    }
    let jobs = try itemJobs(split: split)
    guard !jobs.isEmpty else {
      throw PreprocessError(
        .empty,
        "\(split.folders.map(\.path).joined(separator: ", ")): the split holds no items (no data/<id>_A.wav)"
      )
    }
    // Label files whose recording is missing are not items, so no item reports them: list
    // them here (or, with strict, refuse the split before anything is computed).
    let orphans = split.check().filter { $0.kind == .orphanLabel }.map { problem in
      let file = URL(fileURLWithPath: problem.path)
      return PreprocessProblem(
        id: "labels/" + file.lastPathComponent,
        message: "\(problem.message), so the file is ignored (\(file.path))")
    }
    if strict, !orphans.isEmpty {
      throw PreprocessError(
        .unmatchedFiles,
        "\(orphans.count) label file\(orphans.count == 1 ? "" : "s") without a recording: "
          + orphans.prefix(5).map(\.description).joined(separator: "; ")
          + (orphans.count > 5 ? "; …" : ""))
    }
    // The output folder: new, empty, or an earlier preprocess run's (resumed); never the
    // split itself. Runs from before the marker are recognised by their shard records.
    let lock: FolderLock
    let createdNow = OutputFolder.state(of: output) == .absent
    do {
      let earlierRun = ((try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? [])
        .contains { $0.hasPrefix("shard-") && $0.hasSuffix(".json") || $0 == manifestName }
      try OutputFolder.checkReplaceable(
        output, command: "preprocess", inputs: split.folders, replace: true,
        acceptUnmarked: earlierRun)
      try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
      lock = try FolderLock(output, command: "preprocess")
      try OutputFolder.mark(output, command: "preprocess")
    } catch let error as OutputFolderError {
      throw PreprocessError(.writeFailed, error.description)
    } catch {
      throw PreprocessError(
        .writeFailed,
        "\(output.path): cannot create the output folder: \(FileErrorText.describe(error))")
    }
    defer { withExtendedLifetime(lock) {} }
    // A run that fails before writing anything leaves no folder it created.
    var succeeded = false
    defer {
      let bookkeeping: Set<String> = [OutputFolder.markerName, FolderLock.fileName]
      if !succeeded, createdNow,
        ((try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []).allSatisfy(bookkeeping.contains)
      {
        try? FileManager.default.removeItem(at: output)
      }
    }
    StagingPath.removeStale(in: output)
    let transform = try ItemTransform(configuration: configuration, labelled: split.expectsLabels)
    let size = configuration.itemsPerShard
    let starts = Array(stride(from: 0, to: jobs.count, by: size))
    let mine = starts.indices.filter { shard.contains(position: $0) }
    let counter = ConcurrentProgress(
      total: mine.reduce(0) { $0 + min(size, jobs.count - starts[$1]) }, reporter: progress)
    var shards: [PreprocessManifest.Shard] = []
    var computed = 0
    var resumed = 0
    // A shard is written on a background queue while the next one is computed (at most one
    // write in flight, so at most two shards are in memory).
    let writer = BackgroundWriter()
    defer { try? writer.wait() }
    for index in mine {
      let start = starts[index]
      let shardJobs = Array(jobs[start..<min(start + size, jobs.count)])
      let ids = shardJobs.map(\.id)
      let fingerprint = try inputFingerprint(shardJobs, labelled: split.expectsLabels)
      if let done = completedShard(
        index: index, ids: ids, configuration: configuration, fingerprint: fingerprint, in: output)
      {
        shards.append(done)
        resumed += 1
        for id in ids { counter.advance(label: id) }
        continue
      }
      var computedShard = try computeShard(
        index: index, jobs: shardJobs, transform: transform, configuration: configuration,
        strict: strict, counter: counter)
      computedShard.record.inputFingerprint = fingerprint
      let shard = computedShard
      try writer.wait()
      writer.submit { try writeShard(shard, to: output) }
      shards.append(shard.record)
      computed += 1
    }
    try writer.wait()
    let manifest = PreprocessManifest(
      split: split.name, configuration: configuration, shards: shards)
    let url: URL
    if shard.isAll {
      url = output.appendingPathComponent(manifestName)
      try writeJSON(manifest, to: url)
    } else {
      url = output.appendingPathComponent(shardManifestName(shard))
      try writeJSON(
        PreprocessShardManifest(shard: shard, outputShardCount: starts.count, manifest: manifest),
        to: url)
    }
    succeeded = true
    return PreprocessReport(
      manifest: manifest, manifestPath: url.path, computedShards: computed, resumedShards: resumed,
      itemCount: manifest.itemCount, rowCount: manifest.rowCount,
      problems: orphans + manifest.problems)
  }

  /// The partial manifest a `--shard K/N` run writes: `manifest.shard-K-of-N.json`.
  public static func shardManifestName(_ shard: Shard) -> String {
    "manifest.shard-\(shard.index)-of-\(shard.count).json"
  }

  /// Writes `manifest.json` in `output` from the partial manifests of a sharded run
  /// (`manifest.shard-K-of-N.json`, every K once), equal to the manifest of an unsharded run.
  ///
  /// - Throws: `ShardError` for missing, repeated or mismatched shards (another split,
  ///   configuration or N) and for output shard files that are missing; `PreprocessError` for
  ///   unreadable manifests.
  public static func merge(output: URL) throws -> PreprocessReport {
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? [])
      .filter { $0.hasPrefix("manifest.shard-") && $0.hasSuffix(".json") }.sorted()
    guard !names.isEmpty else {
      throw ShardError("\(output.path): no manifest.shard-K-of-N.json files (written by 'l3das preprocess --shard K/N')")
    }
    var parts: [PreprocessShardManifest] = []
    for name in names {
      let url = output.appendingPathComponent(name)
      do {
        parts.append(try JSONDecoder().decode(PreprocessShardManifest.self, from: Data(contentsOf: url)))
      } catch {
        throw PreprocessError(.invalidOptions, "\(url.path): not a partial preprocess manifest: \(error)")
      }
    }
    try Shard.checkComplete(parts.map(\.shard), names: names)
    let first = parts[0]
    for (part, name) in zip(parts, names).dropFirst() {
      guard part.manifest.split == first.manifest.split,
        part.manifest.configuration == first.manifest.configuration,
        part.outputShardCount == first.outputShardCount
      else {
        throw ShardError("\(name) is not from the same run as \(names[0]) (another split, configuration or item count)")
      }
    }
    let shards = parts.flatMap(\.manifest.shards).sorted { $0.index < $1.index }
    guard shards.map(\.index) == Array(0..<first.outputShardCount) else {
      throw ShardError(
        "the partial manifests hold output shards \(shards.map(\.index)), expected 0..<\(first.outputShardCount)")
    }
    for record in shards {
      for file in [record.predictors, record.targets].compactMap({ $0 })
      where !FileManager.default.fileExists(atPath: output.appendingPathComponent(file).path) {
        throw ShardError("\(output.appendingPathComponent(file).path) is missing: copy every shard's output into \(output.path) first")
      }
    }
    let manifest = PreprocessManifest(
      split: first.manifest.split, configuration: first.manifest.configuration, shards: shards)
    let url = output.appendingPathComponent(manifestName)
    try writeJSON(manifest, to: url)
    return PreprocessReport(
      manifest: manifest, manifestPath: url.path, computedShards: 0, resumedShards: shards.count,
      itemCount: manifest.itemCount, rowCount: manifest.rowCount, problems: manifest.problems)
  }

  // MARK: - Items

  /// One item to load: its id and where its files are.
  struct Job: Sendable {
    var id: String
    var micA: URL
    var micB: URL
    /// Task 1 clean speech or Task 2 label CSV.
    var target: URL
    /// L3DAS23: the item's image (from the split's `audio_image.csv`), if paired.
    var image: URL? = nil
  }

  /// The items of `split` for a `predict` run of `task`, after the checks both tasks share:
  /// the split's task, 1 or 2 microphones, and at least one item.
  static func predictionJobs(split: SplitLocation, task: Task, microphones: Int) throws -> [Job] {
    guard split.task == task else {
      throw PreprocessError(
        .invalidOptions,
        "\(split.name) is a Task \(split.task.rawValue) split; Task \(task.rawValue) prediction needs a Task \(task.rawValue) split")
    }
    guard microphones == 1 || microphones == 2 else {
      throw PreprocessError(.invalidOptions, "microphones must be 1 or 2, got \(microphones)")
    }
    let jobs = try itemJobs(split: split)
    guard !jobs.isEmpty else {
      throw PreprocessError(
        .empty, "\(split.folders.map(\.path).joined(separator: ", ")): the split holds no items")
    }
    return jobs
  }

  static func itemJobs(split: SplitLocation) throws -> [Job] {
    var jobs: [Job] =
      switch split.task {
      case .speechEnhancement:
        try split.task1Items().sortedItems().map {
          Job(id: $0.id.description, micA: $0.micA, micB: $0.micB, target: $0.clean)
        }
      case .soundEventLocalizationDetection:
        try split.task2Items().sortedItems().map {
          Job(id: $0.id.description, micA: $0.micA, micB: $0.micB, target: $0.labels)
        }
      }
    if split.edition == .l3das23, let (pairs, images) = imagePairs(split) {
      for index in jobs.indices {
        jobs[index].image = pairs.image(for: jobs[index].id).map { images.appendingPathComponent($0) }
      }
    }
    return jobs
  }

  /// L3DAS23: the split's `audio_image.csv` and its task's images folder, when both exist.
  static func imagePairs(_ split: SplitLocation) -> (AudioImagePairs, URL)? {
    guard let file = AudioImagePairs.file(in: split.roots + split.folders),
      let pairs = try? AudioImagePairs.read(file),
      let images = AudioImagePairs.imagesFolder(for: file.deletingLastPathComponent(), task: split.task)
    else { return nil }
    return (pairs, images)
  }

  // MARK: - Shards

  static func shardName(_ index: Int) -> String {
    let digits = String(index)
    return "shard-" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
  }

  /// The identity of the input files of `jobs` (mixtures, and targets when `labelled`).
  static func inputFingerprint(_ jobs: [Job], labelled: Bool) throws -> String {
    var files: [URL] = []
    for job in jobs {
      files.append(job.micA)
      if FileManager.default.fileExists(atPath: job.micB.path) { files.append(job.micB) }
      if labelled { files.append(job.target) }
    }
    do {
      return try FileFingerprint.combined(files)
    } catch {
      // An unreadable input: no reuse; the item reports its own error when computed.
      return "unreadable-\(UUID().uuidString)"
    }
  }

  /// The record of shard `index` if an earlier run completed it with the same items,
  /// configuration and input files (`fingerprint`), and its arrays are still there, whole:
  /// each `.npy` parses and has exactly the bytes its header and the record announce.
  static func completedShard(
    index: Int, ids: [String], configuration: PreprocessConfiguration, fingerprint: String,
    in output: URL
  ) -> PreprocessManifest.Shard? {
    let url = output.appendingPathComponent(shardName(index) + ".json")
    guard let data = try? Data(contentsOf: url),
      let shard = try? JSONDecoder().decode(PreprocessManifest.Shard.self, from: data),
      shard.index == index, shard.assignedIDs == ids, shard.configuration == configuration,
      shard.inputFingerprint == fingerprint
    else { return nil }
    for (name, shape) in [(shard.predictors, shard.predictorShape), (shard.targets, shard.targetShape)] {
      guard let name else { continue }
      let file = output.appendingPathComponent(name)
      guard let shape, let header = try? NumPyFile.header(of: file), header.shape == shape,
        header.dataType == .float32,
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path))?[.size] as? NSNumber,
        size.intValue == header.dataOffset + header.dataByteCount,
        shard.arrayByteCounts?[name] == size.intValue
      else { return nil }
    }
    return shard
  }

  /// What one item became: rows of predictors and (for labelled splits) targets.
  struct ItemArrays: Sendable {
    var predictors: [FeatureTensor]
    var targets: [FeatureTensor]?
  }

  /// A computed shard: its record and the rows of its arrays, item by item.
  struct ComputedShard: Sendable {
    var record: PreprocessManifest.Shard
    var predictors: [FeatureTensor]
    var targets: [FeatureTensor]
  }

  /// Loads and transforms the items of one shard in parallel; nothing is written.
  static func computeShard(
    index: Int, jobs: [Job], transform: ItemTransform, configuration: PreprocessConfiguration,
    strict: Bool, counter: ConcurrentProgress
  ) throws -> ComputedShard {
    let results = IndexedResults<Result<ItemArrays, any Error>>(count: jobs.count)
    DispatchQueue.concurrentPerform(iterations: jobs.count) { i in
      results.record(i) {
        defer { counter.advance(label: jobs[i].id) }
        return Result { try transform.arrays(for: jobs[i]) }
      }
    }
    var entries: [PreprocessManifest.Entry] = []
    var problems: [PreprocessProblem] = []
    var predictors: [FeatureTensor] = []
    var targets: [FeatureTensor] = []
    var predictorShape: [Int]?
    var targetShape: [Int]?
    var rows = 0
    for (job, outcome) in zip(jobs, try results.values()) {
      let arrays: ItemArrays
      switch outcome {
      case .success(let value): arrays = value
      case .failure(let error):
        if strict { throw error }
        problems.append(PreprocessProblem(id: job.id, message: String(describing: error)))
        continue
      }
      // Every row of a shard must have one shape (a file of another length would not stack).
      let shape = arrays.predictors.first?.shape
      let tShape = arrays.targets?.first?.shape
      if let expected = predictorShape, expected != shape || targetShape != tShape {
        let error = FeatureError(
          .shapeMismatch,
          "features of shape \(shape ?? []) do not stack with the shard's \(expected)",
          path: job.micA.path)
        if strict { throw error }
        problems.append(PreprocessProblem(id: job.id, message: error.description))
        continue
      }
      predictorShape = shape
      targetShape = tShape
      predictors += arrays.predictors
      targets += arrays.targets ?? []
      entries.append(.init(id: job.id, firstRow: rows, rowCount: arrays.predictors.count, image: job.image?.path))
      rows += arrays.predictors.count
    }
    let name = shardName(index)
    var shard = PreprocessManifest.Shard(
      index: index, assignedIDs: jobs.map(\.id), predictors: nil, targets: nil,
      predictorShape: nil, targetShape: nil, entries: entries, problems: problems,
      configuration: configuration)
    if let predictorShape, rows > 0 {
      shard.predictors = name + ".predictors.npy"
      shard.predictorShape = [rows] + predictorShape
      if let targetShape {
        shard.targets = name + ".targets.npy"
        shard.targetShape = [rows] + targetShape
      }
      var sizes: [String: Int] = [:]
      for case (let file?, let shape?) in [(shard.predictors, shard.predictorShape), (shard.targets, shard.targetShape)] {
        sizes[file] = NumPyFile.encode([], shape: shape).count + shape.reduce(1, *) * MemoryLayout<Float>.size
      }
      shard.arrayByteCounts = sizes
    }
    return ComputedShard(record: shard, predictors: predictors, targets: targets)
  }

  /// Writes a computed shard's arrays, then its record (last, so that a record always means
  /// complete arrays).
  static func writeShard(_ shard: ComputedShard, to output: URL) throws {
    let record = shard.record
    if let name = record.predictors, let shape = record.predictorShape {
      try writeArray(shard.predictors.map(\.values), shape: shape, name: name, in: output)
    }
    if let name = record.targets, let shape = record.targetShape {
      try writeArray(shard.targets.map(\.values), shape: shape, name: name, in: output)
    }
    try writeJSON(record, to: output.appendingPathComponent(shardName(record.index) + ".json"))
  }

  /// Writes the rows `pieces` (one after the other, C-order) as one float32 `.npy` of `shape`,
  /// atomically, straight from their memory: no stacked copy is made.
  /// - Returns: the file's byte count.
  @discardableResult
  static func writeArray(_ pieces: [[Float]], shape: [Int], name: String, in output: URL) throws -> Int {
    let url = output.appendingPathComponent(name)
    do {
      guard pieces.reduce(0, { $0 + $1.count }) == shape.reduce(1, *) else {
        throw PreprocessError(.writeFailed, "rows do not fill the shape \(shape)")
      }
      // The header alone: `encode` with no values.
      let header = NumPyFile.encode([], shape: shape)
      try AtomicFile.write(to: url) { temporary in
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else {
          throw PreprocessError(.writeFailed, String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        try header.withUnsafeBytes { try writeAll(descriptor, $0) }
        for piece in pieces {
          if UInt32(1).littleEndian == 1 {
            try piece.withUnsafeBytes { try writeAll(descriptor, $0) }
          } else {
            try piece.map { $0.bitPattern.littleEndian }.withUnsafeBytes {
              try writeAll(descriptor, $0)
            }
          }
        }
      }
      return header.count + shape.reduce(1, *) * MemoryLayout<Float>.size
    } catch let error as PreprocessError {
      throw PreprocessError(.writeFailed, "\(url.path): \(error.message)")
    } catch {
      throw PreprocessError(.writeFailed, "\(url.path): \(FileErrorText.describe(error))")
    }
  }

  private static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws {
    guard let base = bytes.baseAddress else { return }
    var offset = 0
    while offset < bytes.count {
      let written = Foundation.write(descriptor, base + offset, bytes.count - offset)
      if written < 0 {
        if errno == EINTR { continue }
        throw PreprocessError(.writeFailed, String(cString: strerror(errno)))
      }
      offset += written
    }
  }

  static func writeJSON(_ value: some Encodable, to url: URL) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    do {
      try AtomicFile.write(try encoder.encode(value), to: url)
    } catch {
      throw PreprocessError(.writeFailed, "\(url.path): cannot write: \(error)")
    }
  }
}

/// Runs writes one at a time on a background queue and keeps the first error.
final class BackgroundWriter: @unchecked Sendable {
  private let queue = DispatchQueue(label: "l3das.preprocess.writer")
  private let group = DispatchGroup()
  private let lock = NSLock()
  private var failure: (any Error)?

  /// Queues `work`.
  func submit(_ work: @escaping @Sendable () throws -> Void) {
    queue.async(group: group) {
      do {
        try work()
      } catch {
        self.lock.withLock { if self.failure == nil { self.failure = error } }
      }
    }
  }

  /// Waits for every queued write; throws the first error of any of them.
  func wait() throws {
    group.wait()
    if let failure = lock.withLock({ failure }) { throw failure }
  }
}
