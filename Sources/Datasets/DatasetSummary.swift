import AudioIO
public import Foundation
public import L3DASCore

/// What a dataset folder holds, split by split.
///
/// Lists item counts, durations, audio formats, label files and problems. Built from file
/// headers only (`AudioFile.info`), never from audio samples, so it is cheap even for the
/// full dataset. Encodes to JSON for `l3das info --json`; `renderText()` gives a table for
/// people.
public struct DatasetSummary: Codable, Sendable, Equatable {
  /// The folder that was summarised.
  public var root: String
  /// One summary per split found, in `DatasetLayout` order.
  public var splits: [SplitSummary]

  /// Creates a summary from its parts.
  public init(root: String, splits: [SplitSummary]) {
    self.root = root
    self.splits = splits
  }

  /// How many problem messages each split keeps (`SplitSummary.problems`).
  public static let problemSampleLimit = 5

  /// Discovers the splits under `root` (see `DatasetLayout.discover(at:)`) and summarises
  /// them.
  ///
  /// - Parameters:
  ///   - root: a dataset folder or a split folder.
  ///   - progress: told about every item; the total is the number of `_A.wav` files,
  ///     counted by a first pass over the directory listings.
  /// - Throws: any error of `DatasetLayout.discover(at:)`. Problems with individual files
  ///   (missing partners, unreadable headers) are counted, not thrown.
  public static func summarize(
    root: URL, progress: (any ProgressReporter)? = nil
  ) throws -> DatasetSummary {
    summarize(layout: try DatasetLayout.discover(at: root), progress: progress)
  }

  /// Summarises the splits of an already discovered layout (see
  /// `summarize(root:progress:)`).
  public static func summarize(
    layout: DatasetLayout, progress: (any ProgressReporter)? = nil
  ) -> DatasetSummary {
    let total = progress == nil ? 0 : layout.micAFileCount()
    var completed = 0
    let splits = layout.splits.map { location in
      summarize(location) { label in
        completed += 1
        progress?.report(completed: completed, total: max(total, completed), label: label)
      }
    }
    return DatasetSummary(root: layout.root.path, splits: splits)
  }

  private static func summarize(
    _ location: SplitLocation, itemDone: (String) -> Void
  ) -> SplitSummary {
    var summary = SplitSummary(location)
    var sampleRates = Set<Int>()
    var channelCounts = Set<Int>()
    var formats = Set<String>()
    func note(_ problem: DatasetProblem) {
      summary.problemCount += 1
      if summary.problems.count < problemSampleLimit {
        summary.problems.append(problem.description)
      }
    }
    location.scan(
      onItem: { item in
        summary.itemCount += 1
        if item.hasLabel { summary.labelFileCount += 1 }
        if item.hasTranscript { summary.transcriptFileCount += 1 }
        if let info = header(of: item, problem: note) {
          summary.totalSeconds += info.durationSeconds
          summary.minimumItemSeconds = min(
            summary.minimumItemSeconds ?? info.durationSeconds, info.durationSeconds)
          summary.maximumItemSeconds = max(
            summary.maximumItemSeconds ?? info.durationSeconds, info.durationSeconds)
          sampleRates.insert(info.sampleRate)
          channelCounts.insert(info.channelCount)
          formats.insert(info.sampleFormat?.rawValue ?? "other")
        }
        itemDone("\(location.name)/\(item.micA.lastPathComponent)")
      },
      onProblem: note)
    summary.sampleRates = sampleRates.sorted()
    summary.channelCounts = channelCounts.sorted()
    summary.sampleFormats = formats.sorted()
    // Counted apart and then added: `note` itself changes `summary`, so the two must not be
    // handed to one call (an exclusivity violation aborts the program).
    let (infoRows, infoProblems) = countInfoRows(location)
    if let infoRows { summary.infoRowCount = infoRows }
    infoProblems.forEach(note)
    return summary
  }

  /// Mic A's header, after checking that mic B (if present) matches it.
  private static func header(
    of item: ScannedItem, problem: (DatasetProblem) -> Void
  ) -> AudioFileInfo? {
    if item.hasMicB {
      do {
        return try AmbisonicRecording.checkPair(micA: item.micA, micB: item.micB)
      } catch let error as AudioIOError where error.code == .mismatchedPair {
        problem(DatasetProblem(.mismatchedPair, error.message, path: item.micA.path))
      } catch {
        problem(DatasetProblem(.unreadableFile, "\(error)", path: item.micA.path))
        return nil
      }
    }
    do {
      return try AudioFile.info(at: item.micA)
    } catch {
      problem(DatasetProblem(.unreadableFile, "\(error)", path: item.micA.path))
      return nil
    }
  }

  /// The rows of every `info.csv` in the split's folders and roots (`nil`: there is none),
  /// and the problems of the unreadable ones.
  static func countInfoRows(_ location: SplitLocation) -> (Int?, [DatasetProblem]) {
    var seen = Set<String>()
    var count: Int?
    var problems: [DatasetProblem] = []
    for file in infoFiles(location) where seen.insert(file.standardizedFileURL.path).inserted {
      do {
        count = (count ?? 0) + (try CSVTable.read(file)).rowCount
      } catch let error as DatasetError {
        problems.append(DatasetProblem(.unreadableFile, error.message, path: file.path))
      } catch {
        problems.append(DatasetProblem(.unreadableFile, "\(error)", path: file.path))
      }
    }
    return (count, problems)
  }

  /// The `info.csv` files of a split (in its folders and data roots).
  static func infoFiles(_ location: SplitLocation) -> [URL] {
    (location.folders + location.roots).map { $0.appendingPathComponent("info.csv") }
      .filter { FileSystem.exists($0.path) }
  }
}

/// The summary of one split (see `DatasetSummary`).
public struct SplitSummary: Codable, Sendable, Equatable {
  /// The challenge edition.
  public var edition: Edition
  /// The task.
  public var task: Task
  /// The split.
  public var split: Split
  /// The official folder name (for example `L3DAS22_Task2_dev`).
  public var name: String
  /// The top-level folders of the split.
  public var folders: [String]
  /// The folders holding `data/`.
  public var roots: [String]
  /// Items: `<id>_A.wav` files with a valid id.
  public var itemCount: Int = 0
  /// Sum of the items' durations (mic A headers), in seconds.
  public var totalSeconds: Double = 0
  /// The shortest item, in seconds; `nil` if no header could be read.
  public var minimumItemSeconds: Double?
  /// The longest item, in seconds; `nil` if no header could be read.
  public var maximumItemSeconds: Double?
  /// Every sample rate seen, in Hz, ascending.
  public var sampleRates: [Int] = []
  /// Every channel count seen (per microphone file), ascending.
  public var channelCounts: [Int] = []
  /// Every sample format seen (`AudioSampleFormat` raw values, or `other`), sorted.
  public var sampleFormats: [String] = []
  /// Items with their label file: Task 2 label CSV or Task 1 clean speech.
  public var labelFileCount: Int = 0
  /// Task 1 items with their transcript (always 0 for Task 2).
  public var transcriptFileCount: Int = 0
  /// Rows of the split's `info.csv` files, or `nil` if there is none.
  public var infoRowCount: Int?
  /// How many problems were found (see `DatasetProblem`).
  public var problemCount: Int = 0
  /// The first `DatasetSummary.problemSampleLimit` problems, as `path: message` lines.
  public var problems: [String] = []

  /// An empty summary for `location`.
  init(_ location: SplitLocation) {
    edition = location.edition
    task = location.task
    split = location.split
    name = location.name
    folders = location.folders.map(\.path)
    roots = location.roots.map(\.path)
  }
}
