import Foundation
import L3DASCore
import NN
import TensorModule
import Wav2Vec2

/// The official Task 1 recogniser's forward pass at facebook/wav2vec2-base-960h's size
/// (94.4 M parameters, seeded random weights, or a model folder), on synthetic audio of the
/// given lengths. `Tools/bench/w2v_compare.sh` runs it beside transformers' `Wav2Vec2ForCTC`.
enum Wav2Vec2Bench {
  /// base-960h's `config.json` architecture fields.
  static let baseConfiguration = """
    {"conv_dim": [512, 512, 512, 512, 512, 512, 512], "conv_kernel": [10, 3, 3, 3, 3, 2, 2],
     "conv_stride": [5, 2, 2, 2, 2, 2, 2], "conv_bias": false, "feat_extract_norm": "group",
     "feat_extract_activation": "gelu", "hidden_act": "gelu", "hidden_size": 768,
     "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072,
     "num_conv_pos_embeddings": 128, "num_conv_pos_embedding_groups": 16,
     "do_stable_layer_norm": false, "layer_norm_eps": 1e-5, "vocab_size": 32, "pad_token_id": 0}
    """

  struct Case {
    var name: String
    var seconds: Double
    var detail: String
  }

  static func run(audioSeconds: [Double], repetitions: Int, modelDirectory: String?) throws -> [Case] {
    HeapTuning.retainLargeAllocations()  // as `l3das transcribe` does
    let loadStart = DispatchTime.now().uptimeNanoseconds
    let model: Wav2Vec2ForCTC<Float>
    if let modelDirectory {
      model = try PretrainedWav2Vec2(directory: URL(fileURLWithPath: modelDirectory)).model
    } else {
      model = Wav2Vec2ForCTC(try Wav2Vec2Configuration(json: Data(baseConfiguration.utf8)), seed: 1)
      for p in model.parameters() { p.setRequiresGrad(false) }
      model.eval()
    }
    let loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e9
    var cases: [Case] = []
    for length in audioSeconds {
      var rng = SplitMix64(seed: 7)
      let count = Int(length * 16_000)
      let samples = (0..<count).map { _ in Float.random(in: -1...1, using: &rng) }
      let input = Tensor<Float>(shape: [1, count], scalars: samples)
      var frames = 0
      let time = medianSeconds(repetitions: repetitions) {
        let logits = withNoGrad { model.logits(input) }
        frames = logits.shape[1]
      }
      cases.append(Case(
        name: String(format: "wav2vec2 forward %.0f s", length), seconds: time,
        detail: String(
          format: "%d frames, %d parameters, load %.2f s, peak RSS %.0f MiB", frames, model.parameterCount,
          loadSeconds, ModelStepBench.peakResidentMiB())))
    }
    return cases
  }
}
