public import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The rule every command follows before it writes into, or replaces, an output folder.
///
/// A command may write into a folder only when the folder
/// - does not exist yet, or is empty, or
/// - carries the marker file `.l3das-output.json` left by an earlier run of **the same
///   command** (`predict` replaces only what `predict` wrote),
///
/// and never when the folder is (or contains) one of the command's inputs or the current
/// working directory, whatever its marker says. Symbolic links and regular files in the
/// output's place are refused. Everything is checked before anything is touched, so a refused
/// command changes nothing.
///
/// ```swift
/// try OutputFolder.checkReplaceable(out, command: "predict", inputs: [split, weights])
/// // … write into a staging folder, then:
/// try OutputFolder.mark(staging, command: "predict")
/// ```
public enum OutputFolder {
  /// The marker file a command leaves in every folder it creates.
  public static let markerName = ".l3das-output.json"

  /// What the marker file holds.
  public struct Marker: Codable, Sendable, Equatable {
    /// The `l3das` subcommand that wrote the folder (`predict`, `train`, …).
    public var command: String
    /// The marker's format version.
    public var format: Int

    /// A marker for `command`.
    public init(command: String, format: Int = 1) {
      self.command = command
      self.format = format
    }
  }

  /// What is at an output path now.
  public enum State: Sendable, Equatable {
    /// Nothing: the folder will be created.
    case absent
    /// An empty folder.
    case empty
    /// A folder an earlier run of `command` wrote.
    case marked(command: String)
    /// A folder with content that no `l3das` command claims.
    case foreign
    /// A regular file, link or other non-folder.
    case notAFolder(String)
  }

  /// The state of `folder` (`lstat`, so a symbolic link is reported as such, never followed).
  public static func state(of folder: URL) -> State {
    var info = stat()
    guard lstat(folder.path, &info) == 0 else { return .absent }
    switch info.st_mode & S_IFMT {
    case S_IFDIR: break
    case S_IFLNK: return .notAFolder("a symbolic link")
    case S_IFREG: return .notAFolder("a regular file")
    default: return .notAFolder("a special file (FIFO, socket or device)")
    }
    if let marker = readMarker(folder) { return .marked(command: marker.command) }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? ["?"]
    return names.isEmpty ? .empty : .foreign
  }

  /// The marker in `folder`, if there is a readable one.
  public static func readMarker(_ folder: URL) -> Marker? {
    let url = folder.appendingPathComponent(markerName)
    var info = stat()
    guard lstat(url.path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size < 65_536,
      let data = try? Data(contentsOf: url)
    else { return nil }
    return try? JSONDecoder().decode(Marker.self, from: data)
  }

  /// Writes the marker of `command` into `folder` (atomically).
  public static func mark(_ folder: URL, command: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let data = try encoder.encode(Marker(command: command))
    try AtomicFile.write(data + Data("\n".utf8), to: folder.appendingPathComponent(markerName))
  }

  /// Checks, before anything is written, that `command` may write its output at `folder`.
  ///
  /// - Parameters:
  ///   - folder: the output folder.
  ///   - command: the subcommand's name, as in the marker (`"predict"`).
  ///   - inputs: what the command reads; `folder` must not be or contain any of them.
  ///   - replace: the user asked to replace an existing output (`--overwrite`); without it an
  ///     existing non-empty folder is refused even when marked, with a hint to pass the flag.
  ///     Commands that update their own output in place (resume) pass `true`.
  ///   - also: other marker commands whose folders this command may take over (e.g. a
  ///     `leaderboard` folder for `merge`).
  ///   - acceptUnmarked: the caller has recognised an unmarked folder as its own by its
  ///     content (a training run from before markers existed); the other checks still apply.
  /// - Returns: the folder's state (`.absent`, `.empty` or `.marked`).
  /// - Throws: `OutputFolderError` naming the folder, what is wrong and what to do.
  @discardableResult
  public static func checkReplaceable(
    _ folder: URL, command: String, inputs: [URL] = [], replace: Bool, also: [String] = [],
    acceptUnmarked: Bool = false, option: String = "-o/--output"
  ) throws -> State {
    let state = state(of: folder)
    if case .notAFolder(let kind) = state {
      throw OutputFolderError(
        path: folder.path,
        message: "is \(kind), not a folder; \(option) must name a folder (new, or one an earlier 'l3das \(command)' wrote)")
    }
    guard state != .absent else { return state }
    let target = resolved(folder)
    let current = resolved(URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
    if contains(target, current) {
      throw OutputFolderError(
        path: folder.path,
        message: "holds the current folder; 'l3das \(command)' never writes into or replaces a folder you are working in. Choose another \(option)")
    }
    for input in inputs where contains(target, resolved(input)) {
      throw OutputFolderError(
        path: folder.path,
        message: "holds the input \(input.path); 'l3das \(command)' never writes over its own inputs. Choose another \(option)")
    }
    switch state {
    case .marked(let owner) where owner == command || also.contains(owner):
      guard replace else {
        throw OutputFolderError(
          path: folder.path,
          message: "already exists (an earlier 'l3das \(owner)' output); pass --overwrite to replace it, or choose another \(option)")
      }
      return state
    case .marked(let owner):
      throw OutputFolderError(
        path: folder.path,
        message: "was written by 'l3das \(owner)', not 'l3das \(command)'; refusing to replace it. Choose another \(option)")
    case .foreign where acceptUnmarked:
      return state
    case .foreign:
      throw OutputFolderError(
        path: folder.path,
        message: "exists and was not written by 'l3das \(command)' (it has no \(markerName)); refusing to write into it or replace it. Choose a new \(option), or move the folder away yourself")
    default:
      return state
    }
  }

  /// Whether `outer` is `inner` or one of its ancestors (both resolved paths).
  static func contains(_ outer: String, _ inner: String) -> Bool {
    outer == inner || outer == "/" || inner.hasPrefix(outer + "/")
  }

  /// The absolute path of `url` with symbolic links resolved as far as the path exists.
  public static func resolved(_ url: URL) -> String {
    var path = url.standardizedFileURL.path
    var suffix: [String] = []
    while !path.isEmpty {
      if let real = realpath(path, nil) {
        defer { free(real) }
        let base = String(cString: real)
        return ([base == "/" ? "" : base] + suffix.reversed()).joined(separator: "/")
          .nonEmpty ?? "/"
      }
      let url = URL(fileURLWithPath: path)
      suffix.append(url.lastPathComponent)
      let parent = url.deletingLastPathComponent().path
      if parent == path { break }
      path = parent
    }
    return url.standardizedFileURL.path
  }
}

extension String {
  fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}

/// An output folder that a command refuses to write into or replace.
public struct OutputFolderError: Error, CustomStringConvertible, Sendable {
  /// The output folder.
  public var path: String
  /// What is wrong and what to do.
  public var message: String

  /// Creates an error.
  public init(path: String, message: String) {
    self.path = path
    self.message = message
  }

  /// One line: `path: message`.
  public var description: String { "\(path): \(message)" }
}
