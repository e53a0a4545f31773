import Foundation
import NN
import SafeTensors
import TensorModule
import Testing

@Suite("State dict I/O")
struct StateDictTests {
  private func makeModel(seed: UInt64) -> Sequential<Float> {
    var rng = SplitMix64(seed: seed)
    return Sequential([
      Conv2d(inChannels: 2, outChannels: 3, kernelSize: (3, 3), using: &rng),
      BatchNorm2d(features: 3),
      Linear(inFeatures: 4, outFeatures: 2, using: &rng),
    ])
  }

  @Test func saveAndLoadRoundTrip() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "nn-statedict-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("model.safetensors")
    let a = makeModel(seed: 1)
    (a.layers[1] as! BatchNorm2d<Float>).runningMean.scalars = [1, 2, 3]
    (a.layers[1] as! BatchNorm2d<Float>).batchesTracked.scalars = [7]
    try a.saveStateDict(to: url)
    let file = try SafeTensorsFile.read(url)
    #expect(file.info("1.num_batches_tracked")?.dtype == .int64)
    #expect(file.info("0.weight")?.dtype == .float32)
    let b = makeModel(seed: 2)
    try b.loadStateDict(contentsOf: url)
    for ((n1, t1), (n2, t2)) in zip(a.stateDict(), b.stateDict()) {
      #expect(n1 == n2)
      #expect(t1.scalars == t2.scalars, "\(n1)")
    }
  }

  @Test func strictLoadingListsEveryProblemAtOnce() throws {
    var rng = SplitMix64(seed: 3)
    let model = makeModel(seed: 4)
    let tensors: [String: SafeTensorsWriter.Tensor] = Dictionary(
      uniqueKeysWithValues: model.stateDict().compactMap { name, t in
        switch name {
        case "2.bias": return nil  // missing
        case "0.weight": return (name, .init([Float](repeating: 0, count: 3 * 2 * 3 * 2), shape: [3, 2, 3, 2]))
        default: return (name, .init(t.scalars, shape: t.shape))
        }
      } + [("3.weight", .init([Float(Double.random(in: 0..<1, using: &rng))], shape: [1]))])
    let file = try SafeTensorsFile(bytes: SafeTensorsWriter.encode(tensors))
    let before = model.stateDict().map(\.tensor.scalars)
    let error = try #require(throws: StateDictError.self) { try model.loadStateDict(from: file) }
    #expect(error.code == .mismatch)
    #expect(error.missing == ["2.bias"])
    #expect(error.unexpected == ["3.weight"])
    #expect(error.mismatchedShapes == ["0.weight (module [3, 2, 3, 3], file [3, 2, 3, 2])"])
    #expect(error.description.contains("missing 1: 2.bias"))
    #expect(model.stateDict().map(\.tensor.scalars) == before)  // nothing changed
  }
}
