public import Foundation

/// A fresh directory under the system temporary folder, removed with everything in it when the
/// value is released.
///
/// Tests create one each so they never share files.
public final class TemporaryDirectory: @unchecked Sendable {
  /// The directory.
  public let url: URL

  /// Creates the directory; `prefix` makes leftovers recognisable.
  public init(prefix: String = "l3das-test") throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "\(prefix)-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  deinit {
    try? FileManager.default.removeItem(at: url)
  }

  /// `url/relative`.
  public func path(_ relative: String) -> URL { url.appendingPathComponent(relative) }

  /// Names of the entries directly in the directory (hidden ones included), sorted.
  public func entries() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
  }
}
