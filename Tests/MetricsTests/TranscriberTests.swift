import Foundation
import Metrics
import Testing
import _TestSupport

/// A tiny recogniser speaking the JSON-lines protocol: it "transcribes" by echoing the item and
/// role, fails on item "bad", and exits on item "die".
private let fakeRecognizer = #"""
  import json, os, sys
  for line in sys.stdin:
      request = json.loads(line)
      item = request.get("item", "")
      if item == "die":
          print("fatal: model crashed", file=sys.stderr, flush=True)
          sys.exit(3)
      if item == "bad":
          reply = {"id": request["id"], "error": "cannot decode"}
      else:
          size = os.path.getsize(request["audio"])
          reply = {"id": request["id"], "text": f"{item.upper()} {request['role'].upper()} {request['sample_rate']} {size > 44}"}
      print(json.dumps(reply), flush=True)
  """#

private func python() -> String? {
  ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
}

@Suite("Transcribers")
struct TranscriberTests {
  @Test("an external command answers requests over the JSON-lines protocol, reusing one process")
  func externalCommand() throws {
    guard let python = python() else {
      print("skipped: python3 is not installed")
      return
    }
    let dir = try TemporaryDirectory()
    try fakeRecognizer.write(to: dir.path("asr.py"), atomically: true, encoding: .utf8)
    let asr = try ExternalCommandTranscriber(command: [python, dir.path("asr.py").path])
    let one = try asr.transcribe(TranscriptionRequest(samples: [0.1, 0.2], sampleRate: 16_000, itemID: "a1", role: .reference))
    let two = try asr.transcribe(TranscriptionRequest(samples: [0.3], sampleRate: 16_000, itemID: "b2", role: .estimate))
    #expect(one == "A1 REFERENCE 16000 True")
    #expect(two == "B2 ESTIMATE 16000 True")
    let refused = #expect(throws: TranscriptionError.self) {
      try asr.transcribe(TranscriptionRequest(samples: [0], sampleRate: 16_000, itemID: "bad"))
    }
    #expect(refused?.message.contains("cannot decode") == true)
    let died = #expect(throws: TranscriptionError.self) {
      try asr.transcribe(TranscriptionRequest(samples: [0], sampleRate: 16_000, itemID: "die"))
    }
    #expect(died?.code == .protocolViolation)
    #expect(died?.message.contains("model crashed") == true, "\(died?.message ?? "")")
    #expect(throws: TranscriptionError.self) {
      try asr.transcribe(TranscriptionRequest(samples: [0], sampleRate: 16_000, itemID: "after"))
    }
  }

  @Test("editing the recogniser's script, or its --asr-version, misses the cache; the same script hits")
  func editedScriptMissesCache() throws {
    guard let python = python() else {
      print("skipped: python3 is not installed")
      return
    }
    let dir = try TemporaryDirectory()
    let script = dir.path("asr.py")
    func recogniser(answering text: String) throws {
      try """
        import json, sys
        for line in sys.stdin:
            print(json.dumps({"id": json.loads(line)["id"], "text": "\(text)"}), flush=True)
        """.write(to: script, atomically: true, encoding: .utf8)
    }
    let request = TranscriptionRequest(samples: [0.1, 0.2, 0.3], sampleRate: 16_000, itemID: "a", role: .estimate)
    func transcribe(tag: String? = nil) throws -> String {
      let asr = try ExternalCommandTranscriber(command: [python, script.path], tag: tag)
      return try CachedTranscriber(asr, directory: dir.path("cache")).transcribe(request)
    }
    try recogniser(answering: "OLD")
    #expect(try transcribe() == "OLD")
    try recogniser(answering: "NEW")
    #expect(try transcribe() == "NEW", "the script's digest is part of the key")
    #expect(try transcribe() == "NEW")
    #expect(try transcribe(tag: "v2") == "NEW")
    try recogniser(answering: "OLD")
    #expect(try transcribe() == "OLD", "the first script's entry is still valid for it")
    try recogniser(answering: "NEW")
    let v2 = try ExternalCommandTranscriber.identity(of: [python, script.path], version: "v2")
    #expect(v2 != (try ExternalCommandTranscriber.identity(of: [python, script.path], version: "v3")))
  }

  @Test("a command that does not exist is reported when the recogniser is set up, not a crash")
  func missingCommand() throws {
    // The identity (for the transcript cache) needs the program's digest, so a missing
    // program is found before any audio is sent.
    let error = #expect(throws: TranscriptionError.self) {
      try ExternalCommandTranscriber(command: ["/nonexistent/asr"])
    }
    #expect(error?.code == .unavailable)
    #expect(error?.message.contains("/nonexistent/asr") == true)
  }

  @Test("precomputed transcripts are read per role and item; a missing one names its path")
  func precomputed() throws {
    let dir = try TemporaryDirectory()
    try FileManager.default.createDirectory(at: dir.path("reference"), withIntermediateDirectories: true)
    try "HELLO THERE\n".write(to: dir.path("reference/x-1.txt"), atomically: true, encoding: .utf8)
    let asr = PrecomputedTranscripts(folder: dir.url)
    #expect(try asr.transcribe(TranscriptionRequest(samples: [], sampleRate: 16_000, itemID: "x-1", role: .reference)) == "HELLO THERE")
    let error = #expect(throws: TranscriptionError.self) {
      try asr.transcribe(TranscriptionRequest(samples: [], sampleRate: 16_000, itemID: "x-1", role: .estimate))
    }
    #expect(error?.message.contains("estimate/x-1.txt") == true)
  }

  @Test("the cache transcribes each distinct audio once and keys on the samples and the recogniser")
  func cache() throws {
    let dir = try TemporaryDirectory()
    let counter = CountingTranscriber()
    let cached = try CachedTranscriber(counter, directory: dir.path("cache"))
    let a = TranscriptionRequest(samples: [0.1, 0.2, 0.3], sampleRate: 16_000)
    let b = TranscriptionRequest(samples: [0.1, 0.2, 0.31], sampleRate: 16_000)
    #expect(try cached.transcribe(a) == "CALL 1")
    #expect(try cached.transcribe(a) == "CALL 1")
    #expect(try cached.transcribe(b) == "CALL 2")
    #expect(counter.calls == 2)
    // A fresh cache object over the same folder still hits.
    let again = try CachedTranscriber(counter, directory: dir.path("cache"))
    #expect(try again.transcribe(b) == "CALL 2")
    #expect(counter.calls == 2)
    #expect(try cached.key(for: a) != (try cached.key(for: TranscriptionRequest(samples: a.samples, sampleRate: 8000))))
  }
}

private final class CountingTranscriber: Transcriber, @unchecked Sendable {
  private let lock = NSLock()
  private var count = 0
  var calls: Int { lock.withLock { count } }
  var identifier: String { "counting" }
  func transcribe(_ request: TranscriptionRequest) throws -> String {
    lock.withLock {
      count += 1
      return "CALL \(count)"
    }
  }
}
