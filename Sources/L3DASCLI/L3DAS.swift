import ArgumentParser
import L3DASCore
import TensorModule

/// The `l3das` command: the toolkit and scorer for the L3DAS 3D-audio challenges.
@main
struct L3DAS: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "l3das",
    abstract: "Toolkit and scorer for the L3DAS 3D-audio challenges (L3DAS21, L3DAS22).",
    discussion: """
      Everything end to end, offline, in minutes (synthetic data, tiny baselines, leaderboards):
        l3das demo
      A synthetic L3DAS22-format dataset to explore:
        l3das synth --output l3das-data
        l3das info l3das-data
      Guide: docs/user-guide.md
      """,
    version: "0.1.0",
    subcommands: [Synth.self, Info.self, Validate.self, Score.self, Stoi.self, Wer.self, Preprocess.self, Parity.self, Train.self, Predict.self,
      LeaderboardCommand.self, Merge.self, DemoCommand.self, Download.self, Verify.self, Transcribe.self])

  /// Selects OpenBLAS's best kernels for this CPU (which may re-execute the program once, see
  /// `BLAS.useBestKernels()`), then parses the command line and runs the command.
  static func main() {
    // Signals blocked by whoever started us would keep SIGTERM/SIGINT from stopping the run
    // (and from cleaning up); start with none blocked.
    SignalMask.unblockAll()
    BLAS.useBestKernels()
    main(nil)
  }
}
