import Datasets
public import Foundation

/// Downloads the files of a pretrained model (a Hugging Face hub repository) into one folder,
/// with the same guarantees as the dataset archives: resumable `.part` files, retries, and the
/// SHA-256 of every file recorded in `<folder>/l3das-lock.json` at first download and checked on
/// every later one. Running it again does nothing.
///
/// ```swift
/// let model = ModelDownloader.Model.wav2vec2Base960h
/// let outcomes = try ModelDownloader().download(model, into: folder)
/// ```
public struct ModelDownloader: Sendable {
  /// The files of one model and where they are served.
  public struct Model: Sendable, Equatable {
    /// The name used on the command line and in the lock file (`wav2vec2-base-960h`).
    public var name: String
    /// The URL the files are under: `<baseURL>/<file name>`.
    public var baseURL: URL
    /// Files that must all be fetched.
    public var requiredFiles: [String]
    /// Alternatives of which the first the server has is fetched (the weights:
    /// `model.safetensors`, else `pytorch_model.bin`).
    public var firstAvailable: [String]

    /// Describes a model.
    public init(name: String, baseURL: URL, requiredFiles: [String], firstAvailable: [String]) {
      self.name = name
      self.baseURL = baseURL
      self.requiredFiles = requiredFiles
      self.firstAvailable = firstAvailable
    }

    /// The official Task 1 recogniser, facebook/wav2vec2-base-960h, from the Hugging Face hub.
    public static let wav2vec2Base960h = Model(
      name: "wav2vec2-base-960h",
      baseURL: URL(string: "https://huggingface.co/facebook/wav2vec2-base-960h/resolve/main")!,
      requiredFiles: ["config.json", "vocab.json", "tokenizer_config.json"],
      firstAvailable: ["model.safetensors", "pytorch_model.bin"])

    /// The models `l3das download` knows, by name.
    public static let known: [String: Model] = [wav2vec2Base960h.name: wav2vec2Base960h]
  }

  /// What happened to one file.
  public struct Outcome: Sendable, Equatable, Codable {
    /// The file name.
    public var fileName: String
    /// `downloaded`, `resumed` or `present`.
    public var status: String
    /// Size in bytes.
    public var bytes: Int64
    /// SHA-256.
    public var sha256: String
  }

  /// The single-file downloader (transport, retries, timeouts).
  public var fileDownloader: FileDownloader

  /// Creates a downloader.
  public init(fileDownloader: FileDownloader = FileDownloader()) {
    self.fileDownloader = fileDownloader
  }

  /// Fetches `model`'s files into `directory` (created if needed), from `mirror` instead of the
  /// model's own URL when given.
  /// - Throws: `DownloadError` (`.httpStatus` when no alternative of the weights exists,
  ///   `.checksumMismatch` when a file differs from the lock file's record, …).
  public func download(
    _ model: Model, into directory: URL, mirror: URL? = nil,
    observer: any DownloadObserver = SilentDownloadObserver()
  ) throws -> [Outcome] {
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
      throw DownloadError(.fileSystem, "cannot create the folder: \(error)", path: directory.path)
    }
    let store = try DatasetLockStore(directory: directory)
    let base = mirror ?? model.baseURL
    var outcomes = try model.requiredFiles.map {
      try fetch($0, model: model, base: base, directory: directory, store: store, observer: observer)
    }
    guard !model.firstAvailable.isEmpty else { return outcomes }
    if let present = model.firstAvailable.first(where: {
      FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path)
    }) {
      outcomes.append(try fetch(present, model: model, base: base, directory: directory, store: store, observer: observer))
      return outcomes
    }
    var lastError: DownloadError?
    for name in model.firstAvailable {
      do {
        outcomes.append(try fetch(name, model: model, base: base, directory: directory, store: store, observer: observer))
        return outcomes
      } catch let error as DownloadError where error.code == .httpStatus && error.statusCode == 404 {
        observer.handle(.warning("\(name) is not served at \(base.absoluteString); trying the next weights file"))
        lastError = error
      }
    }
    throw lastError ?? DownloadError(.httpStatus, "no weights file found", path: base.absoluteString)
  }

  private func fetch(
    _ name: String, model: Model, base: URL, directory: URL, store: DatasetLockStore,
    observer: any DownloadObserver
  ) throws -> Outcome {
    let destination = directory.appendingPathComponent(name)
    let record = store.record(name)
    if let bytes = DiskSpace.fileSize(destination) {
      // A file recorded at download time is checked by size (as an extracted archive is); one
      // copied in by hand is hashed and recorded.
      if let record, record.bytes == bytes {
        observer.handle(.alreadyPresent(file: name, bytes: bytes))
        return Outcome(fileName: name, status: "present", bytes: bytes, sha256: record.sha256)
      }
      observer.handle(.verifying(file: name))
      let sha = try FileDownloader.digest(destination, .sha256)
      if let record, record.sha256 != sha || record.bytes != bytes {
        throw DownloadError(
          .checksumMismatch,
          "SHA-256 \(sha) (\(bytes) bytes) differs from the lock file's \(record.sha256) (\(record.bytes) bytes); the file changed since it was first downloaded",
          path: destination.path)
      }
      if record == nil {
        try store.update(name) {
          $0 = .init(
            catalogName: "\(model.name)/\(name)", sha256: sha, bytes: bytes, md5: nil, source: destination.path,
            recorded: DatasetLockStore.timestamp())
        }
      }
      observer.handle(.alreadyPresent(file: name, bytes: bytes))
      return Outcome(fileName: name, status: "present", bytes: bytes, sha256: sha)
    }
    let url = base.appendingPathComponent(name)
    let result = try fileDownloader.download(
      FileDownloader.Source(url: url, expectedSHA256: record?.sha256), to: destination, observer: observer)
    try store.update(name) {
      $0 = .init(
        catalogName: "\(model.name)/\(name)", sha256: result.sha256, bytes: result.bytes, md5: nil,
        source: url.absoluteString, recorded: record?.recorded ?? DatasetLockStore.timestamp())
    }
    return Outcome(
      fileName: name, status: result.resumedBytes > 0 ? "resumed" : "downloaded", bytes: result.bytes,
      sha256: result.sha256)
  }
}
