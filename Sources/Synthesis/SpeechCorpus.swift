import AudioIO
public import Foundation

/// Real speech with transcripts, used as the Task 1 target speech of the synthetic dataset so
/// that WER is meaningful.
///
/// Two folder layouts are read:
/// - the CMU Sphinx test layout: `fileids` (one clip name per line), `transcription`
///   (`<s> words </s> (name)` per line) and `<name>.wav`; Debian's `pocketsphinx-testdata`
///   ships five public-domain LibriVox clips this way in
///   `/usr/share/pocketsphinx/test/data/librivox` (16 kHz, 16-bit, 3–7 s);
/// - pairs `<name>.wav` + `<name>.txt` (one transcript per clip), for a user's own clips.
///
/// Transcripts are upper-cased, as LibriSpeech's (the source of the real L3DAS speech).
public struct SpeechCorpus: Sendable {
  /// One clip: mono samples at `sampleRate` and its transcript.
  public struct Clip: Sendable {
    /// The clip's file name without extension.
    public var name: String
    /// Mono samples.
    public var samples: [Float]
    /// Sample rate in Hz.
    public var sampleRate: Int
    /// The words spoken, upper case, single spaces.
    public var transcript: String
  }

  /// The default location: Debian's `pocketsphinx-testdata` LibriVox clips.
  public static let defaultDirectory = URL(
    fileURLWithPath: "/usr/share/pocketsphinx/test/data/librivox", isDirectory: true)

  /// The clips, sorted by name.
  public let clips: [Clip]

  /// Loads every clip of `directory`.
  ///
  /// - Parameter sampleRate: every clip must have this rate (16 000 for Task 1).
  /// - Throws: `SynthesisError.speechCorpusUnavailable` naming the folder, the problem and
  ///   the fix (install `pocketsphinx-testdata` or pass another folder); `AudioIOError` for
  ///   an unreadable clip.
  public init(directory: URL = SpeechCorpus.defaultDirectory, sampleRate: Int) throws {
    let fm = FileManager.default
    guard fm.fileExists(atPath: directory.path) else {
      throw SynthesisError(
        .speechCorpusUnavailable,
        "speech folder \(directory.path) does not exist; install Debian's pocketsphinx-testdata "
          + "(apt-get install pocketsphinx-testdata) or pass a folder of <name>.wav + <name>.txt clips"
      )
    }
    var transcripts: [String: String] = [:]
    let sphinxTranscription = directory.appendingPathComponent("transcription")
    if fm.fileExists(atPath: sphinxTranscription.path) {
      let text = try String(contentsOf: sphinxTranscription, encoding: .utf8)
      for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
        guard let open = line.lastIndex(of: "("), let close = line.lastIndex(of: ")"), open < close
        else {
          throw SynthesisError(
            .speechCorpusUnavailable,
            "\(sphinxTranscription.path):\(number + 1): expected '<s> words </s> (name)'")
        }
        let name = String(line[line.index(after: open)..<close])
        let words = line[..<open].split(separator: " ").filter { $0 != "<s>" && $0 != "</s>" }
        transcripts[name] = words.joined(separator: " ")
      }
    } else {
      let names = try fm.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".txt") }
      for name in names {
        let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        transcripts[String(name.dropLast(4))] = text.split(whereSeparator: \.isWhitespace).joined(
          separator: " ")
      }
    }
    var clips: [Clip] = []
    for (name, words) in transcripts.sorted(by: { $0.key < $1.key }) {
      let url = directory.appendingPathComponent("\(name).wav")
      guard fm.fileExists(atPath: url.path) else { continue }
      let audio = try AudioFile.read(url)
      guard audio.sampleRate == sampleRate else {
        throw SynthesisError(
          .speechCorpusUnavailable,
          "\(url.path): speech clips must be \(sampleRate) Hz, this one is \(audio.sampleRate) Hz")
      }
      guard !words.isEmpty else { continue }
      clips.append(
        Clip(
          name: name, samples: Array(audio.channel(0)), sampleRate: sampleRate,
          transcript: words.uppercased()))
    }
    guard !clips.isEmpty else {
      throw SynthesisError(
        .speechCorpusUnavailable,
        "no speech clip with a transcript found in \(directory.path); expected 'fileids' + 'transcription' "
          + "(CMU Sphinx layout) or <name>.wav + <name>.txt pairs")
    }
    self.clips = clips
  }
}
