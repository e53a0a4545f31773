import Foundation
import Models
import NN
import Pipelines
import SafeTensors
import TensorModule
import Testing

private func fixturePrefix(_ name: String) throws -> String {
  let folder = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
  return folder.appendingPathComponent(name).path
}

@Suite("SELDnet (Task 2 baseline)")
struct SELDnetTests {
  @Test(
    "parameter counts of the official configurations equal PyTorch's",
    arguments: [
      (SELDnetConfiguration.augmentedL3DAS22, 11_309_288),
      (SELDnetConfiguration.augmentedL3DAS21, 11_309_288),
      (SELDnetConfiguration.vanilla, 660_968),
    ])
  func parameterCounts(configuration: SELDnetConfiguration, expected: Int) throws {
    #expect(try SELDnet(configuration).parameterCount == expected)
  }

  @Test("8 input channels and 4-channel vanilla match BASELINES.md's counts")
  func channelVariants() throws {
    var two = SELDnetConfiguration.augmentedL3DAS22
    two.inputChannels = 8
    #expect(try SELDnet(two).parameterCount == 11_311_592)
    var vanilla4 = SELDnetConfiguration.vanilla
    vanilla4.inputChannels = 4
    #expect(try SELDnet(vanilla4).parameterCount == 658_664)
  }

  @Test("state_dict names are PyTorch's")
  func stateDictNames() throws {
    let names = try SELDnet(.tiny).stateDict().map(\.name)
    #expect(names.contains("cnn.0.0.weight"))
    #expect(names.contains("cnn.3.1.running_var"))
    #expect(names.contains("cnn.3.1.num_batches_tracked"))
    #expect(names.contains("rnn.weight_ih_l0_reverse"))
    #expect(names.contains("sed.7.bias") && names.contains("doa.7.weight"))
    let vanilla = try SELDnet(.vanilla).stateDict().map(\.name)
    #expect(vanilla.contains("sed.2.weight") && !vanilla.contains("sed.4.weight"))
  }

  @Test(
    "parity with PyTorch on the shared fixtures: outputs ≤ 1e-5, gradients ≤ 1e-4",
    arguments: ["seldnet_augmented_small", "seldnet_vanilla_small"])
  func parity(name: String) throws {
    let report = try ParityCheck.run(
      prefix: try fixturePrefix(name), outputTolerance: 1e-5, gradientTolerance: 1e-4)
    #expect(report.passed, "\(report.text)")
    #expect(Set(report.perOutput.keys) == ["sed", "doa"])
    #expect(report.outputs <= 1e-5)
    #expect(try #require(report.gradients) <= 1e-4)
    #expect(try #require(report.inputGradient) <= 1e-4)
    #expect(try #require(report.loss) <= 1e-5)
    #expect(report.perGradient.count == (name.contains("vanilla") ? 28 : 56))
  }

  @Test("intermediate activations of every CNN block and the GRU match the fixture")
  func activations() throws {
    let prefix = try fixturePrefix("seldnet_augmented_small")
    let io = try SafeTensorsFile.read(URL(fileURLWithPath: prefix + ".io.safetensors"))
    let configuration = try JSONDecoder().decode(
      SELDnetConfiguration.self,
      from: try JSONSerialization.data(
        withJSONObject: try #require(
          (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: prefix + ".config.json")))
            as? [String: Any])?["constructor_args"])))
    #expect(configuration.variant == .augmented)
    #expect(configuration.recurrentInputSize == 1024)
    let model = try SELDnet(configuration)
    try model.loadStateDict(contentsOf: URL(fileURLWithPath: prefix + ".weights.safetensors"))
    model.eval()
    func t(_ name: String) throws -> Tensor<Float> {
      Tensor(shape: try #require(io.info(name)).shape, scalars: try io.floats(name))
    }
    var x = try t("input")
    for (i, block) in model.cnn.layers.enumerated() {
      x = withNoGrad { block(x) }
      let expected = try t("act.cnn.\(i)")
      #expect(x.shape == expected.shape)
      #expect(relativeError(x.scalars, expected.scalars) < 1e-5, "cnn.\(i)")
    }
    let sequence = withNoGrad { model.rnn(SELDnet.sequence(x)) }
    #expect(relativeError(sequence.scalars, try t("act.rnn").scalars) < 1e-5)
  }

  @Test("a wrong input shape and an impossible configuration are clear errors")
  func errors() throws {
    let model = try SELDnet(.tiny)
    #expect(throws: ModelError.self) { try model.forward(Tensor(shape: [1, 8, 256, 16], scalars: [Float](repeating: 0, count: 8 * 256 * 16))) }
    #expect(throws: ModelError.self) { try model.forward(Tensor(shape: [1, 4, 256, 4], scalars: [Float](repeating: 0, count: 4 * 256 * 4))) }
    var bad = SELDnetConfiguration.tiny
    bad.cnnFilters = [8]
    bad.freqDim = 0
    do {
      _ = try SELDnet(bad)
      Issue.record("an invalid configuration built a network")
    } catch let error as ModelError {
      #expect(error.code == .invalidConfiguration)
      #expect(error.message.contains("cnn_filters") && error.message.contains("freq_dim"))
    }
  }

  @Test("configurations round-trip through JSON, and PyTorch's float quirks decode")
  func coding() throws {
    for configuration in [SELDnetConfiguration.augmentedL3DAS21, .vanilla, .tiny] {
      let data = try JSONEncoder().encode(configuration)
      #expect(try JSONDecoder().decode(SELDnetConfiguration.self, from: data) == configuration)
    }
    let quirky = #"{"time_dim": 2400, "class_overlaps": 3.0, "n_cnn_filters": 64.0}"#
    let decoded = try JSONDecoder().decode(SELDnetConfiguration.self, from: Data(quirky.utf8))
    #expect(decoded.variant == .vanilla && decoded.classOverlaps == 3 && decoded.cnnFilters == [64, 64, 64])
    #expect(throws: DecodingError.self) {
      try JSONDecoder().decode(SELDnetConfiguration.self, from: Data(#"{"time_dim": 2400.5}"#.utf8))
    }
  }

  @Test("the same seed builds the same network, another seed does not; one train step moves the loss")
  func seededTraining() throws {
    let a = try SELDnet(.tiny, seed: 3)
    let b = try SELDnet(.tiny, seed: 3)
    let c = try SELDnet(.tiny, seed: 4)
    #expect(a.parameters().map(\.scalars) == b.parameters().map(\.scalars))
    #expect(a.parameters().map(\.scalars) != c.parameters().map(\.scalars))
    var rng = SplitMix64(seed: 9)
    let input = Tensor<Float>(uniformBound: 1, shape: [2, 4, 256, 16], using: &rng)
    let target = Tensor<Float>(shape: [2, 2, 42], scalars: (0..<168).map { Float($0 % 2) })
    let adam = Adam(parameters: a.parameters(), learningRate: 1e-3)
    var losses: [Float] = []
    for _ in 0..<3 {
      adam.zeroGrad()
      let (sed, _) = try a.forward(input)
      let loss = bceLoss(sed, target)
      loss.backward()
      adam.step()
      losses.append(loss.item)
    }
    #expect(losses[2] < losses[0])
  }
}

private func relativeError(_ a: [Float], _ b: [Float]) -> Double {
  let scale = b.map { abs(Double($0)) }.max() ?? 1
  return zip(a, b).map { abs(Double($0) - Double($1)) }.max().map { $0 / max(scale, 1e-30) } ?? 0
}
