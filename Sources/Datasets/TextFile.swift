import Foundation

/// Reading small UTF-8 text files (CSV, transcripts) with dataset errors.
enum TextFile {
  /// The contents of `url` as UTF-8.
  ///
  /// - Throws: `DatasetError` `.notFound` (or `missingCode`) if the file does not exist,
  ///   `.readFailed` if it cannot be read or is not valid UTF-8.
  static func read(_ url: URL, missingCode: DatasetError.Code = .notFound) throws -> String {
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw DatasetError(missingCode, "file does not exist", path: url.path)
    }
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw DatasetError(
        .readFailed, "cannot read the file: \(error.localizedDescription)", path: url.path)
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw DatasetError(.readFailed, "the file is not valid UTF-8 text", path: url.path)
    }
    return text
  }
}
