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

  /// A regression problem for optimiser-state tests.
  private func trainingStep(_ model: Sequential<Float>, _ optimizer: Adam<Float>, seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let x = Tensor<Float>(shape: [2, 2, 6, 6], scalars: (0..<144).map { _ in Float.random(in: -1...1, using: &rng) })
    optimizer.zeroGrad()
    let out = model(x)
    mseLoss(out, Tensor(shape: out.shape, scalars: [Float](repeating: 0.5, count: out.count))).backward()
    optimizer.step()
  }

  @Test("Adam's state saved after 3 steps and loaded into a fresh optimiser continues bit-identically")
  func adamStateRoundTrip() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "nn-adam-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let straight = makeModel(seed: 5)
    let straightOptimizer = Adam(parameters: straight.parameters(), learningRate: 1e-2)
    for step in 0..<6 { trainingStep(straight, straightOptimizer, seed: UInt64(step)) }

    let first = makeModel(seed: 5)
    let firstOptimizer = Adam(parameters: first.parameters(), learningRate: 1e-2)
    for step in 0..<3 { trainingStep(first, firstOptimizer, seed: UInt64(step)) }
    try first.saveStateDict(to: directory.appendingPathComponent("model.safetensors"))
    try firstOptimizer.saveState(to: directory.appendingPathComponent("adam.safetensors"))
    let file = try SafeTensorsFile.read(directory.appendingPathComponent("adam.safetensors"))
    #expect(file.info("state.0.step")?.dtype == .int64)
    #expect(try file.int64s("state.0.step") == [3])
    #expect(file.metadata["lr"] == "0.01")

    let second = makeModel(seed: 99)
    try second.loadStateDict(contentsOf: directory.appendingPathComponent("model.safetensors"))
    let secondOptimizer = Adam(parameters: second.parameters(), learningRate: 0.5)
    try secondOptimizer.loadState(contentsOf: directory.appendingPathComponent("adam.safetensors"))
    #expect(secondOptimizer.learningRate == 1e-2)
    for step in 3..<6 { trainingStep(second, secondOptimizer, seed: UInt64(step)) }
    for (a, b) in zip(straight.stateDict(), second.stateDict()) {
      #expect(a.tensor.scalars == b.tensor.scalars, "\(a.name)")
    }

    // A state for other parameters is refused as a whole, listing what does not fit.
    var rng = SplitMix64(seed: 1)
    let other = Adam(parameters: [Linear<Float>(inFeatures: 3, outFeatures: 2, using: &rng).weight])
    do {
      try other.loadState(contentsOf: directory.appendingPathComponent("adam.safetensors"))
      Issue.record("a mismatched optimiser state loaded")
    } catch let error as StateDictError {
      #expect(error.code == .mismatch)
      #expect(error.mismatchedShapes.contains { $0.hasPrefix("state.0.exp_avg") })
      #expect(error.unexpected.contains("state.1.exp_avg"))
    }
  }

  @Test("reseedRandomness restarts every dropout stream: the same seed gives the same masks")
  func reseedDropout() {
    var rng = SplitMix64(seed: 2)
    let model = Sequential<Float>([
      Linear(inFeatures: 8, outFeatures: 8, using: &rng), Dropout(probability: 0.5, seed: 1),
      Linear(inFeatures: 8, outFeatures: 8, using: &rng), Dropout(probability: 0.5, seed: 2),
    ])
    let x = Tensor<Float>(shape: [4, 8], scalars: [Float](repeating: 1, count: 32))
    model.reseedRandomness(7)
    let a = model(x).scalars
    let b = model(x).scalars
    model.reseedRandomness(7)
    let c = model(x).scalars
    model.reseedRandomness(8)
    let d = model(x).scalars
    #expect(a == c)
    #expect(a != b && a != d)
  }
}
