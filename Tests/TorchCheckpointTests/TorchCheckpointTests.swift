import Foundation
import SafeTensors
import Testing
import TorchCheckpoint
import _TestSupport

/// 70 000 elements: sizes and counts above 65 535 are pickled with BININT, as in real
/// checkpoints (base-960h's weight_v has 4 718 592 elements).
private let largeCount = 70_000
private let values = (0..<largeCount).map { Float($0 % 977) * 0.25 - 3 }

private func largeStateDict(legacy: Bool) -> [UInt8] {
  stateDictPickle(
    [
      TensorSpec(name: "big", key: "0", numel: largeCount, size: [largeCount], stride: [1]),
      // A transposed view of the same storage: [7, 10000] with strides (1, 7).
      TensorSpec(name: "view", key: "0", numel: largeCount, size: [7, 10_000], stride: [1, 7]),
    ], legacy: legacy)
}

@Suite("torch.save files read without running their pickle")
struct TorchCheckpointTests {
  @Test("a legacy file with BININT sizes and a strided view decodes exactly")
  func legacyBinInt() throws {
    let data = legacyFile(object: largeStateDict(legacy: true), storages: [("0", 4, floatBytes(values))])
    #expect(data.contains(0x4A))
    let checkpoint = try TorchCheckpoint(bytes: data, path: "big.pt")
    #expect(checkpoint.format == .legacy)
    let file = try checkpoint.stateDict()
    #expect(try file.floats("big") == values)
    #expect(file.info("view")?.shape == [7, 10_000])
    let view = try file.floats("view")
    #expect(view[0] == values[0] && view[1] == values[7] && view[10_000] == values[1])
  }

  @Test("a zip file under any folder name decodes like the legacy one")
  func zipBinInt() throws {
    let data = try zipFile(folder: "archive", pickle: largeStateDict(legacy: false), storages: [("0", floatBytes(values))])
    let checkpoint = try TorchCheckpoint(bytes: data, path: "big.pt")
    #expect(checkpoint.format == .zip)
    #expect(try checkpoint.stateDict().floats("big") == values)
  }

  @Test("a training checkpoint yields its model_state_dict without the DataParallel prefix")
  func trainingCheckpoint() throws {
    let pickle = stateDictPickle(
      [TensorSpec(name: "module.cnn.0.weight", key: "w", numel: 6, size: [2, 3], stride: [3, 1])], legacy: false
    ) { p, inner in
      p.op(0x7D)  // EMPTY_DICT
      p.op(0x28)
      p.string("epoch")
      p.int(3)
      p.string("best_loss")
      p.op(0x47, [0x3F, 0xF0, 0, 0, 0, 0, 0, 0])  // BINFLOAT 1.0
      p.string("model_state_dict")
      inner(&p)
      p.string("optimizer_state_dict")
      p.op(0x7D)
      p.op(0x75)
    }
    let data = try zipFile(folder: "ckpt", pickle: pickle, storages: [("w", floatBytes([1, 2, 3, 4, 5, 6]))])
    let checkpoint = try TorchCheckpoint(bytes: data, path: "ckpt.pth")
    #expect(checkpoint.topLevelKeys == ["epoch", "best_loss", "model_state_dict", "optimizer_state_dict"])
    let file = try checkpoint.stateDict()
    #expect(file.names == ["cnn.0.weight"])
    #expect(try file.floats("cnn.0.weight") == [1, 2, 3, 4, 5, 6])
  }

  @Test(
    "a pickle naming a function outside the allowed set is refused before anything runs",
    arguments: [("posix", "system"), ("os", "system"), ("builtins", "eval"), ("subprocess", "call")])
  func hostileGlobal(module: String, name: String) throws {
    let directory = try TemporaryDirectory()
    let marker = directory.path("pwned")
    var p = PickleBuilder()
    p.global(module, name)
    p.tuple { $0.string("touch \(marker.path)") }
    p.op(0x52)  // REDUCE
    p.stop()
    for data in [try zipFile(folder: "pytorch_model", pickle: p.bytes, storages: []), legacyFile(object: p.bytes, storages: [])] {
      let url = directory.path("pytorch_model.bin")
      try data.write(to: url)
      let error = try #require(throws: TorchCheckpointError.self) { try TorchCheckpoint.read(url) }
      #expect(error.code == .refusedGlobal)
      #expect(error.description.contains(url.path))
      #expect(error.description.contains("\(module).\(name)"))
    }
    #expect(!FileManager.default.fileExists(atPath: marker.path))
  }

  @Test("STACK_GLOBAL and object-building opcodes are refused", arguments: [
    [0x80, 0x04, 0x8C, 0x02] + Array("os".utf8) + [0x8C, 0x06] + Array("system".utf8) + [0x93, 0x2E],
    [0x80, 0x02, 0x28, 0x69] + Array("os\nsystem\n".utf8) + [0x2E],
    [0x80, 0x02, 0x29, 0x29, 0x81, 0x2E],
  ] as [[UInt8]])
  func refusedOpcodes(pickle: [UInt8]) throws {
    let data = try zipFile(folder: "x", pickle: pickle, storages: [])
    let error = try #require(throws: TorchCheckpointError.self) { try TorchCheckpoint(bytes: data, path: "x.pt") }
    #expect([.refusedGlobal, .refusedOpcode].contains(error.code))
  }

  @Test("every truncation of a file gives an error naming it, never a crash")
  func truncations() throws {
    let small = (0..<48).map { Float($0) }
    func pickle(_ legacy: Bool) -> [UInt8] {
      stateDictPickle(
        [
          TensorSpec(name: "a", key: "0", numel: 48, size: [6, 8], stride: [8, 1]),
          TensorSpec(name: "b", key: "1", numel: 3, size: [3], stride: [1]),
        ], legacy: legacy)
    }
    let legacy = legacyFile(object: pickle(true), storages: [("0", 4, floatBytes(small)), ("1", 4, floatBytes([1, 2, 3]))])
    let zip = try zipFile(
      folder: "archive", pickle: pickle(false), storages: [("0", floatBytes(small)), ("1", floatBytes([1, 2, 3]))])
    #expect(try TorchCheckpoint(bytes: legacy).stateDict().floats("a") == small)
    #expect(try TorchCheckpoint(bytes: zip).stateDict().floats("b") == [1, 2, 3])
    for data in [legacy, zip] {
      for cut in Array(1..<64) + Array(stride(from: 64, to: data.count, by: 7)) {
        #expect(throws: TorchCheckpointError.self) {
          _ = try TorchCheckpoint(bytes: data.prefix(cut), path: "cut.pt").stateDict()
        }
      }
    }
  }

  @Test("a flipped storage byte in a zip fails its CRC")
  func corruptZip() throws {
    var data = try zipFile(folder: "archive", pickle: largeStateDict(legacy: false), storages: [("0", floatBytes(values))])
    data[data.count / 2] ^= 0xFF
    let error = try #require(throws: TorchCheckpointError.self) { try TorchCheckpoint(bytes: data, path: "bad.pt") }
    #expect(error.description.hasPrefix("bad.pt: "))
  }

  @Test("lengths and counts from the file are checked before anything is allocated")
  func hostileLengths() throws {
    // A 4 GiB string, a storage claiming 2⁴⁰ elements, a view beyond its storage.
    var huge = PickleBuilder()
    huge.op(0x58, [0xFF, 0xFF, 0xFF, 0xFF])
    huge.stop()
    let tooMany = stateDictPickle([TensorSpec(name: "w", key: "0", numel: 1 << 40, size: [1], stride: [1])], legacy: true)
    let outside = stateDictPickle([TensorSpec(name: "w", key: "0", numel: 4, offset: 2, size: [3], stride: [1])], legacy: true)
    let cases: [(Data, TorchCheckpointErrorCode)] = [
      (legacyFile(object: huge.bytes, storages: []), .truncated),
      (legacyFile(object: tooMany, storages: []), .invalidTensor),
      (legacyFile(object: outside, storages: [("0", 4, floatBytes([1, 2, 3, 4]))]), .invalidTensor),
    ]
    for (data, code) in cases {
      let error = try #require(throws: TorchCheckpointError.self) { try TorchCheckpoint(bytes: data, path: "h.pt") }
      #expect(error.code == code, "\(error)")
    }
  }

  @Test("containers nested a million deep, or inside themselves, are refused without a stack overflow")
  func deepNesting() throws {
    var deep = PickleBuilder()
    deep.op(0x29)  // EMPTY_TUPLE
    for _ in 0..<1_000_000 { deep.op(0x85) }  // TUPLE1
    deep.stop()
    // A chain of 300 000 lists, each inside the previous one, kept alive by the memo (slot 0)
    // while the result is the innermost, empty list.
    var lists = PickleBuilder()
    lists.op(0x5D)  // EMPTY_LIST
    lists.op(0x71, [0])  // BINPUT 0
    for _ in 0..<300_000 {
      lists.op(0x5D)  // EMPTY_LIST
      lists.op(0x71, [1])  // BINPUT 1
      lists.op(0x61)  // APPEND: into the previous list
      lists.op(0x30)  // POP
      lists.op(0x68, [1])  // BINGET 1
    }
    lists.stop()
    var cycle = PickleBuilder()
    cycle.op(0x5D)  // EMPTY_LIST
    cycle.op(0x71, [0])  // BINPUT 0
    cycle.op(0x68, [0])  // BINGET 0
    cycle.op(0x61)  // APPEND: the list into itself
    cycle.stop()
    for pickle in [deep.bytes, cycle.bytes] {
      let error = try #require(throws: TorchCheckpointError.self) {
        try TorchCheckpoint(bytes: try zipFile(folder: "x", pickle: pickle, storages: []), path: "deep.pt")
      }
      #expect(error.code == .malformedPickle)
    }
    // Valid (the result is shallow); the deep chain left in the memo is taken apart, not
    // released recursively.
    let checkpoint = try TorchCheckpoint(bytes: try zipFile(folder: "x", pickle: lists.bytes, storages: []), path: "deep.pt")
    #expect(throws: TorchCheckpointError.self) { try checkpoint.stateDict() }
  }

  @Test("safetensors and other files are told apart from torch files by their first bytes")
  func sniffing() throws {
    #expect(TorchCheckpoint.isTorchFile(prefix: Data([0x50, 0x4B, 0x03, 0x04])))
    #expect(TorchCheckpoint.isTorchFile(prefix: Data([0x80, 0x02, 0x8A, 0x0A])))
    let safetensors = try SafeTensorsWriter.encode(["w": .init([Float(1)], shape: [1])])
    #expect(!TorchCheckpoint.isTorchFile(prefix: safetensors.prefix(8)))
    let error = try #require(throws: TorchCheckpointError.self) { try TorchCheckpoint(bytes: safetensors, path: "w.safetensors") }
    #expect(error.code == .notACheckpoint)
  }
}
