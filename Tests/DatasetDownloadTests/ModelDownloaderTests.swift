import Datasets
import Foundation
import Testing
import _TestSupport

@testable import DatasetDownload

/// A loopback "hub" serving the files of a model under `repo/resolve/main/`.
private func hub(weights: [String: Data]) throws -> (LoopbackHTTPServer, [String: Data]) {
  let server = try LoopbackHTTPServer()
  var files: [String: Data] = [
    "config.json": Data("{\"hidden_size\": 8}".utf8), "vocab.json": Data("{\"<pad>\": 0}".utf8),
    "tokenizer_config.json": Data("{\"do_normalize\": true}".utf8),
  ]
  files.merge(weights) { $1 }
  for (name, body) in files { server.set("repo/resolve/main/\(name)", .init(body: body)) }
  return (server, files)
}

@Suite("pretrained model download")
struct ModelDownloaderTests {
  private let model = ModelDownloader.Model.wav2vec2Base960h

  @Test("the hub files land in the folder with their SHA-256 in the lock file; a second run only checks")
  func downloadAndRerun() throws {
    let (server, files) = try hub(weights: ["model.safetensors": testBytes(300_000, seed: 4)])
    let dir = try TemporaryDirectory()
    let downloader = ModelDownloader(fileDownloader: fastDownloader())
    let mirror = server.url("repo/resolve/main")
    let first = try downloader.download(model, into: dir.url, mirror: mirror)
    #expect(first.map(\.fileName) == ["config.json", "vocab.json", "tokenizer_config.json", "model.safetensors"])
    #expect(first.allSatisfy { $0.status == "downloaded" })
    for outcome in first {
      let data = try Data(contentsOf: dir.path(outcome.fileName))
      #expect(data == files[outcome.fileName])
      #expect(outcome.sha256 == (try Digest.hex(of: data, algorithm: .sha256)))
    }
    let lock = try DatasetLockStore(directory: dir.url).current
    #expect(lock.archives["model.safetensors"]?.sha256 == first[3].sha256)
    #expect(lock.archives["model.safetensors"]?.catalogName == "wav2vec2-base-960h/model.safetensors")
    let requests = server.requests.count
    let second = try downloader.download(model, into: dir.url, mirror: mirror)
    #expect(second.allSatisfy { $0.status == "present" })
    #expect(server.requests.count == requests)
  }

  @Test("without model.safetensors on the server, pytorch_model.bin is fetched")
  func fallsBackToPytorchModelBin() throws {
    let (server, files) = try hub(weights: ["pytorch_model.bin": testBytes(50_000, seed: 5)])
    let dir = try TemporaryDirectory()
    let observer = RecordingObserver()
    let outcomes = try ModelDownloader(fileDownloader: fastDownloader())
      .download(model, into: dir.url, mirror: server.url("repo/resolve/main"), observer: observer)
    #expect(outcomes.last?.fileName == "pytorch_model.bin")
    #expect(try Data(contentsOf: dir.path("pytorch_model.bin")) == files["pytorch_model.bin"])
    #expect(!FileManager.default.fileExists(atPath: dir.path("model.safetensors").path))
    #expect(observer.events.contains { if case .warning(let text) = $0 { text.contains("model.safetensors") } else { false } })
  }

  @Test("a download cut off mid-file resumes, and a re-download that differs from the lock is refused")
  func resumeAndLock() throws {
    let body = testBytes(400_000, seed: 6)
    let (server, _) = try hub(weights: ["model.safetensors": body])
    server.update("repo/resolve/main/model.safetensors") {
      $0.dropAfterBytes = 150_000
      $0.drops = 1
    }
    let dir = try TemporaryDirectory()
    let downloader = ModelDownloader(fileDownloader: fastDownloader())
    let mirror = server.url("repo/resolve/main")
    let outcomes = try downloader.download(model, into: dir.url, mirror: mirror)
    #expect(["downloaded", "resumed"].contains(outcomes.last?.status))
    #expect(try Data(contentsOf: dir.path("model.safetensors")) == body)
    #expect(server.requests.contains { $0.headers["range"] == "bytes=150000-" })
    // The weights are removed and the server now serves other bytes: the lock refuses them.
    try FileManager.default.removeItem(at: dir.path("model.safetensors"))
    server.set("repo/resolve/main/model.safetensors", .init(body: testBytes(400_000, seed: 7)))
    let error = try #require(throws: DownloadError.self) { try downloader.download(model, into: dir.url, mirror: mirror) }
    #expect(error.code == .checksumMismatch)
    #expect(!FileManager.default.fileExists(atPath: dir.path("model.safetensors").path))
  }

  @Test("l3das download wav2vec2-base-960h --mirror fetches into --dir and prints JSON")
  func command() throws {
    let (server, _) = try hub(weights: ["model.safetensors": testBytes(20_000, seed: 8)])
    let dir = try TemporaryDirectory()
    let result = try BuiltExecutable("l3das", environment: ["HOME": "/nonexistent"]).run([
      "download", "wav2vec2-base-960h", "--dir", dir.path("w2v").path, "--mirror",
      server.url("repo/resolve/main").absoluteString, "--json", "--quiet",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("\"fileName\" : \"model.safetensors\""))
    for name in ["config.json", "vocab.json", "tokenizer_config.json", "model.safetensors", "l3das-lock.json"] {
      #expect(FileManager.default.fileExists(atPath: dir.path("w2v/\(name)").path), "\(name)")
    }
    let missing = try BuiltExecutable("l3das", environment: ["HOME": "/nonexistent"]).run([
      "download", "wav2vec2-base-960h", "--dir", dir.path("none").path, "--mirror",
      server.url("nothing-here").absoluteString, "--quiet", "--retries", "1",
    ])
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("config.json"))
  }
}
