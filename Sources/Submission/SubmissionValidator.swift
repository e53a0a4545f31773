public import Datasets
public import Foundation
public import L3DASCore

/// Checks a Task 1 or Task 2 submission against the test set, reporting every problem at once.
///
/// Everything the official `validate_submission.py` checks (only `.npy` / `.csv` files, one
/// per test item, exact names; the Task 1 array length), and what it misses (FACTS §2.3):
/// Task 1 arrays must be mono, float and finite; every Task 2 row — not just the second line —
/// is read by the scorer's reader (header rows, field counts, frame range, class names or ids,
/// finite coordinates), coordinates must lie in a plausible box and no class may have more
/// than three instances in a frame. An empty Task 2 file is valid (nothing detected), and
/// Task 2 names like `split5_ov1_3` are matched whole.
///
/// The submission is a folder or a `.zip` read in place (never extracted); files are checked
/// in parallel, streamed, so memory does not grow with their size.
///
/// ```swift
/// let report = try SubmissionValidator.validate(
///   submission: URL(fileURLWithPath: "my_task2"), test: URL(fileURLWithPath: "L3DAS22_Task2_test"),
///   options: .init(task: .soundEventLocalizationDetection))
/// print(report.text)          // one line per problem, then the verdict
/// ```
public enum SubmissionValidator {
  /// What to check against.
  public struct Options: Sendable {
    /// Task 1 (`.npy` estimates) or Task 2 (`.csv` detections).
    public var task: Task
    /// Task 2: the edition whose frame count applies (300 frames for L3DAS22, 600 for
    /// L3DAS21). `nil` infers it from the test audio's length.
    public var edition: Edition?
    /// Task 2: the largest plausible |x|, |y| or |z| (L3DAS23: |ρ| or |z|) in metres; `nil`:
    /// the edition's (5 m; 20 m for L3DAS23).
    public var coordinateLimit: Double?
    /// How many problems of one kind are listed per file (and how many missing or unexpected
    /// items) before the rest are only counted.
    public var listLimit: Int
    /// Check files on all cores.
    public var parallel: Bool
    /// Task 2: frames per scene, when the caller measured them (`predict`, from the split's
    /// audio); `nil`: the edition's, else the test audio's.
    public var frameCount: Int?
    /// L3DAS23: check only this subtrack folder (`task2/1mic/`) of a nested submission.
    public var subtrack: Subtrack?

    /// Creates options.
    public init(
      task: Task, edition: Edition? = nil, coordinateLimit: Double? = nil, listLimit: Int = 10,
      parallel: Bool = true
    ) {
      self.task = task
      self.edition = edition
      self.coordinateLimit = coordinateLimit
      self.listLimit = listLimit
      self.parallel = parallel
    }
  }

  /// Validates the submission folder or `.zip` at `submission` against the test items in `test`.
  /// - Returns: the report; `report.isValid` says whether there was no error.
  /// - Throws: `SubmissionError` if the submission does not exist or is neither a folder nor a
  ///   zip, or the test folder holds no items; problems *in* the submission are in the report.
  public static func validate(
    submission: URL, test: URL, options: Options,
    progress: any ProgressReporter = SilentProgress()
  ) throws -> SubmissionReport {
    let testSet = try SubmissionTestSet(folder: test)
    let contents = try SubmissionContents(url: submission, subtrack: options.subtrack)
    let fileExtension = options.task == .speechEnhancement ? "npy" : "csv"

    // Task 2: the frame count, from the edition or the test audio's length.
    var edition = options.edition
    var frameCount: Int?
    if options.task == .soundEventLocalizationDetection {
      if let given = options.frameCount {
        frameCount = given
      } else if let edition {
        frameCount = edition.task2FrameCount
      } else {
        let info = try testAudioInfo(testSet, testSet.ids[0])
        let seconds = Double(info.frameCount) / Double(info.sampleRate)
        frameCount = max(1, Int((seconds / 0.1).rounded()))
        // The folder's name first (30 s is L3DAS22 or L3DAS23: only the name tells them apart),
        // then the length; `score` decides the same way (Task2Scenes).
        edition =
          (try? SplitLocation(folder: test))?.edition
          ?? Edition.allCases.first { $0.task2FrameCount == frameCount }
      }
    }

    // Names: which files answer which items.
    var problems = contents.problems
    var chosen: [String: SubmissionEntry] = [:]
    var submittedFileCount = 0
    var unexpected = ProblemList(limit: options.listLimit, file: nil)
    for entry in contents.entries {
      submittedFileCount += 1
      if entry.isNested {
        problems.append(
          SubmissionProblem(
            .error, .unexpectedFile, file: entry.path,
            "a file in a subfolder; the submission is one flat folder of files",
            hint: "put every file at the top of the submission (or of the archive's one top folder)"))
        continue
      }
      let name = entry.name
      guard name.hasSuffix("." + fileExtension) else {
        problems.append(wrongExtension(entry.path, task: options.task))
        continue
      }
      let id = String(name.dropLast(fileExtension.count + 1))
      guard testSet.audioFiles[id] != nil else {
        unexpected.add(unexpectedItem(entry.path, id: id, testSet: testSet, fileExtension: fileExtension))
        continue
      }
      if chosen[id] != nil {
        problems.append(
          SubmissionProblem(
            .error, .duplicateItem, file: entry.path,
            "a second file for test item \(id) (the archive holds the name twice)",
            hint: "keep one file per test item"))
        continue
      }
      chosen[id] = entry
    }
    problems += unexpected.finished()
    var missing = ProblemList(limit: options.listLimit, file: nil)
    // A file already refused by name (an encrypted or unreachable archive entry) is not
    // reported again as missing.
    let refused = Set(
      problems.filter {
        ($0.kind == .unsafeArchiveEntry && $0.message.contains("encrypted")) || $0.kind == .unreadableSubmission
      }.compactMap { $0.file.map { ($0 as NSString).lastPathComponent } })
    for id in testSet.ids where chosen[id] == nil && !refused.contains("\(id).\(fileExtension)") {
      missing.add(
        SubmissionProblem(
          .error, .missingItem, file: "\(id).\(fileExtension)",
          "test item \(id) (\(id)_A.wav) has no file in the submission",
          hint: options.task == .speechEnhancement
            ? "write the enhanced speech of every test item"
            : "write a file for every test item; an empty file means nothing was detected"))
    }
    problems += missing.finished()

    // Contents: each answered item, in parallel.
    let ids = testSet.ids.filter { chosen[$0] != nil }
    let results = IndexedResults<([SubmissionProblem], Task2Check.Summary)>(count: ids.count)
    let counter = ConcurrentProgress(total: ids.count, reporter: progress)
    let next = NextIndex()
    let workers = options.parallel ? min(ProcessInfo.processInfo.activeProcessorCount, max(1, ids.count)) : 1
    let entries = ids.map { chosen[$0]! }
    let task2Edition = edition ?? .l3das22
    let task2Check = Task2Check(
      frameCount: frameCount ?? Edition.l3das22.task2FrameCount,
      coordinateLimit: options.coordinateLimit ?? task2Edition.task2CoordinateLimit, listLimit: options.listLimit,
      coordinates: task2Edition.coordinates)
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
      let reader = contents.makeReader()
      while let index = next.take(below: ids.count) {
        let id = ids[index]
        let entry = entries[index]
        results.record(index) {
          switch options.task {
          case .speechEnhancement:
            do {
              let length = try expectedLength(testSet, id)
              return (Task1Check(expectedLength: length).run(entry, reader: reader), .init())
            } catch {
              return (
                [
                  SubmissionProblem(
                    .error, .unreadableFile, file: entry.path,
                    "cannot read the test item's audio to learn its length: \(error)")
                ], .init()
              )
            }
          case .soundEventLocalizationDetection:
            return task2Check.run(entry, reader: reader)
          }
        }
        counter.advance(label: id)
      }
    }
    let perItem = try results.values()
    var validItemCount = 0
    var summary = Task2Check.Summary()
    for (itemProblems, itemSummary) in perItem {
      if !itemProblems.contains(where: { $0.severity == .error }) { validItemCount += 1 }
      problems += itemProblems
      summary.rowCount += itemSummary.rowCount
      summary.usesIds = summary.usesIds || itemSummary.usesIds
      summary.usesNames = summary.usesNames || itemSummary.usesNames
      summary.largestCoordinate = max(summary.largestCoordinate, itemSummary.largestCoordinate)
      summary.largest = pointwiseMax(summary.largest, itemSummary.largest)
    }
    if options.task == .soundEventLocalizationDetection {
      problems += submissionWideTask2Problems(summary, coordinates: task2Edition.coordinates)
    }
    return SubmissionReport(
      task: options.task.rawValue, edition: options.task == .soundEventLocalizationDetection ? edition : nil,
      frameCount: frameCount, submission: submission.path, testFolder: testSet.dataFolder.path,
      expectedItemCount: testSet.ids.count, submittedFileCount: submittedFileCount,
      validItemCount: validItemCount, problems: ordered(problems))
  }

  // MARK: - Pieces

  private static func testAudioInfo(_ testSet: SubmissionTestSet, _ id: String) throws
    -> AudioFileInfoSummary
  {
    do {
      let info = try testSet.info(id)
      return AudioFileInfoSummary(frameCount: info.frameCount, sampleRate: info.sampleRate)
    } catch {
      throw SubmissionError(
        .invalidTestFolder, "cannot read the test audio \(id)_A.wav: \(error)")
    }
  }

  /// The sample count a Task 1 estimate must have: the `_A.wav`'s, at 16 kHz (the official
  /// validator loads the audio with librosa at 16 kHz, which resamples other rates to
  /// ⌈n · 16000 / rate⌉ samples).
  private static func expectedLength(_ testSet: SubmissionTestSet, _ id: String) throws -> Int {
    let info = try testSet.info(id)
    if info.sampleRate == 16_000 { return info.frameCount }
    return Int((Double(info.frameCount) * 16_000 / Double(info.sampleRate)).rounded(.up))
  }

  private static func wrongExtension(_ path: String, task: Task) -> SubmissionProblem {
    let lower = path.lowercased()
    let hint: String
    if task == .speechEnhancement && lower.hasSuffix(".csv") {
      hint = "this looks like a Task 2 file; validate Task 2 submissions with --task 2"
    } else if task == .soundEventLocalizationDetection && lower.hasSuffix(".npy") {
      hint = "this looks like a Task 1 file; validate Task 1 submissions with --task 1"
    } else if lower.hasSuffix(task == .speechEnhancement ? ".npy" : ".csv") {
      hint = "extensions are case-sensitive: rename it to end in .\(task == .speechEnhancement ? "npy" : "csv")"
    } else {
      hint = "remove it: a Task \(task.rawValue) submission holds only .\(task == .speechEnhancement ? "npy" : "csv") files, one per test item"
    }
    return SubmissionProblem(
      .error, .unexpectedFile, file: path,
      "not a .\(task == .speechEnhancement ? "npy" : "csv") file", hint: hint)
  }

  private static func unexpectedItem(
    _ path: String, id: String, testSet: SubmissionTestSet, fileExtension: String
  ) -> SubmissionProblem {
    var hint = "name each file after a test item: <id>.\(fileExtension) for <id>_A.wav"
    for suffix in ["_A", "_B", "_a", "_b"] where id.hasSuffix(suffix) {
      let stem = String(id.dropLast(suffix.count))
      if testSet.audioFiles[stem] != nil {
        hint = "drop the mic suffix: name it \(stem).\(fileExtension)"
      }
    }
    if id.hasPrefix("label_"), testSet.audioFiles[String(id.dropFirst(6))] != nil {
      hint = "drop the label_ prefix: name it \(id.dropFirst(6)).\(fileExtension)"
    }
    return SubmissionProblem(
      .error, .unexpectedItem, file: path, "'\(id)' is not a test item of \(testSet.dataFolder.path)",
      hint: hint)
  }

  private static func submissionWideTask2Problems(
    _ summary: Task2Check.Summary, coordinates: CoordinateSystem
  ) -> [SubmissionProblem] {
    var problems: [SubmissionProblem] = []
    if summary.usesIds && summary.usesNames {
      problems.append(
        SubmissionProblem(
          .warning, .mixedClassSpelling,
          "some rows name classes (Knock) and others use ids (7); the official metric compares the raw fields, so a name never matches an id",
          hint: "write every class the same way; the official submission code writes ids 0–13"))
    }
    // The baseline network predicts positions divided by 2, so unscaled rows fill the halved
    // box (|x| ≤ 1, |y| ≤ 0.75, |z| ≤ 0.5) and reach far into it in x. Correctly scaled rows
    // reach beyond it, or (a barely trained network) stay near the microphone: no warning.
    if coordinates == .cylindrical {
      // θ is in degrees; rows whose every θ lies within ±2π were written in radians.
      let theta = summary.largest.y
      if summary.rowCount >= 50, theta <= 2 * .pi + 1e-6, theta >= 1 {
        problems.append(
          SubmissionProblem(
            .warning, .radians,
            "all \(summary.rowCount) rows have |theta| ≤ 2π (largest \(String(format: "%.3f", theta))): they look like radians, but L3DAS23 theta is in degrees",
            hint: "write theta in degrees (np.degrees(theta)); the official metric converts with sin/cos of degrees"))
      }
      return problems
    }
    let halved = summary.largest
    if summary.rowCount >= 50, halved.x <= 1.0, halved.y <= 0.8, halved.z <= 0.55, halved.x >= 0.75 {
      problems.append(
        SubmissionProblem(
          .warning, .normalisedCoordinates,
          "all \(summary.rowCount) rows lie in |x| ≤ 1, |y| ≤ 0.75, |z| ≤ 0.5 m, half the labels' box, and reach its edge in x (largest |x| \(String(format: "%.2f", halved.x)) m): they look like the network's output before the × 2",
          hint: "the baseline network predicts coordinates divided by 2: multiply them by 2 before writing (l3das predict does)"))
    }
    return problems
  }

  /// Submission-wide problems first, then by file and line; a file's "… and N more" counts
  /// come after the lines they summarise.
  static func ordered(_ problems: [SubmissionProblem]) -> [SubmissionProblem] {
    func line(_ p: SubmissionProblem) -> Int { p.kind == .moreProblems ? Int.max : p.line ?? 0 }
    return problems.enumerated().sorted { a, b in
      let (p, q) = (a.element, b.element)
      if (p.file == nil) != (q.file == nil) { return p.file == nil }
      if let f = p.file, let g = q.file, f != g { return f < g }
      if line(p) != line(q) { return line(p) < line(q) }
      return a.offset < b.offset
    }.map(\.element)
  }
}

/// The two numbers of an audio header the validator needs.
private struct AudioFileInfoSummary {
  var frameCount: Int
  var sampleRate: Int
}

