public import Foundation
import L3DASCore

/// Unpacking a zipped submission so that it can be scored.
public enum SubmissionArchive {
  /// Whether `url` is a `.zip` submission (by extension or by its first bytes).
  public static func isArchive(_ url: URL) -> Bool {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory),
      !isDirectory.boolValue
    else { return false }
    return (try? SubmissionContents(url: url))?.isArchive ?? false
  }

  /// Writes the top-level `.npy`/`.csv` files of the submission archive `zip` into `folder`
  /// (created if missing), read through the same safe listing the validator uses: entries
  /// with absolute paths, `..`, backslashes or links are never read, and every entry's CRC
  /// is checked. Nested and other files are left out (the validator reports them).
  ///
  /// - Throws: `SubmissionError` when the archive cannot be listed, an entry cannot be read,
  ///   or a file cannot be written.
  public static func unpack(_ zip: URL, into folder: URL) throws {
    let contents = try SubmissionContents(url: zip)
    guard contents.isArchive else {
      throw SubmissionError(.notASubmission, "\(zip.path): not a .zip archive")
    }
    do {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
      throw SubmissionError(.writeFailed, "\(folder.path): cannot create: \(error.localizedDescription)")
    }
    let reader = contents.makeReader()
    for entry in contents.entries where !entry.isNested {
      let lower = entry.name.lowercased()
      guard lower.hasSuffix(".npy") || lower.hasSuffix(".csv"), !entry.name.hasPrefix(".") else { continue }
      var data = Data()
      do {
        try reader.read(entry) { chunk in
          data.append(contentsOf: chunk)
          return true
        }
      } catch {
        let reason = (error as? ReadFailure)?.message ?? "\(error)"
        throw SubmissionError(.invalidValues, "\(zip.path): \(entry.path): \(reason)")
      }
      do {
        try AtomicFile.write(data, to: folder.appendingPathComponent(entry.name))
      } catch {
        throw SubmissionError(.writeFailed, "\(folder.path)/\(entry.name): \(error)")
      }
    }
  }
}
