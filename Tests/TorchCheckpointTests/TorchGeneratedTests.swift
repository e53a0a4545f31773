import Foundation
import SafeTensors
import Testing
import TorchCheckpoint

@Suite("training checkpoints written by torch.save")
struct TorchGeneratedTests {
  @Test("both formats give the model_state_dict, unprefixed, every dtype and view exact", arguments: [
    "training_checkpoint.pth", "training_checkpoint_legacy.pth",
  ])
  func checkpoint(file: String) throws {
    let url = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).appendingPathComponent(file)
    let checkpoint = try TorchCheckpoint.read(url)
    #expect(checkpoint.format == (file.contains("legacy") ? .legacy : .zip))
    #expect(checkpoint.topLevelKeys == ["model_state_dict", "optimizer_state_dict", "epoch"])
    let state = try checkpoint.stateDict()
    #expect(state.names == ["bf16", "big", "double", "half", "int", "long", "mask", "square", "square_t", "window"])
    let big = (0..<70_000).map { Int64(($0 * 7) % 256 - 128) }
    #expect(state.info("big")?.dtype == .int8)
    #expect(try state.int64s("big") == big)
    #expect(try state.int64s("window") == Array(big[66_000..<66_010]))
    #expect(try state.floats("half") == (0..<15).map { Float($0) / 8 - 1 })
    #expect(state.info("half")?.shape == [5, 3])
    #expect(try state.floats("bf16") == [0.5, -2, 3.25, 1024])
    #expect(try state.doubles("double") == [1.0 / 3, -2.5, 1e-300, 7])
    #expect(try state.int64s("long") == [-(1 << 40), 0, (1 << 40) + 3])
    #expect(try state.int64s("int") == [-7, 70_000])
    #expect(try state.int64s("mask") == [1, 0, 1, 1])
    let square = (0..<12).map { Float($0) / 4 }
    #expect(try state.floats("square") == square)
    #expect(state.info("square_t")?.shape == [4, 3])
    #expect(try state.floats("square_t") == (0..<12).map { square[($0 % 3) * 4 + $0 / 3] })
  }
}
