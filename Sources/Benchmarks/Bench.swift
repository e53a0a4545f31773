import ArgumentParser
import AudioIO
import Foundation
import Metrics
import Pipelines
import Synthesis
import TensorModule

/// `l3das-bench`: throughput benchmarks, run in release mode:
///
/// `swift run -c release l3das-bench [--json] [--keep-files DIR]`. `Tools/bench/compare.sh` runs
/// the Python reference tools on the same files and prints ratios.
@main
struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "l3das-bench",
    abstract: "Measure l3das-swift throughput (use a release build).")

  /// OpenBLAS's best kernels for this CPU first (see `BLAS.useBestKernels()`), as `l3das` does.
  static func main() {
    BLAS.useBestKernels()
    main(nil)
  }

  @Option(help: "Timed repetitions per case (the median is reported).")
  var repetitions = 25

  @Option(help: "Keep the benchmark WAV files in this folder (for the Python side-by-side script).")
  var keepFiles: String?

  @Flag(help: "Print results as JSON.")
  var json = false

  @Option(parsing: .upToNextOption, help: "Time STOI and ESTOI on this clean/estimate WAV pair (Tools/bench/metrics_compare.sh).")
  var stoiPair: [String] = []

  @Option(help: "Time Task 2 scoring of DIR/pred against DIR/truth (frame-row CSVs, Tools/bench/seld_official.py --generate).")
  var seldFolder: String?

  @Option(help: "Label frames per Task 2 file for --seld-folder.")
  var frames = 600

  @Flag(help: "Run only the cases given by options (skip the built-in audio and synthesis cases).")
  var only = false

  @Flag(help: "Time submission validation at challenge scale instead (ValidationBench.swift).")
  var validation = false

  @Flag(help: "Time the NN layers (forward and forward+backward) instead (NNBench.swift).")
  var nn = false

  @Option(help: "With --nn: only the cases whose name contains this text (e.g. LSTM, conv).")
  var nnCase: String?

  @Flag(help: "Time one training step of each baseline model at its official size instead (ModelStepBench.swift; minutes).")
  var models = false

  @Option(help: "With --models: only the models whose name contains this (seldnet, fasnet, mmub); repeatable.")
  var model: [String] = []

  @Flag(help: "Time the SELDnet STFT alone instead (STFTBench.swift; Tools/bench/preprocess_compare.sh).")
  var stft = false

  @Flag(help: "Time the wav2vec2-base-960h forward pass instead (Wav2Vec2Bench.swift; Tools/bench/w2v_compare.sh).")
  var wav2vec2 = false

  @Option(help: "With --wav2vec2: audio lengths in seconds (repeatable; default 10 and 30).")
  var audioSeconds: [Double] = []

  @Option(help: "With --wav2vec2: a model folder to load instead of seeded random weights.")
  var modelDirectory: String?

  struct Result: Codable {
    var name: String
    var medianSeconds: Double
    var bytesPerSecond: Double?
    var detail: String
  }

  func run() throws {
    let folder: URL
    if let keepFiles {
      folder = URL(fileURLWithPath: keepFiles, isDirectory: true)
    } else {
      folder = FileManager.default.temporaryDirectory.appendingPathComponent(
        "l3das-bench-\(getpid())")
    }
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { if keepFiles == nil { try? FileManager.default.removeItem(at: folder) } }

    var results: [Result] = []
    if validation {
      try report(ValidationBench.run(in: folder, repetitions: min(repetitions, 5)).map {
        Result(name: $0.name, medianSeconds: $0.seconds, bytesPerSecond: nil, detail: $0.detail)
      })
      return
    }
    if nn {
      try report(try NNBench.run(repetitions: min(repetitions, 5), matching: nnCase).map {
        Result(name: $0.name, medianSeconds: $0.seconds, bytesPerSecond: nil, detail: $0.detail)
      })
      return
    }
    if models {
      try report(ModelStepBench.run(repetitions: max(1, min(repetitions, 3)), only: model).map {
        Result(name: $0.name, medianSeconds: $0.seconds, bytesPerSecond: nil, detail: $0.detail)
      })
      return
    }
    if wav2vec2 {
      try report(
        try Wav2Vec2Bench.run(
          audioSeconds: audioSeconds.isEmpty ? [10, 30] : audioSeconds, repetitions: max(1, min(repetitions, 5)),
          modelDirectory: modelDirectory
        ).map { Result(name: $0.name, medianSeconds: $0.seconds, bytesPerSecond: nil, detail: $0.detail) })
      return
    }
    if stft {
      try report(STFTBench.run(in: folder, repetitions: min(repetitions, 9)).map {
        Result(name: $0.name, medianSeconds: $0.seconds, bytesPerSecond: nil, detail: $0.detail)
      })
      return
    }
    if stoiPair.count == 2 {
      let clean = Array(try AudioFile.read(URL(fileURLWithPath: stoiPair[0])).channel(0))
      let estimateAudio = try AudioFile.read(URL(fileURLWithPath: stoiPair[1]))
      let estimate = Array(estimateAudio.channel(0))
      let computer = try STOIComputer()
      for extended in [false, true] {
        var value = 0.0
        _ = try computer.stoi(clean: clean, estimate: estimate, sampleRate: estimateAudio.sampleRate, extended: extended)
        let time = try Self.median(repetitions: repetitions) {
          value = try computer.stoi(clean: clean, estimate: estimate, sampleRate: estimateAudio.sampleRate, extended: extended)
        }
        let seconds = Double(clean.count) / Double(estimateAudio.sampleRate)
        results.append(Result(
          name: extended ? "estoi" : "stoi", medianSeconds: time, bytesPerSecond: nil,
          detail: String(format: "%.1f s at %d Hz, value %.6f", seconds, estimateAudio.sampleRate, value)))
      }
    }
    if let seldFolder {
      let folder = URL(fileURLWithPath: seldFolder, isDirectory: true)
      let pred = folder.appendingPathComponent("pred")
      let truth = folder.appendingPathComponent("truth")
      let fileCount = try FileManager.default.contentsOfDirectory(atPath: pred.path).filter { $0.hasSuffix(".csv") }.count
      var report = try Task2Scoring.score(submission: pred, truth: truth, options: .init(frameCount: frames, includeDCASEStyle: false))
      let full = try Self.median(repetitions: repetitions) {
        report = try Task2Scoring.score(submission: pred, truth: truth, options: .init(frameCount: frames, includeDCASEStyle: false))
      }
      let t = report.total
      results.append(Result(
        name: "task2-read-and-count", medianSeconds: full / Double(max(fileCount, 1)), bytesPerSecond: nil,
        detail: "per file, \(frames) frames, official matching; TP \(t.truePositives) FP \(t.falsePositives) FN \(t.falseNegatives)"))
      let ids = try FileManager.default.contentsOfDirectory(atPath: pred.path).filter { $0.hasSuffix(".csv") }.sorted()
      let pairs = try ids.map {
        (try Task2Rows.read(pred.appendingPathComponent($0), frameCount: frames),
         try Task2Rows.read(truth.appendingPathComponent($0), frameCount: frames))
      }
      let countOnly = Self.median(repetitions: repetitions) {
        var metric = LocationSensitiveDetection(threshold: 2, matching: .official, frameCount: frames)
        for (p, r) in pairs { metric.update(prediction: p, reference: r, file: "") }
        precondition(metric.report.total == t, "count-only totals differ")
      }
      results.append(Result(
        name: "task2-count-only", medianSeconds: countOnly / Double(max(fileCount, 1)), bytesPerSecond: nil,
        detail: "per file, rows already parsed"))
    }
    if only {
      try report(results)
      return
    }
    // The Task 2 file shape: 30 s, 4 channels, 32 kHz.
    let audioFrames = 30 * 32_000
    var audio = AudioBuffer(channelCount: 4, frameCount: audioFrames, sampleRate: 32_000)
    var state: UInt32 = 1
    for i in audio.samples.indices {
      state = state &* 1_664_525 &+ 1_013_904_223
      audio.samples[i] = Float(Int32(bitPattern: state)) / 4_294_967_296
    }
    let planarBytes = Double(audioFrames * 4 * MemoryLayout<Float>.size)
    for format in [AudioSampleFormat.float32, .pcm16] {
      let url = folder.appendingPathComponent("bench_30s_4ch_32k_\(format.rawValue).wav")
      let write = try Self.median(repetitions: max(3, repetitions / 5)) {
        try AudioFile.write(audio, to: url, format: format)
      }
      results.append(
        Result(
          name: "write 30 s × 4 ch × 32 kHz \(format.rawValue)", medianSeconds: write,
          bytesPerSecond: planarBytes / write, detail: "atomic (temp + rename)"))
      _ = try AudioFile.read(url)  // warm the page cache
      let read = try Self.median(repetitions: repetitions) { _ = try AudioFile.read(url) }
      results.append(
        Result(
          name: "read 30 s × 4 ch × 32 kHz \(format.rawValue) → planar Float", medianSeconds: read,
          bytesPerSecond: planarBytes / read, detail: "warm page cache; bytes = planar Float output"
        ))
    }
    let scene = try Self.median(repetitions: 3) {
      var configuration = SyntheticDataset.Configuration()
      configuration.task1Splits = []
      configuration.task2Splits = [.dev]
      configuration.task2ItemsPerSplit = 1
      let out = folder.appendingPathComponent("synth")
      try SyntheticDataset.generate(configuration, at: out, overwrite: true)
    }
    results.append(
      Result(
        name: "synthesise one 30 s Task 2 scene (ov1, both mics, pcm16)", medianSeconds: scene,
        bytesPerSecond: nil, detail: "l3das synth work per scene"))

    try report(results)
  }

  func report(_ results: [Result]) throws {
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      print(String(decoding: try encoder.encode(results), as: UTF8.self))
    } else {
      for r in results {
        let rate = r.bytesPerSecond.map { String(format: "%8.2f GB/s", $0 / 1e9) } ?? "            "
        let name = r.name.padding(toLength: 58, withPad: " ", startingAt: 0)
        print("\(name) \(String(format: "%9.3f ms", r.medianSeconds * 1000)) \(rate)  \(r.detail)")
      }
    }
  }

  static func median(repetitions: Int, _ body: () throws -> Void) rethrows -> Double {
    try medianSeconds(repetitions: repetitions, warmUp: false, body)
  }
}
