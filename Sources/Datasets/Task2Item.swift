public import AudioIO
public import Foundation

/// One Task 2 scene: its two microphone recordings and its label file.
///
/// Holds only URLs; nothing is read until a `load…` method is called.
public struct Task2Item: Hashable, Sendable {
  /// The scene id.
  public var id: Task2RecordingID
  /// The mic-A recording, `data/<id>_A.wav`.
  public var micA: URL
  /// The mic-B recording, `data/<id>_B.wav`.
  public var micB: URL
  /// The label file, `labels/label_<id>.csv`.
  public var labels: URL

  /// The item `id` in `root` (the folder holding `data/` and `labels/`).
  public init(id: Task2RecordingID, root: URL) {
    let data = root.appendingPathComponent("data", isDirectory: true)
    self.id = id
    micA = data.appendingPathComponent(id.audioFileName(.a))
    micB = data.appendingPathComponent(id.audioFileName(.b))
    labels = root.appendingPathComponent("labels", isDirectory: true)
      .appendingPathComponent(id.labelFileName)
  }

  /// Reads both recordings (optionally only `frames`) as one 8-channel recording, mic A
  /// first.
  ///
  /// - Throws: `AudioIOError` if a file is missing or unreadable, or the two differ.
  public func loadRecording(frames: Range<Int>? = nil) throws -> AmbisonicRecording {
    try AmbisonicRecording.load(micA: micA, micB: micB, frames: frames, expectedChannelCount: nil)
  }

  /// Reads and parses the label file.
  ///
  /// - Throws: `DatasetError` `.missingFile` if it does not exist, `.readFailed`, or any
  ///   error of `Task2Labels.parse(_:path:)`.
  public func loadLabels() throws -> [SoundEvent] {
    try Task2Labels.parse(TextFile.read(labels, missingCode: .missingFile), path: labels.path)
  }
}
