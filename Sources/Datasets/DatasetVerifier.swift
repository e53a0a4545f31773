import ImageIO
import AudioIO
public import Foundation
public import L3DASCore

/// A deep check of an extracted dataset that does not trust file names (`l3das verify`).
///
/// For every split found by `DatasetLayout.discover(at:)`:
/// - the file-level checks of `SplitLocation.check()` (every `_A` has its `_B` and the
///   reverse, labels folder, Task 1 clean speech and transcript, Task 2 label file, names);
/// - per microphone file, from its header: 4 channels, the task's sample rate (16 kHz Task 1,
///   32 kHz Task 2); per pair with both rates right: equal lengths;
/// - Task 1: `labels/<id>.wav` is mono, 16 kHz and as long as the mixture; the transcript is
///   non-empty UTF-8 text; `info.csv`, where present, is readable UTF-8 CSV with rows;
/// - Task 2: every row of the label file parses (classes from the 14, times and numbers
///   valid), every event ends within the scene (the recording's length), and every position
///   lies inside the L3DAS21/22 box |x| ≤ 2, |y| ≤ 1.5, |z| ≤ 1 m; every bad row is reported
///   (up to `Options.problemsPerFile` per file, then a count of the rest);
/// - the item count against `Options.expectedItemCounts` where given;
/// - with `deep`, every sample of every audio file is read and must be finite.
///
/// Only headers are read unless `deep` is set. A problem is reported once, at its cause: a
/// file with the wrong rate is not also reported as a length mismatch.
public enum DatasetVerifier {
  /// What to check beyond the defaults.
  public struct Options: Sendable {
    /// Read every sample (slow) instead of headers only.
    public var deep: Bool = false
    /// Expected item counts by official split folder name (`L3DAS22_Task2_dev`).
    public var expectedItemCounts: [String: Int] = [:]
    /// Where `expectedItemCounts` come from, in messages ("the published count",
    /// "l3das-synth.json's count").
    public var expectedCountSource = "the published count"
    /// The largest |x|, |y|, |z| of a Task 2 position, in metres.
    public var coordinateLimits: SIMD3<Double> = [2, 1.5, 1]
    /// The most problems listed per label file; the rest are counted in one more line.
    public var problemsPerFile = 20

    /// Default options.
    public init() {}
  }

  /// Verifies the dataset or split folder `root`.
  ///
  /// - Returns: the report; a folder with no recognisable split gives one `.layout`
  ///   problem rather than an error.
  public static func verify(
    root: URL, options: Options = Options(), progress: (any ProgressReporter)? = nil
  ) -> VerificationReport {
    let layout: DatasetLayout
    do {
      layout = try DatasetLayout.discover(at: root)
    } catch {
      let path = (error as? DatasetError)?.path ?? root.path
      let message = (error as? DatasetError)?.message ?? "\(error)"
      return VerificationReport(
        root: root.path, splits: [], problems: [VerificationProblem(.layout, message, path: path)])
    }
    let total = progress == nil ? 0 : layout.micAFileCount()
    var completed = 0
    var splits: [VerificationReport.SplitResult] = []
    var problems: [VerificationProblem] = []
    for location in layout.splits {
      var itemCount = 0
      var stems: [String] = []
      location.scan(
        onItem: { item in
          itemCount += 1
          if location.edition == .l3das23 { stems.append(String(item.micA.lastPathComponent.dropLast(6))) }
          check(item, in: location, options: options) { problems.append($0) }
          completed += 1
          progress?.report(
            completed: completed, total: max(total, completed),
            label: "\(location.name)/\(item.micA.lastPathComponent)")
        },
        onProblem: { problems.append($0) })
      // info.csv (Task 1): must be readable UTF-8 CSV with a header and consistent rows.
      for file in DatasetSummary.infoFiles(location) {
        do {
          let table = try CSVTable.read(file)
          if table.rowCount == 0 {
            problems.append(VerificationProblem(.unreadableFile, "info.csv has a header but no rows", path: file.path))
          }
        } catch let error as DatasetError {
          problems.append(
            VerificationProblem(.unreadableFile, error.message, path: error.path ?? file.path, line: error.line))
        } catch {
          problems.append(VerificationProblem(.unreadableFile, "\(error)", path: file.path))
        }
      }
      if location.edition == .l3das23 {
        problems += Self.checkImages(location, stems: stems)
      }
      let expected = options.expectedItemCounts[location.name]
      if let expected, expected != itemCount {
        problems.append(
          VerificationProblem(
            .itemCount, "\(itemCount) items, \(options.expectedCountSource) is \(expected)",
            path: location.folders.first?.path ?? location.name))
      }
      splits.append(
        .init(
          name: location.name, task: location.task.rawValue, itemCount: itemCount,
          expectedItemCount: expected))
    }
    return VerificationReport(root: layout.root.path, splits: splits, problems: problems)
  }

  /// L3DAS23: every item has an image in its split's `audio_image.csv`, and every image is a
  /// readable 512 × 512 PNG in the task's `L3DAS23_Task<N>_images` folder.
  static func checkImages(_ location: SplitLocation, stems: [String]) -> [VerificationProblem] {
    var problems: [VerificationProblem] = []
    let roots = location.roots + location.folders
    guard let pairFile = AudioImagePairs.file(in: roots), let root = roots.first else {
      return [
        VerificationProblem(
          .image, "no \(AudioImagePairs.fileName) (the L3DAS23 pairs of audio items and images)",
          path: location.folders.first?.path ?? location.name)
      ]
    }
    let pairs: AudioImagePairs
    do {
      pairs = try AudioImagePairs.read(pairFile)
    } catch let error as DatasetError {
      return [VerificationProblem(.image, error.message, path: error.path ?? pairFile.path, line: error.line)]
    } catch {
      return [VerificationProblem(.image, "\(error)", path: pairFile.path)]
    }
    let unpaired = stems.filter { pairs.image(for: $0) == nil }.sorted()
    if !unpaired.isEmpty {
      problems.append(
        VerificationProblem(
          .image, "\(unpaired.count) item\(unpaired.count == 1 ? " has" : "s have") no image: \(unpaired.prefix(5).joined(separator: ", "))\(unpaired.count > 5 ? ", …" : "")",
          path: pairFile.path))
    }
    guard let images = AudioImagePairs.imagesFolder(for: root, task: location.task) else {
      problems.append(
        VerificationProblem(
          .image, "no L3DAS23_Task\(location.task.rawValue)_images folder beside the split", path: root.path))
      return problems
    }
    let used = Set(stems.compactMap { pairs.image(for: $0) })
    for name in used.sorted() {
      let url = images.appendingPathComponent(name)
      guard !name.contains("/"), !name.hasPrefix("."), FileManager.default.fileExists(atPath: url.path) else {
        problems.append(VerificationProblem(.image, "the paired image \(name) does not exist", path: url.path))
        continue
      }
      do {
        let size = try RGBImage.size(ofPNGAt: url)
        if size != (512, 512) {
          problems.append(
            VerificationProblem(.image, "\(size.width) × \(size.height) pixels; L3DAS23 images are 512 × 512", path: url.path))
        }
      } catch {
        problems.append(VerificationProblem(.image, "\(error)", path: url.path))
      }
    }
    return problems
  }

  // MARK: - One item

  private static func check(
    _ item: ScannedItem, in location: SplitLocation, options: Options,
    report: (VerificationProblem) -> Void
  ) {
    let rate = location.task.sampleRate
    let infoA = header(
      item.micA, expectedChannels: 4, expectedRate: rate, options: options, report: report)
    let infoB =
      item.hasMicB
      ? header(item.micB, expectedChannels: 4, expectedRate: rate, options: options, report: report)
      : nil
    if let infoA, let infoB, infoA.sampleRate == rate, infoB.sampleRate == rate,
      infoA.frameCount != infoB.frameCount
    {
      report(
        VerificationProblem(
          .lengthMismatch,
          "\(infoA.frameCount) frames, but its mic B partner has \(infoB.frameCount)",
          path: item.micA.path))
    }
    let stem = String(item.micA.lastPathComponent.dropLast("_A.wav".count))
    let labels = item.micA.deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("labels", isDirectory: true)
    switch location.task {
    case .speechEnhancement:
      if item.hasLabel {
        let clean = labels.appendingPathComponent("\(stem).wav")
        if let info = header(
          clean, expectedChannels: 1, expectedRate: rate, options: options, report: report),
          let infoA, infoA.sampleRate == rate, info.sampleRate == rate,
          info.frameCount != infoA.frameCount
        {
          report(
            VerificationProblem(
              .lengthMismatch,
              "clean speech has \(info.frameCount) frames, the mixture \(infoA.frameCount)",
              path: clean.path))
        }
      }
      if item.hasTranscript {
        let transcript = labels.appendingPathComponent("\(stem).txt")
        guard let data = FileManager.default.contents(atPath: transcript.path) else {
          report(
            VerificationProblem(
              .unreadableFile, "cannot read the transcript", path: transcript.path))
          return
        }
        guard let text = String(data: data, encoding: .utf8) else {
          report(
            VerificationProblem(
              .transcript, "the transcript is not UTF-8 text", path: transcript.path))
          return
        }
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
          report(VerificationProblem(.transcript, "the transcript is empty", path: transcript.path))
        }
      }
    case .soundEventLocalizationDetection:
      guard item.hasLabel else { return }
      let file = labels.appendingPathComponent("label_\(stem).csv")
      // The scene's length: the recording's own, else the edition's.
      let sceneSeconds = infoA.map { Double($0.frameCount) / Double(max(1, $0.sampleRate)) }
        ?? location.edition.task2SceneSeconds
      do {
        let (events, errors) = try Task2Labels.parseCollectingErrors(
          try TextFile.read(file), path: file.path)
        var problems = errors.map {
          VerificationProblem(.labelFile, $0.message, path: $0.path ?? file.path, line: $0.line)
        }
        let limits = options.coordinateLimits
        for (event, line) in events {
          let p = event.position
          // L3DAS23's sources stand on cylinders around mic A in whole houses: no room box
          // (rho ≥ 0 and finite values are checked by the reader).
          if event.cylindrical == nil, abs(p.x) > limits.x + 1e-9 || abs(p.y) > limits.y + 1e-9 || abs(p.z) > limits.z + 1e-9
          {
            problems.append(
              VerificationProblem(
                .coordinateOutOfRange,
                "position (\(p.x), \(p.y), \(p.z)) m is outside the box |x| ≤ \(limits.x), "
                  + "|y| ≤ \(limits.y), |z| ≤ \(limits.z)",
                path: file.path, line: line))
          }
          // Half a label frame of slack: the official quantisation rounds to 0.1 s.
          if event.endSeconds > sceneSeconds + 0.05 || event.startSeconds > sceneSeconds + 0.05 {
            problems.append(
              VerificationProblem(
                .labelFile,
                "event \(Task2Labels.decimal(event.startSeconds))–\(Task2Labels.decimal(event.endSeconds)) s ends after the scene's \(Task2Labels.decimal(sceneSeconds)) s",
                path: file.path, line: line))
          }
        }
        problems.sort { ($0.line ?? 0) < ($1.line ?? 0) }
        for problem in problems.prefix(options.problemsPerFile) { report(problem) }
        if problems.count > options.problemsPerFile {
          report(
            VerificationProblem(
              .labelFile,
              "\(problems.count - options.problemsPerFile) more problem\(problems.count - options.problemsPerFile == 1 ? "" : "s") in this file (\(problems.count) in all; the first \(options.problemsPerFile) are listed)",
              path: file.path))
        }
      } catch let error as DatasetError {
        report(
          VerificationProblem(
            .labelFile, error.message, path: error.path ?? file.path, line: error.line))
      } catch {
        report(VerificationProblem(.labelFile, "\(error)", path: file.path))
      }
    }
  }

  /// The header of `url`, after reporting a wrong channel count or rate; with `deep`, every
  /// sample is read as well.
  private static func header(
    _ url: URL, expectedChannels: Int, expectedRate: Int, options: Options,
    report: (VerificationProblem) -> Void
  ) -> AudioFileInfo? {
    let info: AudioFileInfo
    do {
      info = try AudioFile.info(at: url)
    } catch {
      report(
        VerificationProblem(
          .unreadableFile, "cannot read the audio header: \(error)", path: url.path))
      return nil
    }
    if info.channelCount != expectedChannels {
      report(
        VerificationProblem(
          .channelCount, "\(info.channelCount) channels, expected \(expectedChannels)",
          path: url.path))
    }
    if info.sampleRate != expectedRate {
      report(
        VerificationProblem(
          .sampleRate, "sample rate \(info.sampleRate) Hz, expected \(expectedRate) Hz",
          path: url.path))
    }
    if options.deep { readAll(url, info: info, report: report) }
    return info
  }

  private static func readAll(
    _ url: URL, info: AudioFileInfo, report: (VerificationProblem) -> Void
  ) {
    do {
      let reader = try AudioFileReader(url)
      let chunk = 1 << 16
      var start = 0
      while start < info.frameCount {
        let end = min(info.frameCount, start + chunk)
        let buffer = try reader.read(frames: start..<end)
        if !buffer.isFinite {
          report(
            VerificationProblem(
              .nonFiniteSamples, "NaN or infinite samples between frames \(start) and \(end)",
              path: url.path))
          return
        }
        start = end
      }
    } catch {
      report(
        VerificationProblem(.unreadableFile, "cannot read the samples: \(error)", path: url.path))
    }
  }
}

/// One problem found by `DatasetVerifier`: a `DatasetProblem`, often with a line.
public typealias VerificationProblem = DatasetProblem

/// The result of `DatasetVerifier.verify(root:options:progress:)`.
public struct VerificationReport: Sendable, Codable, Equatable {
  /// One split's counts.
  public struct SplitResult: Sendable, Codable, Equatable {
    /// Official folder name.
    public var name: String
    /// 1 or 2.
    public var task: Int
    /// Items found (`<id>_A.wav` with a valid id).
    public var itemCount: Int
    /// The published count, if known.
    public var expectedItemCount: Int?
  }

  /// The folder verified.
  public var root: String
  /// The splits found.
  public var splits: [SplitResult]
  /// Every problem, in discovery order.
  public var problems: [VerificationProblem]

  /// Whether no problem was found.
  public var isValid: Bool { problems.isEmpty }

  /// A human-readable report: one line per split, one per problem, and a verdict.
  public var text: String {
    var lines: [String] = []
    for split in splits {
      let expected = split.expectedItemCount.map { " (expected: \($0))" } ?? ""
      lines.append("\(split.name): \(split.itemCount) items\(expected)")
    }
    lines += problems.map { "\($0) [\($0.kind.rawValue)]" }
    lines.append(
      isValid
        ? "OK: \(splits.count) split\(splits.count == 1 ? "" : "s"), no problems"
        : "FAILED: \(problems.count) problem\(problems.count == 1 ? "" : "s")")
    return lines.joined(separator: "\n")
  }
}
