import Foundation
import NumPyIO

/// The Task 2 items of an `l3das preprocess` output folder, read row by row from memory-mapped
/// shards, so a split of any size trains in bounded memory (the page cache holds what is used).
struct TrainingData {
  /// One item: its shard and row.
  struct Item {
    var id: String
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

  let predictors: [MappedArray]
  let targets: [MappedArray]
  /// Every item, in id order.
  let items: [Item]
  /// `[C, F, T]` of one item's features.
  let featureShape: [Int]
  /// `[frames, 168]` of one item's labels.
  let labelShape: [Int]

  /// Opens the preprocessed folder `folder` (`manifest.json` and its shards).
  /// - Throws: `PreprocessError` when the folder is not a complete, labelled Task 2 output.
  init(folder: URL) throws {
    let manifestURL = folder.appendingPathComponent(Preprocessing.manifestName)
    let manifest: PreprocessManifest
    do {
      manifest = try JSONDecoder().decode(PreprocessManifest.self, from: Data(contentsOf: manifestURL))
    } catch {
      throw TrainingError(.invalidData,
        "\(manifestURL.path): not a readable l3das preprocess manifest (\(error)); run l3das preprocess first")
    }
    guard manifest.configuration.task == .soundEventLocalizationDetection else {
      throw TrainingError(.invalidData, "\(folder.path) holds Task 1 features; SELDnet trains on Task 2 features")
    }
    var predictors: [MappedArray] = []
    var targets: [MappedArray] = []
    var items: [Item] = []
    for shard in manifest.shards where !shard.entries.isEmpty {
      guard let x = shard.predictors, let y = shard.targets else {
        throw TrainingError(.invalidData, "shard \(shard.index) of \(folder.path) has no labels: training needs a labelled split")
      }
      let index = predictors.count
      predictors.append(try MappedArray(folder.appendingPathComponent(x)))
      targets.append(try MappedArray(folder.appendingPathComponent(y)))
      for entry in shard.entries {
        items.append(Item(id: entry.id, shard: index, row: entry.firstRow))
      }
    }
    guard let first = predictors.first, let firstLabels = targets.first else {
      throw TrainingError(.invalidData, "\(folder.path): the manifest lists no items")
    }
    featureShape = Array(first.header.shape.dropFirst())
    labelShape = Array(firstLabels.header.shape.dropFirst())
    for (x, y) in zip(predictors, targets)
    where Array(x.header.shape.dropFirst()) != featureShape || Array(y.header.shape.dropFirst()) != labelShape {
      throw TrainingError(.invalidData, "\(folder.path): shards have different item shapes")
    }
    self.predictors = predictors
    self.targets = targets
    self.items = items.sorted { $0.id < $1.id }
  }

  /// The batch of `indices`: features `[b, C, F, T]`, SED targets `[b, frames, k]` and DOA
  /// targets `[b, frames, 3k]` split from each label row of `k + 3k` values.
  func batch(_ indices: [Int], activityCount k: Int) -> (x: [Float], sed: [Float], doa: [Float]) {
    var x: [Float] = []
    var labels: [Float] = []
    x.reserveCapacity(indices.count * featureShape.reduce(1, *))
    for i in indices {
      let item = items[i]
      predictors[item.shard].append(row: item.row, to: &x)
      targets[item.shard].append(row: item.row, to: &labels)
    }
    let width = labelShape[1]
    var sed: [Float] = []
    var doa: [Float] = []
    sed.reserveCapacity(labels.count / width * k)
    doa.reserveCapacity(labels.count / width * 3 * k)
    for start in stride(from: 0, to: labels.count, by: width) {
      sed += labels[start..<(start + k)]
      doa += labels[(start + k)..<(start + 4 * k)]
    }
    return (x, sed, doa)
  }
}
