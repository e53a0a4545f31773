import ArgumentParser
import AudioIO
import Foundation
import Metrics
import Pipelines
import Submission

/// `l3das stoi`: STOI of one pair.
struct Stoi: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "stoi",
    abstract: "STOI (or ESTOI) of one estimate against its clean speech, equal to pystoi 0.4.1.")

  @Argument(help: "The clean speech (mono WAV).")
  var clean: String

  @Argument(help: "The estimate: a mono WAV at the same rate, or a .npy array of the same length.")
  var estimate: String

  @Flag(help: "Extended STOI (ESTOI) instead of STOI.")
  var extended = false

  @Option(help: "Score this channel of a multichannel estimate WAV, counted from 0 (e.g. 0 = W of a mic-A FOA file, the unprocessed baseline).")
  var channel: Int?

  @Flag(help: "Print the result as JSON.")
  var json = false

  func validate() throws {
    try Limits.check(channel, "--channel", in: 0...255)
  }

  func run() throws {
    let reference = try AudioFile.read(URL(fileURLWithPath: clean))
    guard reference.channelCount == 1 else {
      throw DataError("\(clean): the clean speech must be mono; it has \(reference.channelCount) channels")
    }
    let estimateSamples: [Float]
    if estimate.hasSuffix(".npy") {
      if channel != nil { throw ValidationError("--channel applies to a WAV estimate, not a .npy array") }
      estimateSamples = try Task1Scoring.loadEstimate(URL(fileURLWithPath: estimate), expectedLength: reference.frameCount)
    } else {
      let audio = try AudioFile.read(URL(fileURLWithPath: estimate))
      guard audio.sampleRate == reference.sampleRate else {
        throw DataError("\(estimate): sampled at \(audio.sampleRate) Hz, but the clean speech is at \(reference.sampleRate) Hz; resample it first")
      }
      if let channel {
        guard channel < audio.channelCount else {
          throw DataError("\(estimate): has \(audio.channelCount) channel\(audio.channelCount == 1 ? "" : "s"); --channel \(channel) does not exist (channels count from 0)")
        }
        estimateSamples = Array(audio.channel(channel))
      } else {
        guard audio.channelCount == 1 else {
          throw DataError("\(estimate): has \(audio.channelCount) channels; an estimate is mono (pick one with --channel N, counted from 0)")
        }
        estimateSamples = Array(audio.channel(0))
      }
      guard estimateSamples.count == reference.frameCount else {
        throw DataError("\(estimate): \(estimateSamples.count) samples, but the clean speech has \(reference.frameCount)")
      }
    }
    let result = try STOI.evaluate(
      clean: Array(reference.channel(0)), estimate: estimateSamples, sampleRate: reference.sampleRate,
      extended: extended)
    if json {
      try Output.printJSON(result)
    } else {
      print("\(extended ? "ESTOI" : "STOI") \(fixed(result.value, digits: 6))" + (result.isTooShort ? "  (fewer than 30 speech frames: pystoi's 1e-5 sentinel)" : ""))
    }
  }
}

/// `l3das wer`: WER of one pair of texts.
struct Wer: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "wer",
    abstract: "Word error rate of one hypothesis against its reference, equal to jiwer's default.")

  @Argument(help: "The reference text.")
  var reference: String

  @Argument(help: "The hypothesis text.")
  var hypothesis: String

  @Option(help: "Empty reference: skip (jiwer 2.x, the challenge) or count-insertions (jiwer >= 4).")
  var emptyReference: EmptyReferencePolicy = .countInsertions

  @Flag(help: "Print the result as JSON.")
  var json = false

  struct Output_: Encodable {
    var wer: Double?
    var substitutions: Int?
    var deletions: Int?
    var insertions: Int?
    var hits: Int?
    var skipped: Bool
  }

  func run() throws {
    let result = WER.evaluate(reference: reference, hypothesis: hypothesis, emptyReference: emptyReference)
    let c = result.counts
    if json {
      try Output.printJSON(
        Output_(wer: c?.wer, substitutions: c?.substitutions, deletions: c?.deletions, insertions: c?.insertions, hits: c?.hits, skipped: c == nil))
    } else if let c {
      print("WER \(fixed(c.wer))  (substitutions \(c.substitutions), deletions \(c.deletions), insertions \(c.insertions), hits \(c.hits))")
    } else {
      print("skipped: the reference has no words (jiwer 2.x refuses it; use --empty-reference count-insertions for jiwer >= 4)")
    }
  }
}
