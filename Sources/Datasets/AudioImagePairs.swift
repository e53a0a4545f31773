public import Foundation
import L3DASCore

/// L3DAS23's `audio_image.csv`: which image (a file of the task's `L3DAS23_Task<N>_images`
/// folder) belongs to which audio item. Two columns and **no header**, as the official code
/// reads it (`pd.read_csv(path, header=None, index_col=0)`): the item's name (the mic-A file's
/// stem without `_A.wav`, so mics A and B share one image) and the image's file name.
///
/// ```swift
/// let pairs = try AudioImagePairs.read(split.appendingPathComponent("audio_image.csv"))
/// let image = imagesFolder.appendingPathComponent(pairs.image(for: "split0_ov1_3")!)
/// ```
public struct AudioImagePairs: Sendable, Equatable {
  /// Image file name by item name.
  public var images: [String: String]

  /// The file name of the pairs in a split folder.
  public static let fileName = "audio_image.csv"

  /// Pairs from a dictionary.
  public init(images: [String: String]) { self.images = images }

  /// The image of `item` (an item name, or a mic file's name such as `x_A.wav`).
  public func image(for item: String) -> String? {
    if let image = images[item] { return image }
    for suffix in ["_A.wav", "_B.wav", ".wav"] where item.hasSuffix(suffix) {
      if let image = images[String(item.dropLast(suffix.count))] { return image }
    }
    return nil
  }

  /// Parses the text of an `audio_image.csv`.
  /// - Throws: `DatasetError` naming the line: a row without exactly two fields, an empty
  ///   field, or an item paired twice with different images.
  public static func parse(_ text: String, path: String) throws -> AudioImagePairs {
    var images: [String: String] = [:]
    for record in try CSVReader.records(text, path: path) {
      guard record.fields.count == 2, !record.fields[0].isEmpty, !record.fields[1].isEmpty else {
        throw DatasetError(
          .malformedCSV, "expected two fields, the audio item and its image file, found \(record.fields.count): \(record.fields.joined(separator: ","))",
          path: path, line: record.line)
      }
      let (item, image) = (record.fields[0], record.fields[1])
      if let earlier = images[item], earlier != image {
        throw DatasetError(
          .invalidValue, "\(item) is paired with \(earlier) and with \(image)", path: path, line: record.line)
      }
      images[item] = image
    }
    return AudioImagePairs(images: images)
  }

  /// Reads and parses an `audio_image.csv`.
  public static func read(_ url: URL) throws -> AudioImagePairs {
    try parse(TextFile.read(url), path: url.path)
  }

  /// The file's text: one `item,image` row per pair, sorted by item, no header.
  public var csvText: String {
    images.keys.sorted().map { "\($0),\(images[$0]!)\n" }.joined()
  }

  /// The first `audio_image.csv` among `folders` (a split's roots and folders), if any.
  public static func file(in folders: [URL]) -> URL? {
    folders.map { $0.appendingPathComponent(fileName) }.first { FileManager.default.fileExists(atPath: $0.path) }
  }

  /// The task's images folder for a split folder: `L3DAS23_Task<N>_images` beside it or up
  /// to two levels above (Kaggle's double nesting `X/X/` unwrapped), if it exists.
  public static func imagesFolder(for split: URL, task: Task) -> URL? {
    let name = "L3DAS23_Task\(task.rawValue)_images"
    func isFolder(_ url: URL) -> Bool {
      var folder: ObjCBool = false
      return FileManager.default.fileExists(atPath: url.path, isDirectory: &folder) && folder.boolValue
    }
    var level = split.standardizedFileURL
    for _ in 0..<3 {
      level = level.deletingLastPathComponent()
      let direct = level.appendingPathComponent(name, isDirectory: true)
      if isFolder(direct) {
        let nested = direct.appendingPathComponent(name, isDirectory: true)
        return isFolder(nested) ? nested : direct
      }
    }
    return nil
  }
}
