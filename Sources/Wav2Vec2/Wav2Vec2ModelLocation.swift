public import Foundation

/// Where the official recogniser's files are looked for.
///
/// - The l3das models folder: `$XDG_DATA_HOME/l3das/models`, or `~/.local/share/l3das/models`
///   (`l3das download wav2vec2-base-960h` puts the model in its `wav2vec2-base-960h` folder).
/// - A Hugging Face cache: `$HF_HUB_CACHE`, `$HF_HOME/hub` or `~/.cache/huggingface/hub`, whose
///   `models--facebook--wav2vec2-base-960h/snapshots/<commit>` folders are used in place (the
///   one `refs/main` names first).
public enum Wav2Vec2ModelLocation {
  /// The folder name of the official model inside the models folder.
  public static let officialFolderName = "wav2vec2-base-960h"

  /// The l3das models folder.
  public static func modelsDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
    let data = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0, isDirectory: true) }
      ?? home(environment).appendingPathComponent(".local/share", isDirectory: true)
    return data.appendingPathComponent("l3das/models", isDirectory: true)
  }

  /// Where `l3das download wav2vec2-base-960h` puts the official model by default.
  public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
    modelsDirectory(environment: environment).appendingPathComponent(officialFolderName, isDirectory: true)
  }

  /// The snapshot folders of the official model in the Hugging Face cache, the one named by
  /// `refs/main` first.
  public static func huggingFaceSnapshots(environment: [String: String] = ProcessInfo.processInfo.environment) -> [URL] {
    let hub: URL
    if let cache = environment["HF_HUB_CACHE"], !cache.isEmpty {
      hub = URL(fileURLWithPath: cache, isDirectory: true)
    } else if let root = environment["HF_HOME"], !root.isEmpty {
      hub = URL(fileURLWithPath: root, isDirectory: true).appendingPathComponent("hub", isDirectory: true)
    } else {
      hub = home(environment).appendingPathComponent(".cache/huggingface/hub", isDirectory: true)
    }
    let repository = "models--" + PretrainedWav2Vec2.officialRepository.replacingOccurrences(of: "/", with: "--")
    return snapshots(inRepositoryCache: hub.appendingPathComponent(repository, isDirectory: true))
  }

  /// The model folder a user named: the folder itself when it holds a model, else a snapshot of
  /// a Hugging Face repository cache folder (`models--…`, with `snapshots/`), else `nil`.
  public static func resolve(_ directory: URL) -> URL? {
    if PretrainedWav2Vec2.isModelDirectory(directory) { return directory }
    return snapshots(inRepositoryCache: directory).first
  }

  /// The official model if it is installed: the default folder, then the Hugging Face cache.
  public static func installed(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
    let candidates = [defaultDirectory(environment: environment)] + huggingFaceSnapshots(environment: environment)
    return candidates.first(where: PretrainedWav2Vec2.isModelDirectory)
  }

  private static func snapshots(inRepositoryCache repository: URL) -> [URL] {
    let folder = repository.appendingPathComponent("snapshots", isDirectory: true)
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
    let main = (try? String(contentsOf: repository.appendingPathComponent("refs/main"), encoding: .utf8))?
      .trimmingCharacters(in: .whitespacesAndNewlines)
    let ordered = names.sorted().sorted { a, _ in a == main }
    return ordered.map { folder.appendingPathComponent($0, isDirectory: true) }
      .filter(PretrainedWav2Vec2.isModelDirectory)
  }

  private static func home(_ environment: [String: String]) -> URL {
    environment["HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0, isDirectory: true) }
      ?? FileManager.default.homeDirectoryForCurrentUser
  }
}
