/// The safety rule for paths inside archives, shared by the submission reader and the dataset
/// extractor: an entry is used only if its path stays inside the folder it is read into.
public enum ArchivePath {
  /// Why an archive entry's path is unsafe, or `nil` when it is safe.
  ///
  /// Unsafe: symbolic links, absolute paths, backslashes, control characters, a `..`
  /// component, and a leading drive letter (`C:`).
  public static func unsafeReason(path: String, isSymlink: Bool) -> String? {
    if isSymlink { return "'\(path)' is a symbolic link" }
    if path.hasPrefix("/") { return "'\(path)' is an absolute path" }
    if path.contains("\\") { return "'\(path)' contains a backslash" }
    if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
      return "'\(path.debugDescription)' contains control characters"
    }
    let components = path.split(separator: "/", omittingEmptySubsequences: false)
    if components.contains("..") { return "'\(path)' climbs out of the archive with '..'" }
    if let first = components.first, first.count == 2, first.last == ":" {
      return "'\(path)' starts with a drive letter"
    }
    return nil
  }
}
