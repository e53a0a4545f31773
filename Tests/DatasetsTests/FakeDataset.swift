import AudioIO
import Datasets
import Foundation
import _TestSupport

/// Builds tiny fake dataset trees: 4-channel 16-bit files of a few hundred frames.
enum FakeDataset {
  /// Creates `root/data` and (unless `labels` is false) `root/labels`; returns `root`.
  @discardableResult
  static func makeRoot(_ root: URL, labels: Bool = true) throws -> URL {
    try FileManager.default.createDirectory(
      at: root.appendingPathComponent("data"), withIntermediateDirectories: true)
    if labels {
      try FileManager.default.createDirectory(
        at: root.appendingPathComponent("labels"), withIntermediateDirectories: true)
    }
    return root
  }

  /// A short 4-channel FOA-like file.
  static func writeAudio(
    _ url: URL, frameCount: Int, sampleRate: Int, channelCount: Int = 4
  ) throws {
    let buffer = Signals.sines(
      channelCount: channelCount, frameCount: frameCount, sampleRate: sampleRate)
    try AudioFile.write(buffer, to: url, format: .pcm16)
  }

  static let sampleEvents = [
    SoundEvent(startSeconds: 0.5, endSeconds: 2.25, soundClass: .knock, position: [1, -0.5, 0.25]),
    SoundEvent(startSeconds: 1, endSeconds: 1.5, soundClass: .printer, position: [-2, 1.5, -1]),
  ]

  /// Writes `data/<id>_A.wav`, optionally `_B.wav` and `labels/label_<id>.csv`.
  static func writeTask2Item(
    _ id: String, root: URL, frameCount: Int = 100, micB: Bool = true, label: Bool = true,
    events: [SoundEvent] = sampleEvents
  ) throws {
    let data = root.appendingPathComponent("data")
    try writeAudio(
      data.appendingPathComponent("\(id)_A.wav"), frameCount: frameCount, sampleRate: 32_000)
    if micB {
      try writeAudio(
        data.appendingPathComponent("\(id)_B.wav"), frameCount: frameCount, sampleRate: 32_000)
    }
    if label {
      try Task2Labels.write(events, to: root.appendingPathComponent("labels/label_\(id).csv"))
    }
  }

  /// Writes `data/<id>_A.wav`, optionally `_B.wav`, `labels/<id>.wav` and `labels/<id>.txt`.
  static func writeTask1Item(
    _ id: String, root: URL, frameCount: Int = 100, micB: Bool = true, clean: Bool = true,
    transcript: String? = "  HELLO WORLD\n"
  ) throws {
    let data = root.appendingPathComponent("data")
    try writeAudio(
      data.appendingPathComponent("\(id)_A.wav"), frameCount: frameCount, sampleRate: 16_000)
    if micB {
      try writeAudio(
        data.appendingPathComponent("\(id)_B.wav"), frameCount: frameCount, sampleRate: 16_000)
    }
    if clean {
      try writeAudio(
        root.appendingPathComponent("labels/\(id).wav"), frameCount: frameCount, sampleRate: 16_000,
        channelCount: 1)
    }
    if let transcript {
      try Data(transcript.utf8).write(to: root.appendingPathComponent("labels/\(id).txt"))
    }
  }

  /// Writes a small non-audio file.
  static func touch(_ url: URL, _ text: String = "x") throws {
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: url)
  }
}
