import Datasets
import Foundation
import L3DASCore
import NumPyIO

/// The items of an `l3das preprocess` output folder, read row by row from memory-mapped shards,
/// so a split of any size trains in bounded memory (the page cache holds what is used).
///
/// Task 2 items are one row each (features and label matrix of a scene); Task 1 items are one
/// row (fixed length) or several (2 s pieces), mixture `[C, S]` and clean target `[1, S]`.
struct TrainingData {
  /// One item: its shard and rows.
  struct Item {
    var id: String
    var shard: Int
    var firstRow: Int
    var rowCount: Int
  }

  /// One training example: a row of a shard.
  struct Row: Equatable {
    var shard: Int
    var row: Int
  }

  /// A memory-mapped float32 array and its header.
  struct MappedArray {
    let data: Data
    let header: NumPyHeader
    var rowValues: Int { header.shape.dropFirst().reduce(1, *) }

    init(_ url: URL) throws {
      do {
        data = try Data(contentsOf: url, options: .alwaysMapped)
      } catch {
        throw TrainingError(.invalidData, "\(url.path): cannot read (\(error.localizedDescription))")
      }
      header = try data.withUnsafeBytes { raw in
        try NumPyFile.header(of: raw, path: url.path)
      }
      guard header.dataType == .float32, !header.isFortranOrder else {
        throw TrainingError(.invalidData,
          "\(url.path): expected a C-order little-endian float32 array as l3das preprocess writes, found \(header.dataType)")
      }
      guard data.count - header.dataOffset >= header.dataByteCount else {
        throw TrainingError(.invalidData, "\(url.path): truncated (shape \(header.shape) needs \(header.dataByteCount) bytes)")
      }
    }

    /// Appends row `row` to `values`.
    func append(row: Int, to values: inout [Float]) {
      let count = rowValues
      data.withUnsafeBytes { raw in
        let start = header.dataOffset + row * count * 4
        let source = UnsafeRawBufferPointer(rebasing: raw[start..<(start + count * 4)])
        let old = values.count
        values.append(contentsOf: repeatElement(0, count: count))
        values.withUnsafeMutableBytes { target in
          target.baseAddress!.advanced(by: old * 4).copyMemory(
            from: source.baseAddress!, byteCount: count * 4)
        }
      }
    }
  }

  /// The task of the preprocessed split.
  let task: Task
  let predictors: [MappedArray]
  let targets: [MappedArray]
  /// Every item, in id order.
  let items: [Item]
  /// One row of the predictors: `[C, F, T]` (Task 2) or `[C, S]` (Task 1).
  let featureShape: [Int]
  /// One row of the targets: `[frames, 4k]` (Task 2) or `[1, S]` (Task 1).
  let targetShape: [Int]

  /// Opens the preprocessed folder `folder` (`manifest.json` and its shards).
  /// - Throws: `TrainingError` when the folder is not a complete, labelled output.
  init(folder: URL) throws {
    let manifestURL = folder.appendingPathComponent(Preprocessing.manifestName)
    let manifest: PreprocessManifest
    let data: Data
    do {
      data = try RegularFile.read(manifestURL, limit: 1 << 30)
    } catch let failure as RegularFile.Failure {
      throw TrainingError(
        .invalidData,
        failure.reason == .missing
          ? "\(folder.path) holds no \(Preprocessing.manifestName): --data must be an 'l3das preprocess' output folder (run l3das preprocess first)"
          : "\(failure.description); --data must be an 'l3das preprocess' output folder")
    }
    do {
      manifest = try JSONDecoder().decode(PreprocessManifest.self, from: data)
    } catch {
      throw TrainingError(
        .invalidData,
        "\(manifestURL.path): not a readable l3das preprocess manifest; run l3das preprocess again")
    }
    task = manifest.configuration.task
    var predictors: [MappedArray] = []
    var targets: [MappedArray] = []
    var items: [Item] = []
    for shard in manifest.shards where !shard.entries.isEmpty {
      guard let x = shard.predictors, let y = shard.targets else {
        throw TrainingError(.invalidData, "shard \(shard.index) of \(folder.path) has no targets: training needs a labelled split")
      }
      let index = predictors.count
      let shardPredictors = try MappedArray(folder.appendingPathComponent(x))
      let shardTargets = try MappedArray(folder.appendingPathComponent(y))
      let rows = min(shardPredictors.header.shape.first ?? 0, shardTargets.header.shape.first ?? 0)
      for entry in shard.entries {
        guard entry.rowCount >= 1, entry.firstRow >= 0, entry.firstRow + entry.rowCount <= rows else {
          throw TrainingError(.invalidData, "\(folder.path): \(entry.id) lies outside the rows of shard \(shard.index); preprocess again")
        }
        items.append(Item(id: entry.id, shard: index, firstRow: entry.firstRow, rowCount: entry.rowCount))
      }
      predictors.append(shardPredictors)
      targets.append(shardTargets)
    }
    guard let first = predictors.first, let firstTargets = targets.first else {
      throw TrainingError(.invalidData, "\(folder.path): the manifest lists no items")
    }
    featureShape = Array(first.header.shape.dropFirst())
    targetShape = Array(firstTargets.header.shape.dropFirst())
    for (x, y) in zip(predictors, targets)
    where Array(x.header.shape.dropFirst()) != featureShape || Array(y.header.shape.dropFirst()) != targetShape {
      throw TrainingError(.invalidData, "\(folder.path): shards have different item shapes")
    }
    self.predictors = predictors
    self.targets = targets
    self.items = items.sorted { $0.id < $1.id }
  }

  /// The rows of the items at `indices`, item by item.
  func rows(ofItems indices: [Int]) -> [Row] {
    indices.flatMap { i in
      let item = items[i]
      return (item.firstRow..<(item.firstRow + item.rowCount)).map { Row(shard: item.shard, row: $0) }
    }
  }

  /// The predictors `[b, featureShape…]` and targets `[b, targetShape…]` of `rows`.
  func batch(_ rows: [Row]) -> (x: [Float], y: [Float]) {
    var x: [Float] = []
    var y: [Float] = []
    x.reserveCapacity(rows.count * featureShape.reduce(1, *))
    y.reserveCapacity(rows.count * targetShape.reduce(1, *))
    for r in rows {
      predictors[r.shard].append(row: r.row, to: &x)
      targets[r.shard].append(row: r.row, to: &y)
    }
    return (x, y)
  }
}
