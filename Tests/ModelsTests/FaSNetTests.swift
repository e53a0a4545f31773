import Foundation
import Models
import NN
import Pipelines
import SafeTensors
import TensorModule
import Testing
import _TestSupport

private func fixturePrefix(_ name: String) throws -> String {
  let folder = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
  return folder.appendingPathComponent(name).path
}

private func fixtureConfig(_ name: String) throws -> [String: Any] {
  let url = URL(fileURLWithPath: try fixturePrefix(name) + ".config.json")
  return try #require(
    try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
}

private func fixtureConfiguration(_ name: String) throws -> FaSNetConfiguration {
  let arguments = try #require(try fixtureConfig(name)["constructor_args"])
  return try JSONDecoder().decode(
    FaSNetConfiguration.self, from: try JSONSerialization.data(withJSONObject: arguments))
}

@Suite("FaSNet (Task 1 L3DAS21 baselines, origin and TAC)")
struct FaSNetTests {
  @Test("parameter counts of the L3DAS21 configurations equal PyTorch's (5,430,406 and 4,072,725)")
  func parameterCounts() throws {
    let origin = try FaSNet(.l3das21)
    #expect(origin.parameterCount == 5_430_406)
    #expect(try FaSNetTAC(.l3das21).parameterCount == 4_072_725)
    // BASELINES.md §2.8 breakdown: encoder 49,152, enc_LN 128, each BF module 2,690,563.
    #expect(origin.encoder.parameterCount == 49_152)
    #expect(origin.referenceBeamformer.parameterCount == 2_690_563)
    #expect(origin.otherBeamformer.parameterCount == 2_690_563)
  }

  @Test(
    "the fixtures' constructor arguments decode, and the state_dict names and shapes are PyTorch's",
    arguments: ["fasnet_origin_small", "fasnet_tac_small"])
  func stateDict(name: String) throws {
    let config = try fixtureConfig(name)
    let configuration = try fixtureConfiguration(name)
    #expect(configuration == .tiny)
    #expect(
      configuration.window == 16 && configuration.context == 16 && configuration.filterDim == 33)
    let module: any Module<Float> =
      name.contains("tac") ? try FaSNetTAC(configuration) : try FaSNet(configuration)
    let weights = try #require(config["weights"] as? [String: [String: Any]])
    let ours = Dictionary(
      uniqueKeysWithValues: module.stateDict().map { ($0.name, $0.tensor.shape) })
    #expect(Set(ours.keys) == Set(weights.keys))
    for (key, info) in weights {
      #expect(ours[key] == info["shape"] as? [Int], "\(key)")
    }
    #expect(module.parameterCount == config["num_parameters"] as? Int)
  }

  // Measured (max |ours − PyTorch| / max |PyTorch| per tensor; PyTorch's own float32-vs-float64
  // output gap is 3.4e-7 and 2.2e-7):
  //   FaSNet_origin: output 6.7e-7, loss 6.4e-8, parameter gradients ≤ 9.2e-6
  //   (other_BF.DPRNN.output.0.weight, a PReLU slope), input gradient 1.3e-6.
  //   FaSNet_TAC: output 3.7e-7, loss 9.3e-8, parameter gradients ≤ 1.8e-5
  //   (all_BF.DPRNN.ch_average.0.1.weight, a PReLU slope), input gradient 4.4e-7.
  @Test(
    "parity with PyTorch on the shared fixtures: output ≤ 1e-4, every gradient ≤ 1e-3",
    arguments: ["fasnet_origin_small", "fasnet_tac_small"])
  func parity(name: String) throws {
    let report = try ParityCheck.run(
      prefix: try fixturePrefix(name), outputTolerance: 1e-4, gradientTolerance: 1e-3)
    #expect(report.passed, "\(report.text)")
    #expect(Set(report.perOutput.keys) == ["output"])
    #expect(report.outputs <= 1e-4)
    #expect(try #require(report.loss) <= 1e-4)
    #expect(try #require(report.gradients) <= 1e-3)
    #expect(try #require(report.inputGradient) <= 1e-3)
    let weights = try #require(try fixtureConfig(name)["weights"] as? [String: Any])
    #expect(report.perGradient.count == weights.count)
    #expect(report.parameterCount == (name.contains("tac") ? 6585 : 9494))
  }

  @Test(
    "the DPRNN blocks reproduce the fixture's activations from the bottleneck output",
    arguments: [("fasnet_origin_small", "ref_BF"), ("fasnet_tac_small", "all_BF")])
  func dprnnActivations(name: String, module path: String) throws {
    let prefix = try fixturePrefix(name)
    let io = try SafeTensorsFile.read(URL(fileURLWithPath: prefix + ".io.safetensors"))
    func t(_ key: String) throws -> Tensor<Float> {
      Tensor(shape: try #require(io.info(key)).shape, scalars: try io.floats(key))
    }
    let configuration = try fixtureConfiguration(name)
    let beamformer: BeamformingModule
    let module: any Module<Float>
    if name.contains("tac") {
      let model = try FaSNetTAC(configuration)
      (beamformer, module) = (model.beamformer, model)
    } else {
      let model = try FaSNet(configuration)
      (beamformer, module) = (model.referenceBeamformer, model)
    }
    try module.loadStateDict(contentsOf: URL(fileURLWithPath: prefix + ".weights.safetensors"))
    module.eval()
    let bottleneck = try t("act.\(path).BN")  // [R, N, L]
    let channels = name.contains("tac") ? 4 : 1
    let (segments, rest) = BeamformingModule.split(
      bottleneck, segmentSize: configuration.segmentSize)
    #expect(rest == 5 && segments.shape == [bottleneck.shape[0], 8, 6, 12])
    let blocks = withNoGrad { beamformer.dprnn(segments, channels: channels) }
    let expected = try t("act.\(path).DPRNN")
    #expect(blocks.shape == expected.shape)
    #expect(relativeError(blocks.scalars, expected.scalars) < 1e-5)
    // Merging a split sequence gives it back doubled: every frame lies in exactly two chunks.
    let merged = BeamformingModule.merge(segments, frames: bottleneck.shape[2], rest: rest)
    #expect(relativeError(merged.scalars, (bottleneck * 2).scalars) < 1e-6)
  }

  @Test("wrong input shapes and impossible configurations are clear errors")
  func errors() throws {
    let origin = try FaSNet(.tiny)
    let tac = try FaSNetTAC(.tiny)
    let flat = Tensor<Float>(shape: [4, 200], scalars: [Float](repeating: 0, count: 800))
    let mono = Tensor<Float>(shape: [2, 1, 200], scalars: [Float](repeating: 0, count: 400))
    let empty = Tensor<Float>(shape: [1, 4, 0], scalars: [])
    for input in [flat, mono, empty] {
      do {
        _ = try origin.forward(input)
        Issue.record("FaSNet_origin accepted input \(input.shape)")
      } catch let error as ModelError {
        #expect(error.code == .wrongInputShape)
      }
    }
    #expect(throws: ModelError.self) { try tac.forward(flat) }
    #expect(throws: ModelError.self) { try tac.forward(empty) }
    // One channel is fine for TAC (its average is that channel).
    #expect(try tac.forward(mono).shape == [2, 1, 200])

    var odd = FaSNetConfiguration.tiny
    odd.winLen = 1.0625  // W = 17
    odd.segmentSize = 1
    do {
      _ = try FaSNet(odd)
      Issue.record("an odd window built a network")
    } catch let error as ModelError {
      #expect(error.code == .invalidConfiguration)
      #expect(error.message.contains("even") && error.message.contains("segment_size"))
    }
  }

  @Test("output length equals input length for lengths hitting every framing remainder")
  func lengths() throws {
    let model = try FaSNet(.tiny)
    var rng = SplitMix64(seed: 5)
    for t in [1, 7, 8, 16, 24, 200, 201] {
      let input = Tensor<Float>(uniformBound: 1, shape: [1, 3, t], using: &rng)
      let output = try withNoGrad { try model.forward(input) }
      #expect(output.shape == [1, 1, t])
      #expect(output.scalars.allSatisfy { $0.isFinite })
    }
  }

  @Test("digital silence inside the signal keeps every gradient finite (zero-norm windows)")
  func silenceGradients() throws {
    var rng = SplitMix64(seed: 6)
    var values = Tensor<Float>(uniformBound: 1, shape: [1, 3, 160], using: &rng).scalars
    for c in 0..<3 { for i in 40..<120 { values[c * 160 + i] = 0 } }  // 80 zeros ≫ W = 16
    for model in [try FaSNet(.tiny, seed: 2) as any Module<Float>, try FaSNetTAC(.tiny, seed: 2)] {
      let input = Tensor<Float>(shape: [1, 3, 160], scalars: values, requiresGrad: true)
      let output = try (model as? FaSNet)?.forward(input) ?? (model as! FaSNetTAC).forward(input)
      output.sum().backward()
      #expect(try #require(input.grad).allSatisfy { $0.isFinite })
      #expect(model.parameters().allSatisfy { ($0.grad ?? [.nan]).allSatisfy { $0.isFinite } })
    }
  }

  @Test("the parity check reads num_mic from the io file and refuses the ad-hoc array path")
  func adHocNumMicIsRefused() throws {
    let prefix = try fixturePrefix("fasnet_origin_small")
    let dir = try TemporaryDirectory()
    for suffix in [".config.json", ".weights.safetensors"] {
      try FileManager.default.copyItem(
        at: URL(fileURLWithPath: prefix + suffix), to: dir.path("set" + suffix))
    }
    let io = try SafeTensorsFile.read(URL(fileURLWithPath: prefix + ".io.safetensors"))
    var tensors: [String: SafeTensorsWriter.Tensor] = [:]
    for name in ["input", "output", "R.output"] {
      tensors[name] = .init(try io.floats(name), shape: try #require(io.info(name)).shape)
    }
    tensors["num_mic"] = .init([Float(3)], shape: [1])
    try SafeTensorsWriter.write(tensors, to: dir.path("set.io.safetensors"))
    do {
      _ = try ParityCheck.run(prefix: dir.path("set").path)
      Issue.record("num_mic = [3] was accepted")
    } catch let error as ModelError {
      #expect(error.code == .unsupportedModel && error.message.contains("num_mic"))
    }
    tensors["num_mic"] = .init([Float(0)], shape: [1])
    try SafeTensorsWriter.write(tensors, to: dir.path("set.io.safetensors"))
    let report = try ParityCheck.run(prefix: dir.path("set").path)
    #expect(report.passed && report.gradients == nil)
  }

  @Test("configurations round-trip through JSON; PyTorch's defaults fill missing keys")
  func coding() throws {
    for configuration in [FaSNetConfiguration.l3das21, .tiny] {
      let data = try JSONEncoder().encode(configuration)
      #expect(try JSONDecoder().decode(FaSNetConfiguration.self, from: data) == configuration)
    }
    let partial = #"{"enc_dim": 64.0, "layer": 4, "segment_size": 50, "nspk": 2, "win_len": 4}"#
    let decoded = try JSONDecoder().decode(FaSNetConfiguration.self, from: Data(partial.utf8))
    #expect(decoded.encDim == 64 && decoded.layer == 4 && decoded.nspk == 2)
    #expect(decoded.window == 64 && decoded.context == 256 && decoded.chunkLength == 576)
    #expect(throws: DecodingError.self) {
      try JSONDecoder().decode(FaSNetConfiguration.self, from: Data(#"{"layer": 2.5}"#.utf8))
    }
  }

  @Test(
    "two speakers: output [B, 2, T], gradients reach both modules; a train step lowers the loss")
  func twoSpeakersTraining() throws {
    var configuration = FaSNetConfiguration.tiny
    configuration.nspk = 2
    var rng = SplitMix64(seed: 9)
    let input = Tensor<Float>(uniformBound: 1, shape: [2, 3, 100], using: &rng)
    let target = Tensor<Float>(uniformBound: 1, shape: [2, 2, 100], using: &rng)
    for model in [
      try FaSNet(configuration, seed: 1) as any Module<Float>,
      try FaSNetTAC(configuration, seed: 1),
    ] {
      let forward: () throws -> Tensor<Float> = {
        if let origin = model as? FaSNet { return try origin.forward(input) }
        return try (model as! FaSNetTAC).forward(input)
      }
      let adam = Adam(parameters: model.parameters(), learningRate: 1e-2)
      var losses: [Float] = []
      for _ in 0..<3 {
        adam.zeroGrad()
        let output = try forward()
        #expect(output.shape == [2, 2, 100])
        let loss = mseLoss(output, target)
        loss.backward()
        #expect(
          model.namedParameters().allSatisfy { $0.tensor.grad != nil },
          "every parameter gets a gradient")
        adam.step()
        losses.append(loss.item)
      }
      #expect(losses[2] < losses[0])
    }
  }
}

private func relativeError(_ a: [Float], _ b: [Float]) -> Double {
  let scale = b.map { abs(Double($0)) }.max() ?? 1
  return zip(a, b).map { abs(Double($0) - Double($1)) }.max().map { $0 / max(scale, 1e-30) } ?? 0
}
