import Foundation
import Testing
import _TestSupport

/// L3DAS23 end to end on synthetic data, through the command line only.
@Suite("L3DAS23 end to end: synth → verify → preprocess → train → predict → validate → score → leaderboard")
struct L3DAS23PipelineTests {
  private func l3das(_ arguments: [String]) throws -> BuiltExecutable.Result {
    try BuiltExecutable("l3das").run(arguments)
  }

  @Test("every command recognises an L3DAS23 Task 2 dataset: rho,theta,z labels, ÷360 targets, 1.75 m")
  func taskTwo() throws {
    let dir = try TemporaryDirectory()
    let data = dir.path("data").path
    func ok(_ arguments: [String], _ step: String) throws -> BuiltExecutable.Result {
      let result = try l3das(arguments)
      #expect(result.status == 0, "\(step): \(result.stderr)")
      return result
    }
    _ = try ok(
      ["synth", "-o", data, "--edition", "2023", "--task", "2", "--task2-items", "2", "--scene-seconds", "6", "--quiet"],
      "synth")
    let train = "\(data)/L3DAS23_Task2_train"
    let test = "\(data)/L3DAS23_Task2_test"
    let label = try String(
      contentsOf: URL(fileURLWithPath: train).appendingPathComponent("labels/label_split0_ov1_1.csv"), encoding: .utf8)
    #expect(label.hasPrefix("Start,End,Class,rho,theta,z\n"))
    let verify = try ok(["verify", data], "verify")
    #expect(verify.stdout.contains("no problems"))
    let info = try ok(["info", data, "--json"], "info")
    #expect(info.stdout.contains("\"2023\""), "info names the edition")

    let features = dir.path("features").path
    _ = try ok(["preprocess", "--task", "2", "--input", train, "-o", features, "--features", "logmel", "--quiet"], "preprocess")
    let manifest = try String(contentsOf: URL(fileURLWithPath: features).appendingPathComponent("manifest.json"), encoding: .utf8)
    #expect(manifest.contains("\"task2Coordinates\" : \"cylindrical\"") || manifest.contains("\"task2Coordinates\":\"cylindrical\""), "\(manifest.prefix(600))")
    #expect(manifest.contains("\"task2LabelScale\" : 360") || manifest.contains("\"task2LabelScale\":360"))
    #expect(manifest.contains("L3DAS23_Task2_images/task2_train_0.png"), "each item records its image")

    let run = dir.path("run").path
    let recipe = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("baselines/seldnet-tiny/config.json").path
    _ = try ok(["train", "--config", recipe, "--data", features, "-o", run, "--max-epochs", "1", "--quiet"], "train")
    let submission = dir.path("submission").path
    _ = try ok(
      ["predict", "--task", "2", "--model", "\(run)/best.safetensors", "--input", test, "--features", "logmel", "-o", submission, "--quiet"],
      "predict")
    let validate = try ok(["validate", "--task", "2", "--submission", submission, "--test", test], "validate")
    #expect(validate.stdout.contains("(L3DAS23)"), "\(validate.stdout)")
    let score = try ok(["score", "--task", "2", "--submission", submission, "--truth", test, "--json", "--quiet"], "score")
    let report = try #require(try JSONSerialization.jsonObject(with: Data(score.stdout.utf8)) as? [String: Any])
    #expect(report["threshold"] as? Double == 1.75 && report["matching"] as? String == "official")
    // The labels themselves, written as L3DAS23 rows, score F = 1.
    let perfect = dir.path("perfect")
    try FileManager.default.createDirectory(at: perfect, withIntermediateDirectories: true)
    for name in try FileManager.default.contentsOfDirectory(atPath: "\(test)/labels") {
      let id = String(name.dropFirst("label_".count).dropLast(".csv".count))
      let rows = try String(contentsOfFile: "\(test)/labels/\(name)", encoding: .utf8).split(separator: "\n").dropFirst()
        .flatMap { line -> [String] in
          let f = line.split(separator: ",").map(String.init)
          let first = Int((Double(f[0])! / 0.1).rounded() * 59 / 60), last = Int((Double(f[1])! / 0.1).rounded() * 59 / 60)
          return (first...last).map { "\($0),\(f[2]),\(f[3]),\(f[4]),\(f[5])" }
        }
      try (rows.joined(separator: "\n") + "\n").write(to: perfect.appendingPathComponent("\(id).csv"), atomically: true, encoding: .utf8)
    }
    let board = try ok(
      ["leaderboard", "--task", "2", "--truth", test, "model=\(submission)", "labels=\(perfect.path)", "-o", dir.path("board").path, "--quiet"],
      "leaderboard")
    _ = board
    let markdown = try String(contentsOf: dir.path("board/leaderboard.md"), encoding: .utf8)
    #expect(markdown.contains("| 1 | labels |"), "\(markdown)")
    #expect(markdown.contains("1.75"), "the board names the L3DAS23 threshold")

    // The L3DAS23 nested layout: predict --nested writes task2/1mic/; validate, score and
    // leaderboard read each subtrack; with both present, score needs --subtrack.
    let nest = dir.path("team_audioonly")
    _ = try ok(
      ["predict", "--task", "2", "--model", "\(run)/best.safetensors", "--input", test, "--features", "logmel",
       "-o", nest.path, "--nested", "--quiet"],
      "predict --nested")
    #expect(FileManager.default.fileExists(atPath: nest.appendingPathComponent("task2/1mic/split5_ov1_1.csv").path))
    let nestedValidation = try ok(["validate", "--task", "2", "--submission", nest.path, "--test", test], "validate nested")
    #expect(nestedValidation.stdout.contains("[task2/1mic]"))
    let strict = try l3das(["validate", "--task", "2", "--submission", nest.path, "--test", test, "--both-mics"])
    #expect(strict.status == 1 && strict.stdout.contains("demands both"), "\(strict.stdout)")
    let single = try ok(["score", "--task", "2", "--submission", nest.path, "--truth", test, "--json", "--quiet"], "score nested")
    #expect(single.stdout == score.stdout, "the nested 1mic files are the flat submission's")
    try FileManager.default.copyItem(at: nest.appendingPathComponent("task2/1mic"), to: nest.appendingPathComponent("task2/2mic"))
    let ambiguous = try l3das(["score", "--task", "2", "--submission", nest.path, "--truth", test, "--quiet"])
    #expect(ambiguous.status == 64 && ambiguous.stderr.contains("--subtrack"), "\(ambiguous.stderr)")
    _ = try ok(["score", "--task", "2", "--submission", nest.path, "--truth", test, "--subtrack", "2mic", "--quiet"], "score 2mic")
    _ = try ok(["leaderboard", "--task", "2", "--truth", test, nest.path, "-o", dir.path("board2").path, "--quiet"], "leaderboard nested")
    let tracks = try String(contentsOf: dir.path("board2/leaderboard.md"), encoding: .utf8)
    #expect(tracks.contains("team_audioonly [audioonly 1mic]") && tracks.contains("team_audioonly [audioonly 2mic]"), "\(tracks)")
  }

  @Test("synth writes 512 × 512 PNGs and audio_image.csv; verify finds a missing pair, a missing image and a wrong size")
  func images() throws {
    let dir = try TemporaryDirectory()
    let data = dir.path("data")
    let synth = try l3das(
      ["synth", "-o", data.path, "--edition", "2023", "--task", "2", "--task2-items", "2", "--task2-splits", "dev", "--scene-seconds", "2", "--quiet"])
    #expect(synth.status == 0, "\(synth.stderr)")
    let pairs = data.appendingPathComponent("L3DAS23_Task2_dev/audio_image.csv")
    let text = try String(contentsOf: pairs, encoding: .utf8)
    #expect(text == "split4_ov1_1,task2_dev_0.png\nsplit4_ov2_1,task2_dev_1.png\n")
    #expect(try l3das(["verify", data.path]).status == 0)
    let images = data.appendingPathComponent("L3DAS23_Task2_images")
    try FileManager.default.removeItem(at: images.appendingPathComponent("task2_dev_1.png"))
    try Data("not a png".utf8).write(to: images.appendingPathComponent("task2_dev_0.png"))
    try "split4_ov1_1,task2_dev_0.png\nsplit4_ov2_1,task2_dev_1.png\n".write(to: pairs, atomically: true, encoding: .utf8)
    let broken = try l3das(["verify", data.path])
    #expect(broken.status == 1)
    #expect(broken.stdout.contains("task2_dev_1.png does not exist") && broken.stdout.contains("not a readable PNG"), "\(broken.stdout)")
    try "split4_ov1_1,task2_dev_0.png\n".write(to: pairs, atomically: true, encoding: .utf8)
    let unpaired = try l3das(["verify", data.path])
    #expect(unpaired.status == 1 && unpaired.stdout.contains("split4_ov2_1"), "\(unpaired.stdout)")
  }
}
