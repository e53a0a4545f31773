import AudioIO
import Foundation

/// What a scan found about one item (a valid `<id>_A.wav`).
struct ScannedItem {
  var micA: URL
  var micB: URL
  var hasMicB: Bool
  /// Task 2 label CSV or Task 1 clean speech present.
  var hasLabel: Bool
  /// Task 1 transcript present.
  var hasTranscript: Bool
}

extension SplitLocation {
  /// Lists what is wrong with the split's files, without reading any audio.
  ///
  /// Reports, per root: a missing `labels/` folder (except for test splits); per file in
  /// `data/`: an `_A.wav` without its `_B.wav` and the reverse, names that are not
  /// `<id>_A.wav`/`<id>_B.wav` with a valid id for the task (hidden files such as
  /// `.DS_Store` are ignored); and, when `labels/` exists, items missing their label file
  /// (Task 2) or clean speech / transcript (Task 1), and label files whose recording
  /// `data/<id>_A.wav` is missing. One `stat` per file; the problems are returned in
  /// directory order, `labels/` after `data/`.
  public func check() -> [DatasetProblem] {
    var problems: [DatasetProblem] = []
    scan(onItem: { _ in }, onProblem: { problems.append($0) })
    return problems
  }

  /// Walks every root's `data/` once, calling `onItem` for each valid item and `onProblem`
  /// for each problem (see `check()`).
  func scan(onItem: (ScannedItem) -> Void, onProblem: (DatasetProblem) -> Void) {
    for root in roots {
      let data = root.appendingPathComponent("data", isDirectory: true)
      let labels = root.appendingPathComponent("labels", isDirectory: true)
      let hasLabels = FileSystem.isDirectory(labels.path)
      if !hasLabels && expectsLabels {
        onProblem(
          DatasetProblem(
            .missingLabelsFolder, "no labels/ folder beside data/ in a \(split.rawValue) split",
            path: root.path))
      }
      guard let stream = DirectoryStream(path: data.path) else {
        onProblem(DatasetProblem(.unreadableFile, "cannot list the folder", path: data.path))
        continue
      }
      var recordings = Set<String>()
      while let name = stream.next() {
        if name.hasPrefix(".") { continue }
        let file = data.appendingPathComponent(name)
        if let stem = MicAFileWalker.stem(of: name, mic: .a), isValidID(stem) {
          recordings.insert(stem)
          var item = ScannedItem(
            micA: file, micB: data.appendingPathComponent("\(stem)\(Microphone.b.fileSuffix).wav"),
            hasMicB: false, hasLabel: false, hasTranscript: false)
          item.hasMicB = FileSystem.isFile(item.micB.path)
          if !item.hasMicB {
            onProblem(
              DatasetProblem(
                .missingPartner,
                "mic A file without its mic B partner \(item.micB.lastPathComponent)",
                path: file.path))
          }
          if hasLabels {
            checkLabels(stem: stem, labels: labels, item: &item, onProblem: onProblem)
          }
          onItem(item)
        } else if let stem = MicAFileWalker.stem(of: name, mic: .b), isValidID(stem) {
          let partner = "\(stem)\(Microphone.a.fileSuffix).wav"
          if !FileSystem.isFile(data.appendingPathComponent(partner).path) {
            onProblem(
              DatasetProblem(
                .missingPartner, "mic B file without its mic A partner \(partner)", path: file.path)
            )
          }
        } else {
          let expected =
            task == .speechEnhancement
            ? "<utterance id>_A.wav or _B.wav (an id without '_', '/' or '.')"
            : "split<X>_ov<K>_<Y>_A.wav or _B.wav"
          onProblem(
            DatasetProblem(
              .unrecognizedFile, "unexpected file in data/; expected \(expected)", path: file.path))
        }
      }
      if hasLabels {
        checkOrphanLabels(in: labels, recordings: recordings, onProblem: onProblem)
      }
    }
  }

  /// Reports the label files of `labels` whose recording is not among `recordings` (the
  /// valid `<id>_A.wav` stems of `data/`). Other files in `labels/` are left alone.
  private func checkOrphanLabels(
    in labels: URL, recordings: Set<String>, onProblem: (DatasetProblem) -> Void
  ) {
    guard let stream = DirectoryStream(path: labels.path) else {
      onProblem(DatasetProblem(.unreadableFile, "cannot list the folder", path: labels.path))
      return
    }
    while let name = stream.next() {
      if name.hasPrefix(".") { continue }
      let stem: String
      switch task {
      case .soundEventLocalizationDetection:
        guard name.hasPrefix("label_"), name.hasSuffix(".csv") else { continue }
        stem = String(name.dropFirst(6).dropLast(4))
      case .speechEnhancement:
        guard name.hasSuffix(".wav") || name.hasSuffix(".txt") else { continue }
        stem = String(name.dropLast(4))
      }
      guard isValidID(stem), !recordings.contains(stem) else { continue }
      onProblem(
        DatasetProblem(
          .orphanLabel,
          "label file without its recording data/\(stem)\(Microphone.a.fileSuffix).wav",
          path: labels.appendingPathComponent(name).path))
    }
  }

  private func isValidID(_ stem: String) -> Bool {
    switch task {
    case .speechEnhancement: Task1RecordingID(stem) != nil
    case .soundEventLocalizationDetection: Task2RecordingID(stem) != nil
    }
  }

  private func checkLabels(
    stem: String, labels: URL, item: inout ScannedItem, onProblem: (DatasetProblem) -> Void
  ) {
    switch task {
    case .soundEventLocalizationDetection:
      let label = labels.appendingPathComponent("label_\(stem).csv")
      item.hasLabel = FileSystem.isFile(label.path)
      if !item.hasLabel {
        onProblem(
          DatasetProblem(
            .missingLabel, "no label file \(label.lastPathComponent) for this recording",
            path: item.micA.path))
      }
    case .speechEnhancement:
      let clean = labels.appendingPathComponent("\(stem).wav")
      let transcript = labels.appendingPathComponent("\(stem).txt")
      item.hasLabel = FileSystem.isFile(clean.path)
      item.hasTranscript = FileSystem.isFile(transcript.path)
      if !item.hasLabel {
        onProblem(
          DatasetProblem(
            .missingCleanSpeech, "no clean speech file labels/\(clean.lastPathComponent)",
            path: item.micA.path))
      }
      if !item.hasTranscript {
        onProblem(
          DatasetProblem(
            .missingTranscript, "no transcript labels/\(transcript.lastPathComponent)",
            path: item.micA.path))
      }
    }
  }
}
