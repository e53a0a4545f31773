import AudioIO
import Foundation
import NumPyIO
import Testing
import _TestSupport

private func l3das(_ arguments: [String]) throws -> BuiltExecutable.Result {
  // No installed model and no Hugging Face cache: only the one named on the command line.
  try BuiltExecutable("l3das", environment: ["COLUMNS": "80", "HOME": "/nonexistent", "XDG_DATA_HOME": "/nonexistent"])
    .run(arguments)
}

private func model() throws -> URL {
  try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).appendingPathComponent("wav2vec2-tiny")
}

/// The rows of a per-file CSV by id (quoted fields with commas handled).
private func csvRows(_ text: String) -> [[String]] {
  text.split(separator: "\n").dropFirst().map { line in
    var fields: [String] = []
    var field = ""
    var quoted = false
    var previous: Character?
    for c in line {
      if c == "\"" {
        if quoted, previous == "\"" { field.append("\"") }
        quoted.toggle()
      } else if c == ",", !quoted {
        fields.append(field)
        field = ""
      } else {
        field.append(c)
      }
      previous = c
    }
    fields.append(field)
    return fields
  }
}

@Suite("l3das transcribe and score with wav2vec2")
struct TranscribeCommandTests {
  @Test("score --transcriber wav2vec2 on a synthetic split has the transcripts transcribe prints")
  func scoreMatchesTranscribe() throws {
    let dir = try TemporaryDirectory()
    let root = dir.path("data")
    let synth = try l3das([
      "synth", "-o", root.path, "--task", "1", "--task1-items", "2", "--task1-splits", "test", "--seed", "3",
      "--quiet",
    ])
    #expect(synth.status == 0, "\(synth.stderr)")
    let split = try #require(
      try FileManager.default.contentsOfDirectory(at: root, includingPropertiesForKeys: nil)
        .first { $0.lastPathComponent.contains("Task1_test") })
    let labels = split.appendingPathComponent("labels")
    let wavs = try FileManager.default.contentsOfDirectory(atPath: labels.path).filter { $0.hasSuffix(".wav") }.sorted()
    #expect(wavs.count == 2)
    // The estimates: the clean speech at half amplitude, as .npy.
    let submission = dir.path("submission")
    try FileManager.default.createDirectory(at: submission, withIntermediateDirectories: true)
    for wav in wavs {
      let audio = try AudioFile.read(labels.appendingPathComponent(wav))
      let id = String(wav.dropLast(4))
      try NumPyFile.write(
        Array(audio.channel(0)).map { $0 * 0.5 }, shape: [audio.frameCount],
        to: submission.appendingPathComponent(id + ".npy"))
    }
    let csv = dir.path("per-file.csv")
    let score = try l3das([
      "score", "--task", "1", "--submission", submission.path, "--truth", split.path, "--transcriber", "wav2vec2",
      "--model-dir", try model().path, "--no-cache", "--per-file-csv", csv.path, "--quiet",
    ])
    #expect(score.status == 0, "\(score.stderr)")
    #expect(score.stdout.contains("transcriber: wav2vec2:wav2vec2-tiny:sha256="))
    let rows = csvRows(try String(contentsOf: csv, encoding: .utf8))
    #expect(rows.count == 2)

    let references = wavs.map { labels.appendingPathComponent($0).path }
    let estimates = wavs.map { submission.appendingPathComponent(String($0.dropLast(4)) + ".npy").path }
    let transcribe = try l3das(["transcribe", "--model", try model().path] + references + estimates)
    #expect(transcribe.status == 0, "\(transcribe.stderr)")
    var texts: [String: String] = [:]
    for line in transcribe.stdout.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
      let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
      texts[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
    }
    for row in rows {
      let id = row[0]
      let reference = try #require(texts[labels.appendingPathComponent(id + ".wav").path])
      let estimate = try #require(texts[submission.appendingPathComponent(id + ".npy").path])
      #expect(row[6] == reference, "\(id) reference")
      #expect(row[7] == estimate, "\(id) estimate")
      #expect(!reference.isEmpty)
    }
  }

  @Test("transcribe --json lists file, text and ids in input order; --logits writes [frames, 32] float32")
  func jsonAndLogits() throws {
    let dir = try TemporaryDirectory()
    let samples = (0..<16_000).map { (i: Int) -> Float in
      let t = Double(i)
      return Float(0.4 * sin(t * 0.02) + 0.1 * sin(t * 0.31))
    }
    try AudioFile.write(AudioBuffer(channels: [samples], sampleRate: 16_000), to: dir.path("b.wav"), format: .float32)
    try NumPyFile.write(samples, shape: [samples.count], to: dir.path("a.npy"))
    try NumPyFile.write(Array(samples.prefix(300)), shape: [300], to: dir.path("short.npy"))
    let result = try l3das([
      "transcribe", "--model", try model().path, "--json", "--logits", dir.path("logits").path,
      dir.path("b.wav").path, dir.path("a.npy").path, dir.path("short.npy").path,
    ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr.contains("short.npy") && result.stderr.contains("warning"))
    let items = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
    #expect(items.map { $0["file"] as? String } == [dir.path("b.wav").path, dir.path("a.npy").path, dir.path("short.npy").path])
    #expect((items[0]["ids"] as? [Int])?.count == 49)
    #expect(items[0]["text"] as? String == items[1]["text"] as? String)
    #expect((items[2]["ids"] as? [Int]) == [] && items[2]["text"] as? String == "")
    let (header, logits) = try NumPyFile.readFloats(dir.path("logits/b.npy"))
    #expect(header.shape == [49, 32])
    // The ids are the argmax of the logits.
    let ids = try #require(items[0]["ids"] as? [Int])
    for (t, id) in ids.enumerated() {
      let row = Array(logits[(t * 32)..<(t * 32 + 32)])
      #expect(row.firstIndex(of: row.max()!) == id)
    }
  }

  @Test("bad audio exits 1 naming the file; a missing model or no input exits 64")
  func errors() throws {
    let dir = try TemporaryDirectory()
    try AudioFile.write(
      AudioBuffer(channels: [[Float](repeating: 0.1, count: 800)], sampleRate: 8_000), to: dir.path("slow.wav"), format: .float32)
    let slow = try l3das(["transcribe", "--model", try model().path, dir.path("slow.wav").path])
    #expect(slow.status == 1)
    #expect(slow.stderr.contains("slow.wav") && slow.stderr.contains("16000"))
    let missing = try l3das(["transcribe", "--model", dir.path("nothing").path, dir.path("slow.wav").path])
    #expect(missing.status == 64)
    #expect(missing.stderr.contains("--model"))
    let none = try l3das(["transcribe", dir.path("slow.wav").path])
    #expect(none.status == 64)
    #expect(none.stderr.contains("l3das download wav2vec2-base-960h"))
    #expect(try l3das(["transcribe", "--model", try model().path]).status == 64)
  }
}
