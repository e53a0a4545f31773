public import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Writes files so that readers only ever see the complete old file or the complete new one: the
/// content goes to a hidden temporary file in the destination folder and is moved into place with
/// `rename(2)` (atomic on one file system).
///
/// On any failure the temporary file is removed, so bad input never leaves partial output behind.
public enum AtomicFile {
  /// A hidden temporary path beside `destination`, unique to this process and call, named as
  /// an `l3das` staging entry (`StagingPath`) so a killed run's leftover can be recognised.
  public static func temporaryPath(besides destination: URL) -> URL {
    StagingPath.make(besides: destination, kind: "tmp")
  }

  /// Runs `write` on a temporary path beside `destination`, then renames it into place.
  ///
  /// - Parameters:
  ///   - destination: the final file; its folder must exist.
  ///   - write: creates the complete file at the URL it is given.
  /// - Throws: whatever `write` throws, or `AtomicFileError` if the rename fails.
  public static func write<R>(to destination: URL, _ write: (URL) throws -> R) throws -> R {
    let temporary = temporaryPath(besides: destination)
    do {
      let result = try write(temporary)
      guard rename(temporary.path, destination.path) == 0 else {
        let reason = String(cString: strerror(errno))
        throw AtomicFileError(
          path: destination.path, message: "cannot move file into place: \(reason)")
      }
      return result
    } catch {
      unlink(temporary.path)
      throw error
    }
  }

  /// Atomically writes `data` to `destination`.
  public static func write(_ data: Data, to destination: URL) throws {
    try write(to: destination) { temporary in
      do {
        try data.write(to: temporary)
      } catch {
        throw AtomicFileError(
          path: destination.path, message: "cannot write: \(error.localizedDescription)")
      }
    }
  }

  /// Atomically writes `text` as UTF-8 to `destination`.
  public static func write(_ text: String, to destination: URL) throws {
    try write(Data(text.utf8), to: destination)
  }
}

/// A failure to create or move a file into place.
public struct AtomicFileError: Error, CustomStringConvertible, Sendable {
  /// The destination that could not be written.
  public var path: String
  /// What went wrong.
  public var message: String

  /// One line: the path (if any) and the message.
  public var description: String { "\(path): \(message)" }
}
