import Foundation
import L3DASCore

/// Reading small UTF-8 text files (CSV, transcripts) with dataset errors.
enum TextFile {
  /// The contents of `url` as UTF-8.
  ///
  /// - Throws: `DatasetError` `.notFound` (or `missingCode`) if the file does not exist,
  ///   `.readFailed` if it cannot be read or is not valid UTF-8.
  static func read(_ url: URL, missingCode: DatasetError.Code = .notFound) throws -> String {
    let data: Data
    do {
      // Dataset text files (CSV, transcripts) are small; 256 MiB is far beyond any of them.
      data = try RegularFile.read(url, limit: 256 << 20)
    } catch let failure as RegularFile.Failure {
      throw DatasetError(
        failure.reason == .missing ? missingCode : .readFailed, failure.message, path: url.path)
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw DatasetError(.readFailed, "the file is not valid UTF-8 text", path: url.path)
    }
    return text
  }
}
