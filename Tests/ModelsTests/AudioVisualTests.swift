import Foundation
import Models
import NN
import Pipelines
import SafeTensors
import TensorModule
import Testing

/// A fixture set of `Fixtures/` (the L3DAS23 audio-visual parity fixtures, set 1): its path
/// prefix, io tensors, and the configuration its constructor arguments and input shapes give.
private struct AVFixture {
  let prefix: String
  let io: SafeTensorsFile

  init(_ name: String) throws {
    let folder = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    prefix = folder.appendingPathComponent(name).path
    io = try SafeTensorsFile.read(URL(fileURLWithPath: prefix + ".io.safetensors"))
  }

  func tensor(_ name: String) throws -> Tensor<Float> {
    Tensor(shape: try #require(io.info(name), "no tensor \(name)").shape, scalars: try io.floats(name))
  }

  /// `constructor_args` with `image_size` (and `samples`) from the io shapes, as `l3das parity` does.
  func configuration<C: Decodable>(_ type: C.Type) throws -> C {
    let object = try JSONSerialization.jsonObject(
      with: Data(contentsOf: URL(fileURLWithPath: prefix + ".config.json")))
    var arguments = try #require((object as? [String: Any])?["constructor_args"] as? [String: Any])
    arguments["verbose"] = nil
    let images = try #require(io.info("images")).shape
    arguments["image_size"] = [images[2], images[3]]
    arguments["samples"] = try #require(io.info("input")).shape.last
    return try JSONDecoder().decode(C.self, from: JSONSerialization.data(withJSONObject: arguments))
  }

  /// `model` with the fixture's weights, in eval mode.
  func loaded<M: Module<Float>>(_ model: M) throws -> M {
    try model.loadStateDict(contentsOf: URL(fileURLWithPath: prefix + ".weights.safetensors"))
    model.eval()
    return model
  }

  /// The activations `forward` reports (name, value) on the fixture's input and images, and the
  /// relative error of each against `act.<name>`; the names must be exactly `names`.
  func activationErrors(
    _ names: [String],
    forward: (Tensor<Float>, Tensor<Float>, @escaping (String, Tensor<Float>) -> Void) throws -> Void
  ) throws -> [String: Double] {
    var seen: [String: Tensor<Float>] = [:]
    try withNoGrad { try forward(try tensor("input"), try tensor("images")) { seen[$0] = $1 } }
    #expect(Set(seen.keys) == Set(names))
    return try worstActivationError(seen, names)
  }

  /// Every `act.<name>` of the fixture against `seen[name]`: the worst relative error.
  func worstActivationError(_ seen: [String: Tensor<Float>], _ names: [String]) throws -> [String: Double] {
    var errors: [String: Double] = [:]
    for name in names {
      let expected = try tensor("act." + name)
      let ours = try #require(seen[name], "no activation \(name)")
      #expect(ours.shape == expected.shape, "\(name)")
      guard ours.shape == expected.shape else { continue }
      errors[name] = relativeError(ours.scalars, expected.scalars)
    }
    return errors
  }
}

/// max |a − b| / max |b|, the ParityCheck measure.
private func relativeError(_ a: [Float], _ b: [Float]) -> Double {
  precondition(a.count == b.count)
  let scale = b.map { abs(Double($0)) }.max() ?? 1
  return zip(a, b).map { abs(Double($0) - Double($1)) }.max().map { $0 / max(scale, 1e-30) } ?? 0
}

/// `images` with every pixel replaced by 1 − pixel (still in [0, 1], a different scene).
private func inverted(_ images: Tensor<Float>) -> Tensor<Float> {
  Tensor(shape: images.shape, scalars: images.scalars.map { 1 - $0 })
}

private func zeros(_ shape: [Int]) -> Tensor<Float> {
  Tensor(shape: shape, scalars: [Float](repeating: 0, count: shape.reduce(1, *)))
}

@Suite("L3DAS23 audio-visual baselines")
struct AudioVisualTests {
  // Parity at `l3das parity`'s default tolerances (outputs ≤ 1e-4, gradients ≤ 1e-3), then ten
  // times tighter. Measured (PyTorch 2.15 fixtures, float32): SELDnet outputs ≤ 1.1e-7, loss
  // 2.3e-7, parameter gradients ≤ 2.3e-6, input 5.2e-7, images 4.4e-7; MMUB output 2.8e-7, loss
  // 1.1e-6, parameter gradients ≤ 3.3e-5 (visual_feature_extractor.0.0.bias), input 3.5e-7,
  // images 1.6e-6.
  @Test("audiovisual_Seldnet_augmented: parity with PyTorch, images' gradient included")
  func seldnetParity() throws {
    let report = try ParityCheck.run(prefix: try AVFixture("audiovisual_seldnet_augmented_small").prefix)
    #expect(report.passed, "\(report.text)")
    #expect(report.model == "audiovisual_Seldnet_augmented")
    #expect(report.parameterCount == 2_147_392)
    #expect(Set(report.perOutput.keys) == ["sed", "doa"])
    #expect(Set(report.perInputGradient.keys) == ["input", "images"])
    #expect(report.perGradient.count == 62)
    #expect(report.outputs <= 1e-5)
    #expect(try #require(report.loss) <= 1e-5)
    #expect(try #require(report.gradients) <= 1e-4)
    #expect(try #require(report.inputGradient) <= 1e-4)
  }

  @Test("audiovisual_MIMO_UNet_Beamforming: parity with PyTorch, images' gradient included")
  func mmubParity() throws {
    let report = try ParityCheck.run(prefix: try AVFixture("audiovisual_mmub_small").prefix)
    #expect(report.passed, "\(report.text)")
    #expect(report.model == "audiovisual_MIMO_UNet_Beamforming")
    #expect(report.parameterCount == 258_774)
    #expect(Set(report.perOutput.keys) == ["output"])
    #expect(Set(report.perInputGradient.keys) == ["input", "images"])
    #expect(report.perGradient.count == 110)
    #expect(report.outputs <= 1e-5)
    #expect(try #require(report.gradients) <= 1e-4)
    #expect(try #require(report.inputGradient) <= 1e-4)
  }

  @Test("audio-visual SELDnet: every image and audio block, the GRU and the image embedding match")
  func seldnetActivations() throws {
    let fixture = try AVFixture("audiovisual_seldnet_augmented_small")
    let model = try fixture.loaded(
      try AudioVisualSELDnet(try fixture.configuration(AudioVisualSELDnetConfiguration.self)))
    let names =
      (0..<5).map { "cnn_visual.\($0)" } + (0..<4).map { "cnn_audio.\($0)" }
      + ["rnn", "flatten_visual", "visual_output"]
    let errors = try fixture.activationErrors(names) { _ = try model.forward($0, images: $1, observe: $2) }
    for (name, error) in errors {
      #expect(error <= 1e-5, "\(name): \(error)")
    }
  }

  @Test("audio-visual MIMO U-Net: image blocks, every U-Net level and act.decoder.0 match")
  func mmubActivations() throws {
    let fixture = try AVFixture("audiovisual_mmub_small")
    let model = try fixture.loaded(
      try AudioVisualMIMOUNet(try fixture.configuration(AudioVisualMIMOUNetConfiguration.self)))
    let names =
      (0..<6).map { "visual_feature_extractor.\($0)" } + ["visual_flatten", "stft_real", "stft_imag"]
      + (0..<10).map { "encoder.\($0)" } + (0..<10).map { "decoder.\($0)" } + ["conv2d", "linear"]
    // Measured ≤ 1.5e-6 on every activation, act.decoder.0 (the first level after the image joins)
    // 5.3e-7; the SELDnet ones ≤ 5.6e-7.
    let errors = try fixture.activationErrors(names) { _ = try model.forward($0, images: $1, observe: $2) }
    #expect(try #require(errors["decoder.0"]) <= 1e-5)
    for (name, error) in errors {
      #expect(error <= 1e-5, "\(name): \(error)")
    }
  }

  @Test("the image branch is used: other images change SELDnet's sed and MMUB's first decoder level")
  func imagesMatter() throws {
    let seldFixture = try AVFixture("audiovisual_seldnet_augmented_small")
    let seld = try seldFixture.loaded(
      try AudioVisualSELDnet(try seldFixture.configuration(AudioVisualSELDnetConfiguration.self)))
    let audio = try seldFixture.tensor("input")
    let images = try seldFixture.tensor("images")
    let (sed, _) = try withNoGrad { try seld.forward(audio, images: images) }
    let (otherSed, _) = try withNoGrad { try seld.forward(audio, images: inverted(images)) }
    #expect(relativeError(sed.scalars, try seldFixture.tensor("sed").scalars) <= 1e-5)
    // Measured 3.8e-4 at these random weights: small, but 38 times the parity tolerance above
    // (ignoring the images would give exactly 0).
    #expect(relativeError(otherSed.scalars, sed.scalars) > 1e-4)

    let mmubFixture = try AVFixture("audiovisual_mmub_small")
    let mmub = try mmubFixture.loaded(
      try AudioVisualMIMOUNet(try mmubFixture.configuration(AudioVisualMIMOUNetConfiguration.self)))
    func firstDecoderLevel(_ images: Tensor<Float>) throws -> Tensor<Float> {
      var level: Tensor<Float>?
      _ = try withNoGrad {
        try mmub.forward(try mmubFixture.tensor("input"), images: images) { name, value in
          if name == "decoder.0" { level = value }
        }
      }
      return try #require(level)
    }
    let mmubImages = try mmubFixture.tensor("images")
    let level = try firstDecoderLevel(mmubImages)
    #expect(relativeError(level.scalars, try mmubFixture.tensor("act.decoder.0").scalars) <= 1e-5)
    // Measured 1.0e-2 (the image is 256 of the 268 channels entering this level).
    #expect(relativeError(try firstDecoderLevel(inverted(mmubImages)).scalars, level.scalars) > 1e-3)
  }

  @Test("wrong audio, wrong images and impossible configurations are clear errors")
  func shapeErrors() throws {
    let seld = try AudioVisualSELDnet(
      try AVFixture("audiovisual_seldnet_augmented_small").configuration(AudioVisualSELDnetConfiguration.self))
    let audio = zeros([1, 4, 64, 16])
    func message(_ body: () throws -> Void) -> String {
      do {
        try body()
        return "no error"
      } catch let error as ModelError {
        #expect(error.code == .wrongInputShape)
        return error.message
      } catch { return "\(error)" }
    }
    #expect(message { _ = try seld.forward(audio, images: zeros([1, 3, 512, 512])) }.contains("[1, 3, 64, 64]"))
    #expect(message { _ = try seld.forward(audio, images: zeros([2, 3, 64, 64])) }.contains("batch"))
    #expect(message { _ = try seld.forward(zeros([1, 4, 64, 32]), images: zeros([1, 3, 64, 64])) }.contains("16]"))
    let bright = Tensor<Float>(shape: [1, 3, 64, 64], scalars: [Float](repeating: 255, count: 3 * 64 * 64))
    #expect(message { _ = try seld.forward(audio, images: bright) }.contains("[0, 1]"))

    let mmub = try AudioVisualMIMOUNet(
      try AVFixture("audiovisual_mmub_small").configuration(AudioVisualMIMOUNetConfiguration.self))
    #expect(message { _ = try mmub.forward(zeros([1, 4, 2400]), images: zeros([1, 3, 32, 32])) }.contains("2384]"))
    #expect(message { _ = try mmub.forward(zeros([1, 4, 2384]), images: zeros([1, 3, 32, 16])) }.contains("[1, 3, 32, 32]"))

    var bad = AudioVisualSELDnetConfiguration.l3das23
    bad.image.filters[4] = 256
    do {
      _ = try AudioVisualSELDnet(bad)
      Issue.record("a visual CNN with 256 output channels for 300 frames built a network")
    } catch let error as ModelError {
      #expect(error.code == .invalidConfiguration)
      #expect(error.message.contains("cnn_filters_visual") && error.message.contains("300"))
    }
    var short = AudioVisualMIMOUNetConfiguration.l3das23
    short.samples = 76_000
    #expect(short.problems.contains { $0.contains("samples 76000") })
  }

  @Test("the official configurations: 300 frames from 512² images, a 32 × 75 MMUB bottleneck")
  func officialSizes() throws {
    let seld = AudioVisualSELDnetConfiguration.l3das23
    #expect(seld.problems.isEmpty)
    #expect(seld.frames == 300 && seld.image.pooledPixels == 256 && seld.imageEmbeddingSize == 512)
    #expect(seld.audio.fcSize == 2048 && seld.audio.dropoutPerc == 0.1)
    let mmub = AudioVisualMIMOUNetConfiguration.l3das23
    #expect(mmub.problems.isEmpty)
    #expect(mmub.bottleneck.rows == 32 && mmub.bottleneck.frames == 75)
    #expect(mmub.image.pooledPixels == 64 && mmub.image.outputChannels == 256)
    // Counted by hand from the reference's layer lists (not from a PyTorch run): SELDnet's
    // 1,553,472 (audio CNN) + 449,508 (image CNN) + 131,584 (visual_output) + 4,334,592 (GRU)
    // + 10,577,962 (sed) + 10,750,078 (doa); MMUB = the audio-only 5,515,012 + 983,040 (decoder.0
    // takes 256 image channels more) + 546,528 (image CNN) + 156,000 (visual_linear).
    #expect(try AudioVisualSELDnet(seld).parameterCount == 27_797_196)
    #expect(try AudioVisualMIMOUNet(mmub).parameterCount == 7_200_580)
    let seldJSON = try JSONEncoder().encode(seld)
    #expect(try JSONDecoder().decode(AudioVisualSELDnetConfiguration.self, from: seldJSON) == seld)
    let mmubJSON = try JSONEncoder().encode(mmub)
    #expect(try JSONDecoder().decode(AudioVisualMIMOUNetConfiguration.self, from: mmubJSON) == mmub)
  }
}
