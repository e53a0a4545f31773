import ArgumentParser
import DatasetDownload
import Foundation
import Wav2Vec2

/// `l3das download`: fetch, check and extract the public L3DAS datasets.
struct Download: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Download, check and extract L3DAS21 (Zenodo), L3DAS22 or L3DAS23 (Kaggle), or the wav2vec2 model.",
    discussion: """
      Names a dataset (l3das21, l3das22, l3das23) or one archive (l3das21/task1-dev); \
      --list shows them all. Downloads resume from <file>.part after an interruption, \
      connection losses and server errors are retried with growing delays (only attempts \
      that bring new bytes reset the count), and a file is moved into place only after its \
      checks pass: Zenodo's MD5 and size where published, and the SHA-256 recorded in \
      <dir>/l3das-lock.json on every later download. Archives are kept in <dir>/archives \
      and extracted safely (no absolute paths, '..', links, encrypted entries, or entries \
      expanding beyond their declared size) into <dir>, with the doubly nested Kaggle \
      folders flattened and the train360 parts merged. An archive is recorded in the lock \
      file only after every entry passed its CRC check and it was extracted. Running it \
      again does nothing.

      Kaggle needs your API token: ~/.kaggle/kaggle.json or KAGGLE_USERNAME and KAGGLE_KEY. \
      --mirror URL downloads <URL>/<archive file name> instead (no token, no host checksum; \
      file:///folder copies from a local folder); --from-archive PATH uses an archive you \
      already have (or the archives in a folder), in place. If the lock file holds a wrong \
      record (from a bad download by an earlier version), --relock records the archives \
      afresh once they pass their checks.

      wav2vec2-base-960h fetches the official Task 1 recogniser (config.json, vocab.json, \
      tokenizer_config.json, and model.safetensors or else pytorch_model.bin; about 380 MB) \
      from the Hugging Face hub (or <--mirror URL>/<file>) into --dir, by default \
      $XDG_DATA_HOME/l3das/models/wav2vec2-base-960h (~/.local/share/l3das/models/...), \
      where 'score' and 'transcribe' find it.
      """)

  @Argument(help: "Datasets (l3das21, l3das22, l3das23), archives (l3das21/task2-dev), or wav2vec2-base-960h.")
  var selection: [String] = []

  @Option(name: [.customShort("o"), .customLong("dir")], help: "The dataset folder (default: l3das-data; for wav2vec2-base-960h the models folder).")
  var directory: String?

  @Option(
    name: [.customLong("mirror"), .customLong("base-url")],
    help: """
      A base URL serving the archives (or the model's files) by file name, used instead of the \
      hosts (http, https, or file:///folder for a local folder).
      """)
  var mirror: String?

  @Option(
    name: .customLong("from-archive"),
    help: "An already downloaded archive, or a folder of archives, to use (repeatable).")
  var fromArchive: [String] = []

  @Option(help: "How many archives to download at once.")
  var jobs = 2

  @Option(help: "Seconds a connection may stay silent before it is retried.")
  var timeout: Double = 60

  @Option(
    help: "Failed attempts in a row (none getting further than before) before giving up on a file.")
  var retries = 8

  @Flag(help: "Download and check only; do not extract.")
  var noExtract = false

  @Flag(help: "Recompute the SHA-256 of archives that were already extracted.")
  var recheck = false

  @Flag(
    help: """
      Replace the lock file's records of the selected archives with new ones, once the \
      archives pass their checks.
      """)
  var relock = false

  @Option(
    help: """
      Refuse an archive whose entries declare more than this many times its size \
      (zip-bomb guard; 'inf' for no limit).
      """)
  var maxExpansionRatio: Double = ArchiveExtractor.defaultMaxExpansionRatio

  @Flag(help: "List the catalog and exit.")
  var list = false

  @OptionGroup var outputOptions: OutputFormatOptions

  func validate() throws {
    try Limits.check(jobs, "--jobs", in: 1...16)
    try Limits.check(timeout, "--timeout", in: 0.1...86_400, unit: "seconds")
    try Limits.check(retries, "--retries", in: 1...1000)
    guard maxExpansionRatio >= 1 else {
      throw ValidationError("--max-expansion-ratio must be at least 1 (or 'inf' for no limit)")
    }
    if let mirror {
      guard let url = URL(string: mirror), ["http", "https", "file"].contains(url.scheme ?? "")
      else {
        throw ValidationError("--mirror must be an http(s) or file URL, got '\(mirror)'")
      }
      if url.isFileURL { try Self.validateFileMirror(url, text: mirror) }
    }
    if let directory, Self.kind(of: directory) == .file {
      throw ValidationError(
        "--dir \(directory) is a file, not a folder; name the dataset folder (it is created if "
          + "missing), or move the file away")
    }
    for path in fromArchive where Self.kind(of: path) == nil {
      throw ValidationError(
        "--from-archive \(path): no such file or folder; give a zip archive, or a folder holding "
          + "archives under their catalog names (see --list)")
    }
    if !list && selection.isEmpty {
      throw ValidationError("name what to download (l3das21, l3das22, l3das23), or use --list")
    }
    if let model = modelSelection {
      guard selection.count == 1 else { throw ValidationError("download \(model.name) on its own") }
      guard fromArchive.isEmpty, !noExtract else {
        throw ValidationError("--from-archive and --no-extract are for dataset archives")
      }
      return
    }
    if !list {
      do {
        _ = try DatasetCatalog.bundled().archives(matching: selection)
      } catch let error as DownloadError {
        throw ValidationError(error.message)
      }
    }
  }

  /// The model named by the selection, if it names one.
  private var modelSelection: ModelDownloader.Model? {
    selection.lazy.compactMap { ModelDownloader.Model.known[$0] }.first
  }

  func run() throws {
    if let model = modelSelection {
      try runModel(model)
      return
    }
    let catalog = try DatasetCatalog.bundled()
    if list {
      if outputOptions.json {
        try Output.printJSON(catalog)
      } else {
        for dataset in catalog.datasets {
          print("\(dataset.name): \(dataset.title)")
          for archive in dataset.archives {
            print(
              "  \(dataset.name)/\(archive.id)  \(archive.fileName)  → \(archive.splitFolders.joined(separator: ", "))"
            )
          }
        }
      }
      return
    }
    let entries = try catalog.archives(matching: selection)
    var options = DatasetDownloader.Options(
      directory: URL(fileURLWithPath: directory ?? "l3das-data", isDirectory: true))
    options.mirror = mirror.flatMap { URL(string: $0) }.map {
      $0.isFileURL ? URL(fileURLWithPath: $0.path, isDirectory: true) : $0
    }
    options.localArchives = fromArchive.map { URL(fileURLWithPath: $0) }
    options.jobs = jobs
    options.extract = !noExtract
    options.recheck = recheck
    options.relock = relock
    options.maxExpansionRatio = maxExpansionRatio.isFinite ? maxExpansionRatio : nil
    do {
      if options.mirror == nil, entries.contains(where: { $0.dataset.host == .kaggle }) {
        options.kaggle = try KaggleCredentials.find()
      }
      let downloader = DatasetDownloader(
        catalog: catalog,
        fileDownloader: FileDownloader(
          retry: .init(maxAttempts: retries), idleTimeoutSeconds: timeout))
      let display = TransferDisplay(
        enabled: !outputOptions.quiet && !outputOptions.json, verbose: outputOptions.verbose)
      let outcomes = try downloader.run(entries, options: options, observer: display)
      display.finish()
      if outputOptions.json {
        try Output.printJSON(outcomes)
      } else {
        for outcome in outcomes {
          let folders =
            outcome.folders.isEmpty ? "" : " → \(outcome.folders.joined(separator: ", "))"
          print(
            "\(outcome.fileName): \(outcome.status), \(outcome.bytes) bytes, sha256 \(outcome.sha256)\(folders)"
          )
        }
      }
    } catch let error as DownloadError {
      FileHandle.standardError.write(Data("error: \(error)\n".utf8))
      throw ExitCode(1)
    }
  }
}

extension Download {
  enum PathKind { case file, folder }

  /// Whether `path` is a folder, something else, or nothing.
  static func kind(of path: String) -> PathKind? {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return nil }
    return isFolder.boolValue ? .folder : .file
  }

  /// A `file://` mirror must name an existing local folder by its absolute path.
  static func validateFileMirror(_ url: URL, text: String) throws {
    guard (url.host ?? "").isEmpty || url.host == "localhost", url.path.hasPrefix("/") else {
      throw ValidationError(
        "--mirror \(text): a file URL names a local folder by its absolute path, as in "
          + "file:///data/l3das-mirror")
    }
    switch kind(of: url.path) {
    case .folder: return
    case .file:
      throw ValidationError(
        "--mirror \(text): \(url.path) is a file; a file:// mirror is a folder holding the "
          + "archives under their catalog names (see --list)")
    case nil:
      throw ValidationError(
        "--mirror \(text): no such folder \(url.path); a file:// mirror is a folder holding the "
          + "archives under their catalog names (see --list)")
    }
  }

  /// Fetches a pretrained model's files (see `ModelDownloader`).
  private func runModel(_ model: ModelDownloader.Model) throws {
    let folder = directory.map { URL(fileURLWithPath: $0, isDirectory: true) }
      ?? Wav2Vec2ModelLocation.modelsDirectory().appendingPathComponent(model.name, isDirectory: true)
    let display = TransferDisplay(
      enabled: !outputOptions.quiet && !outputOptions.json, verbose: outputOptions.verbose)
    do {
      let downloader = ModelDownloader(
        fileDownloader: FileDownloader(retry: .init(maxAttempts: retries), idleTimeoutSeconds: timeout))
      let outcomes = try downloader.download(
        model, into: folder, mirror: mirror.flatMap { URL(string: $0) }, observer: display)
      display.finish()
      if outputOptions.json {
        try Output.printJSON(outcomes)
      } else {
        for outcome in outcomes {
          print("\(outcome.fileName): \(outcome.status), \(outcome.bytes) bytes, sha256 \(outcome.sha256)")
        }
        print("\(model.name) is in \(folder.path)")
      }
    } catch let error as DownloadError {
      FileHandle.standardError.write(Data("error: \(error)\n".utf8))
      throw ExitCode(1)
    }
  }
}

/// Progress of every transfer on standard error: one line per file (percentage, size) and a
/// total with rate and ETA, redrawn in place on a terminal and every few seconds otherwise.
final class TransferDisplay: DownloadObserver, @unchecked Sendable {
  private struct Transfer {
    var received: Int64
    var expected: Int64?
    var startBytes: Int64
  }

  private let enabled: Bool
  private let verbose: Bool
  private let lock = NSLock()
  private let start = Date()
  private var lastDraw = Date.distantPast
  private var transfers: [String: Transfer] = [:]
  private var order: [String] = []
  private var drawnLines = 0
  private let isTerminal = isatty(STDERR_FILENO) != 0

  init(enabled: Bool, verbose: Bool) {
    self.enabled = enabled
    self.verbose = verbose
  }

  func handle(_ event: DownloadEvent) {
    guard enabled else { return }
    lock.withLock {
      switch event {
      case .started(let file, let resumed, let expected):
        if transfers[file] == nil { order.append(file) }
        transfers[file] = Transfer(received: resumed, expected: expected, startBytes: resumed)
        if resumed > 0 { message("\(file): resuming from \(DiskSpace.describe(resumed))") }
      case .progress(let file, let received, let expected):
        transfers[file]?.received = received
        transfers[file]?.expected = expected
        draw(force: false)
      case .retrying(let file, let attempt, let delay, let reason):
        message("\(file): \(reason); retry \(attempt) in \(String(format: "%.0f", delay)) s")
      case .verifying(let file):
        if verbose { message("\(file): checking size and checksums") }
      case .finished(let file, let bytes):
        transfers[file]?.received = bytes
        transfers[file]?.expected = bytes
        draw(force: true)
      case .alreadyPresent(let file, _):
        if verbose { message("\(file): already downloaded") }
      case .extracting(let file):
        message("\(file): extracting")
      case .extracted(let file, let folders):
        if verbose { message("\(file): extracted \(folders.joined(separator: ", "))") }
      case .warning(let text):
        message("warning: \(text)")
      }
    }
  }

  func finish() {
    guard enabled else { return }
    lock.withLock { draw(force: true) }
  }

  private func message(_ text: String) {
    clear()
    FileHandle.standardError.write(Data((text + "\n").utf8))
  }

  private func clear() {
    guard isTerminal, drawnLines > 0 else { return }
    FileHandle.standardError.write(
      Data(String(repeating: "\u{1B}[1A\u{1B}[2K", count: drawnLines).utf8))
    drawnLines = 0
  }

  private func draw(force: Bool) {
    let now = Date()
    guard force || now.timeIntervalSince(lastDraw) >= (isTerminal ? 0.2 : 5), !order.isEmpty else {
      return
    }
    lastDraw = now
    var lines: [String] = []
    var received: Int64 = 0
    var gained: Int64 = 0
    var expected: Int64 = 0
    var expectedKnown = true
    for file in order {
      guard let transfer = transfers[file] else { continue }
      received += transfer.received
      gained += transfer.received - transfer.startBytes
      if let total = transfer.expected { expected += total } else { expectedKnown = false }
      lines.append("  \(bar(transfer.received, transfer.expected))  \(file)")
    }
    let elapsed = now.timeIntervalSince(start)
    let rate = elapsed > 0 ? Double(gained) / elapsed : 0
    let eta: String
    if expectedKnown, rate > 0 {
      eta = Self.clock(Double(expected - received) / rate)
    } else {
      eta = "--:--"
    }
    lines.append(
      "  \(bar(received, expectedKnown ? expected : nil))  total, \(DiskSpace.describe(Int64(rate)))/s, ETA \(eta)"
    )
    clear()
    FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    drawnLines = isTerminal ? lines.count : 0
  }

  private func bar(_ received: Int64, _ expected: Int64?) -> String {
    let width = 20
    guard let expected, expected > 0 else {
      return String(repeating: "░", count: width) + "  \(DiskSpace.describe(received))"
    }
    let fraction = min(1, Double(received) / Double(expected))
    let filled = Int(fraction * Double(width))
    return String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
      + " \(String(format: "%3d", Int(fraction * 100)))%  \(DiskSpace.describe(received)) of \(DiskSpace.describe(expected))"
  }

  static func clock(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "--:--" }
    let s = Int(seconds.rounded())
    return s >= 3600
      ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
      : String(format: "%d:%02d", s / 60, s % 60)
  }
}
