import Foundation
import NN
import SafeTensors
import Testing
import TorchCheckpoint
import Wav2Vec2

private struct DecodeCases: Decodable {
  struct Case: Decodable {
    var ids: [Int]
    var text: String
  }
  var vocab: [String]
  var cases: [Case]
}

@Suite("wav2vec2 tokenizer, configuration and checkpoint files")
struct Wav2Vec2DecodingTests {
  @Test("CTC decoding equals the official batch_decode on every hand-made case")
  func decodeCases() throws {
    let data = try Data(contentsOf: try fixtures().appendingPathComponent("ctc_decode_cases.json"))
    let cases = try JSONDecoder().decode(DecodeCases.self, from: data)
    let tokenizer = try Wav2Vec2Tokenizer(
      vocabulary: try fixtures().appendingPathComponent("base_h64/vocab.json"),
      configuration: try fixtures().appendingPathComponent("base_h64/tokenizer_config.json"))
    #expect(tokenizer.tokens == cases.vocab)
    #expect(tokenizer.normalizesInput)
    #expect(cases.cases.count >= 10)
    for c in cases.cases {
      #expect(tokenizer.decode(c.ids) == c.text, "\(c.ids)")
    }
    #expect(tokenizer.decode([10, 4, 27, 4, 12]) == "I'S")
    #expect(tokenizer.decode([7, 99]) == "A<unk>")
  }

  @Test("a config.json without a required key is an error naming the key", arguments: [
    "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "conv_dim", "conv_kernel",
    "conv_stride", "vocab_size",
  ])
  func missingKey(key: String) throws {
    let url = try fixtures().appendingPathComponent("base_h64/config.json")
    var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    object[key] = nil
    object["some_future_key"] = ["ignored": true]
    let error = try #require(throws: Wav2Vec2Error.self) {
      try Wav2Vec2Configuration(json: try JSONSerialization.data(withJSONObject: object), path: "config.json")
    }
    #expect(error.code == .invalidConfiguration)
    #expect(error.description.contains("\"\(key)\""))
  }

  @Test("configurations decode both variants, with unknown keys ignored")
  func variants() throws {
    let base = try Wav2Vec2Configuration(contentsOf: try fixtures().appendingPathComponent("base_h64/config.json"))
    let lv60 = try Wav2Vec2Configuration(contentsOf: try fixtures().appendingPathComponent("lv60_h64/config.json"))
    #expect(base.featureNorm == .group && !base.convolutionBias && !base.stableLayerNorm)
    #expect(lv60.featureNorm == .layer && lv60.convolutionBias && lv60.stableLayerNorm)
    #expect(base.frameCount(samples: 27_200) == 84)
    #expect(base.frameCount(samples: 160_000) == 499)
    #expect(base.frameCount(samples: 399) == 0)
  }

  @Test("the zip and legacy torch.save files hold exactly the safetensors weights", arguments: [
    "tiny_state_dict.pt", "tiny_state_dict_legacy.pt",
  ])
  func torchFiles(file: String) throws {
    let safetensors = try SafeTensorsFile.read(try fixtures().appendingPathComponent("base_h64/model.safetensors"))
    let torch = try StateDictFile.read(try fixtures().appendingPathComponent(file))
    #expect(torch.names == safetensors.names)
    for name in safetensors.names {
      #expect(torch.info(name)?.shape == safetensors.info(name)?.shape, "\(name)")
      #expect(try torch.floats(name) == safetensors.floats(name), "\(name)")
    }
  }

  @Test("a folder with only pytorch_model.bin transcribes like the safetensors folder")
  func pytorchModelBin() throws {
    let source = try fixtures().appendingPathComponent("base_h64")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("w2v-bin-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    for name in ["config.json", "vocab.json", "tokenizer_config.json"] {
      try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
    }
    try FileManager.default.copyItem(
      at: try fixtures().appendingPathComponent("tiny_state_dict_legacy.pt"),
      to: folder.appendingPathComponent("pytorch_model.bin"))
    let fromBin = try PretrainedWav2Vec2(directory: folder)
    let fromSafetensors = try PretrainedWav2Vec2(directory: source)
    let audio = (0..<12_345).map { Float(sin(Double($0) * 0.013) * 0.3) }
    #expect(try fromBin.transcribe(audio) == fromSafetensors.transcribe(audio))
  }

  @Test("a truncated weights file gives an error naming it")
  func truncatedWeights() throws {
    let source = try fixtures().appendingPathComponent("tiny_state_dict.pt")
    let data = try Data(contentsOf: source)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("w2v-cut-\(UUID().uuidString).pt")
    defer { try? FileManager.default.removeItem(at: url) }
    try data.prefix(data.count / 2).write(to: url)
    let error = try #require(throws: TorchCheckpointError.self) { try StateDictFile.read(url) }
    #expect(error.description.contains(url.path))
  }
}
