import AudioIO
import Foundation
import Metrics
import SpeechRecognition
import Testing

/// The five public-domain LibriVox clips of Debian's pocketsphinx-testdata, with transcripts.
private let librivox = URL(fileURLWithPath: "/usr/share/pocketsphinx/test/data/librivox")

private func transcripts() throws -> [String: String] {
  let text = try String(contentsOf: librivox.appendingPathComponent("transcription"), encoding: .utf8)
  var result: [String: String] = [:]
  for line in text.split(separator: "\n") {
    guard let open = line.lastIndex(of: "("), let close = line.lastIndex(of: ")") else { continue }
    let words = line[..<open].split(separator: " ").filter { $0 != "<s>" && $0 != "</s>" }
    result[String(line[line.index(after: open)..<close])] = words.joined(separator: " ").uppercased()
  }
  return result
}

@Suite("PocketSphinx transcription")
struct PocketSphinxTests {
  @Test("real LibriVox speech is transcribed with WER below 0.5 against its transcript")
  func librivoxWER() throws {
    let asr = try PocketSphinxTranscriber()
    var total = WordErrorCounts()
    for (name, reference) in try transcripts().sorted(by: { $0.key < $1.key }) {
      let audio = try AudioFile.read(librivox.appendingPathComponent("\(name).wav"))
      let text = try asr.transcribe(TranscriptionRequest(samples: Array(audio.channel(0)), sampleRate: audio.sampleRate))
      #expect(text == text.uppercased())
      let counts = WER.counts(reference: reference, hypothesis: text)
      #expect(counts.wer < 0.5, "\(name): \(text)")
      total = total + counts
    }
    print("PocketSphinx pooled WER on the 5 LibriVox clips: \(total.wer)")
    #expect(total.wer < 0.5)
  }

  @Test("decoding is deterministic and works from several threads at once")
  func concurrent() throws {
    let asr = try PocketSphinxTranscriber()
    let audio = try AudioFile.read(librivox.appendingPathComponent("sense_and_sensibility_01_austen_64kb-0880.wav"))
    let request = TranscriptionRequest(samples: Array(audio.channel(0)), sampleRate: 16_000)
    let first = try asr.transcribe(request)
    let results = Results()
    DispatchQueue.concurrentPerform(iterations: 3) { _ in results.add(try? asr.transcribe(request)) }
    #expect(results.values == [first, first, first])
  }

  @Test("audio at another rate, or with NaN, is refused with a clear error")
  func invalidAudio() throws {
    let asr = try PocketSphinxTranscriber()
    let rate = #expect(throws: TranscriptionError.self) {
      try asr.transcribe(TranscriptionRequest(samples: [0, 0], sampleRate: 8000))
    }
    #expect(rate?.code == .invalidAudio && rate?.message.contains("16 000") == true)
    #expect(throws: TranscriptionError.self) {
      try asr.transcribe(TranscriptionRequest(samples: [0, .nan], sampleRate: 16_000))
    }
    #expect(try asr.transcribe(TranscriptionRequest(samples: [Float](repeating: 0, count: 16_000), sampleRate: 16_000)) == "")
  }

  @Test("a missing model names the file and the Debian package")
  func missingModel() {
    var model = PocketSphinxTranscriber.Model.debianEnglish
    model.dictionary = URL(fileURLWithPath: "/nonexistent/dict")
    let error = #expect(throws: TranscriptionError.self) { try PocketSphinxTranscriber(model: model) }
    #expect(error?.message.contains("/nonexistent/dict") == true && error?.message.contains("pocketsphinx-en-us") == true)
  }
}

private final class Results: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var values: [String?] = []
  func add(_ value: String?) { lock.withLock { values.append(value) } }
}
