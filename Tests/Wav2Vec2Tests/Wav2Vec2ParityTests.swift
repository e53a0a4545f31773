import Foundation
import Metrics
import NN
import SafeTensors
import Testing
import Wav2Vec2

/// The fixture folder of this test target.
func fixtures() throws -> URL {
  try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
}

/// One case of a variant's `strings.json`.
struct FixtureCase: Decodable {
  var name: String
  var samples: Int
  var frames: Int
  var ids: [Int]
  var text: String
}

struct FixtureStrings: Decodable {
  var cases: [FixtureCase]
}

/// The largest |a − b|.
func maxDifference(_ a: [Float], _ b: [Double]) -> Double {
  zip(a, b).reduce(0) { Swift.max($0, Swift.abs(Double($1.0) - $1.1)) }
}

/// Logits must be within this of the float64 reference: about 10× the float32 rounding the
/// reference run itself shows (1.1e-5), as the fixtures' README suggests.
let logitTolerance = 1e-4
/// The official normalisation in float32, against NumPy's float32 result.
let inputTolerance = 1e-5

@Suite("wav2vec2 against transformers on the shared fixture models")
struct Wav2Vec2ParityTests {
  static let variants = ["base_h64", "lv60_h64"]

  @Test("normalised inputs, logits, ids and texts match the reference for every case", arguments: variants)
  func parity(variant: String) throws {
    let folder = try fixtures().appendingPathComponent(variant)
    let model = try PretrainedWav2Vec2(directory: folder)
    let reference = try SafeTensorsFile.read(folder.appendingPathComponent("reference.safetensors"))
    let strings = try JSONDecoder().decode(
      FixtureStrings.self, from: Data(contentsOf: folder.appendingPathComponent("strings.json")))
    #expect(strings.cases.count == 7)
    for c in strings.cases {
      let raw = try reference.floats("\(c.name).input_raw")
      #expect(raw.count == c.samples)
      let values = model.tokenizer.inputValues(raw)
      let expectedValues = try reference.doubles("\(c.name).input_values")
      #expect(maxDifference(values, expectedValues) <= inputTolerance, "\(variant)/\(c.name) input")

      let result = try model.transcribe(raw)
      #expect(result.frameCount == c.frames, "\(variant)/\(c.name) frames")
      let expected = try reference.doubles("\(c.name).logits_f64")
      let difference = maxDifference(result.logits, expected)
      #expect(difference <= logitTolerance, "\(variant)/\(c.name): max |Δ logits| = \(difference)")
      #expect(result.ids == c.ids, "\(variant)/\(c.name) ids")
      #expect(result.text == c.text, "\(variant)/\(c.name) text")
    }
  }

  @Test("a float64 model matches the float64 reference to 1e-9", arguments: variants)
  func doublePrecision(variant: String) throws {
    let folder = try fixtures().appendingPathComponent(variant)
    let configuration = try Wav2Vec2Configuration(contentsOf: folder.appendingPathComponent("config.json"))
    let model = Wav2Vec2ForCTC<Double>(configuration)
    try model.load(from: try SafeTensorsFile.read(folder.appendingPathComponent("model.safetensors")))
    let reference = try SafeTensorsFile.read(folder.appendingPathComponent("reference.safetensors"))
    for name in ["c1_0p5s", "c3_1p7s"] {
      let input = try reference.doubles("\(name).input_values")
      let logits = withNoGrad { model.logits(Tensor(shape: [1, input.count], scalars: input)) }
      let expected = try reference.doubles("\(name).logits_f64")
      let difference = zip(logits.scalars, expected).reduce(0) { Swift.max($0, Swift.abs($1.0 - $1.1)) }
      #expect(difference <= 1e-9, "\(variant)/\(name): max |Δ| = \(difference)")
    }
  }

  @Test("the current PyTorch weight-norm names load to the same logits", arguments: variants)
  func parametrizedNames(variant: String) throws {
    let folder = try fixtures().appendingPathComponent(variant)
    let file = try SafeTensorsFile.read(folder.appendingPathComponent("model.safetensors"))
    var renamed: [String: SafeTensorsWriter.Tensor] = [:]
    for name in file.names {
      let newName = name
        .replacingOccurrences(of: "conv.weight_g", with: "conv.parametrizations.weight.original0")
        .replacingOccurrences(of: "conv.weight_v", with: "conv.parametrizations.weight.original1")
      renamed[newName] = .init(try file.floats(name), shape: try #require(file.info(name)).shape)
    }
    #expect(renamed.keys.contains("wav2vec2.encoder.pos_conv_embed.conv.parametrizations.weight.original0"))
    let parametrized = try SafeTensorsFile(bytes: SafeTensorsWriter.encode(renamed))
    let configuration = try Wav2Vec2Configuration(contentsOf: folder.appendingPathComponent("config.json"))
    let a = Wav2Vec2ForCTC<Float>(configuration)
    let b = Wav2Vec2ForCTC<Float>(configuration)
    try a.load(from: file)
    try b.load(from: parametrized)
    for ((name, x), (_, y)) in zip(a.stateDict(), b.stateDict()) {
      #expect(x.scalars == y.scalars, "\(name)")
    }
  }

  @Test("inference records no graph")
  func noGraph() throws {
    let model = try PretrainedWav2Vec2(directory: try fixtures().appendingPathComponent("base_h64"))
    let input = Tensor<Float>(shape: [1, 8000], scalars: (0..<8000).map { Float(sin(Double($0) * 0.01)) })
    let logits = model.model.logits(input)
    #expect(!logits.requiresGrad)
    #expect(logits.graphNodeCount == 0)
    #expect(model.model.parameters().allSatisfy { !$0.requiresGrad })
  }

  @Test("one transcriber used from several threads at once gives the sequential transcripts")
  func concurrentUse() throws {
    let transcriber = try Wav2Vec2Transcriber(directory: try fixtures().appendingPathComponent("base_h64"))
    let reference = try SafeTensorsFile.read(try fixtures().appendingPathComponent("base_h64/reference.safetensors"))
    let names = ["c1_0p5s", "c2_odd12345", "c3_1p7s", "c4_3p0s", "c6_1p7s_noisy"]
    let requests = try names.map {
      TranscriptionRequest(samples: try reference.floats("\($0).input_raw"), sampleRate: 16_000)
    }
    let sequential = try requests.map { try transcriber.transcribe($0) }
    let results = ResultBox(count: requests.count * 4)
    DispatchQueue.concurrentPerform(iterations: requests.count * 4) { i in
      results.set(i, (try? transcriber.transcribe(requests[i % requests.count])) ?? "<error>")
    }
    for i in 0..<(requests.count * 4) { #expect(results.values[i] == sequential[i % requests.count]) }
    #expect(transcriber.identifier.hasPrefix("wav2vec2:base_h64:sha256="))
    #expect(transcriber.identifier.count == "wav2vec2:base_h64:sha256=".count + 64)
  }

  @Test("audio shorter than 400 samples gives an empty transcript")
  func tooShort() throws {
    let model = try PretrainedWav2Vec2(directory: try fixtures().appendingPathComponent("base_h64"))
    #expect(model.configuration.receptiveField == 400)
    let result = try model.transcribe([Float](repeating: 0.1, count: 399))
    #expect(result.text == "" && result.ids.isEmpty && result.frameCount == 0)
    #expect(try model.transcribe([Float](repeating: 0.1, count: 400)).frameCount == 1)
  }
}

/// Results written by concurrent workers, one slot each.
private final class ResultBox: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: [String]
  init(count: Int) { stored = Array(repeating: "", count: count) }
  func set(_ i: Int, _ value: String) { lock.withLock { stored[i] = value } }
  var values: [String] { lock.withLock { stored } }
}
