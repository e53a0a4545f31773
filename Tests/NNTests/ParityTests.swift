import Foundation
import NN
import SafeTensors
import TensorModule
import Testing

// Layer-level forward (and SELDnet whole-model gradient) parity with PyTorch 2.15, using the
// shared parity fixtures (see Fixtures/README.md). Float32 throughout, eval mode.

private func fixture(_ name: String) throws -> SafeTensorsFile {
  let folder = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
  return try SafeTensorsFile.read(folder.appendingPathComponent(name + ".safetensors"))
}

private func tensor(_ file: SafeTensorsFile, _ name: String, requiresGrad: Bool = false) throws
  -> Tensor<Float>
{
  let info = try #require(file.info(name), "fixture lacks \(name)")
  return Tensor(shape: info.shape, scalars: try file.floats(name), requiresGrad: requiresGrad)
}

/// `Seldnet_augmented` at the fixture's small size, built from NN layers with PyTorch's names.
private final class SmallSeldnet: Module {
  var isTraining = true
  let cnn: Sequential<Float>
  let rnn: GRU<Float>
  let sed: Sequential<Float>
  let doa: Sequential<Float>
  var ownParameters: [(name: String, tensor: Tensor<Float>)] { [] }
  var children: [(name: String, module: any Module<Float>)] {
    [("cnn", cnn), ("rnn", rnn), ("sed", sed), ("doa", doa)]
  }

  init() {
    var rng = SplitMix64(seed: 1)
    let filters = [4, 4, 6, 8, 64]
    let pools = [(2, 2), (2, 1), (2, 2), (1, 1)]
    cnn = Sequential(
      (0..<4).map { i in
        Sequential<Float>([
          Conv2d(
            inChannels: filters[i], outChannels: filters[i + 1], kernelSize: (3, 3),
            padding: Padding2D(1, 1), using: &rng),
          BatchNorm2d(features: filters[i + 1]), ReLU(), MaxPool2d(kernel: pools[i]),
          Dropout(probability: 0.3),
        ])
      })
    rnn = GRU(
      inputSize: 1024, hiddenSize: 8, layers: 3, batchFirst: true, dropout: 0.3,
      bidirectional: true, using: &rng)
    func head(_ out: Int, _ last: any Layer<Float>) -> Sequential<Float> {
      Sequential([
        Linear(inFeatures: 16, outFeatures: 16, using: &rng), ReLU(),
        Linear(inFeatures: 16, outFeatures: 16, using: &rng), ReLU(),
        Linear(inFeatures: 16, outFeatures: 16, using: &rng), ReLU(), Dropout(probability: 0.3),
        Linear(inFeatures: 16, outFeatures: out, using: &rng), last,
      ])
    }
    sed = head(9, Sigmoid())
    doa = head(27, Tanh())
  }

  /// The recurrent input: `[B, C, F, T]` → `[B, T, C·F]` (feature index c·F + f).
  static func sequence(_ features: Tensor<Float>) -> Tensor<Float> {
    let s = features.shape
    return features.permuted([0, 3, 1, 2]).reshaped([s[0], s[3], s[1] * s[2]])
  }
}

@Suite("PyTorch parity (shared fixtures)")
struct ParityTests {
  @Test func seldnetBlocksGRUAndHeads() throws {
    let weights = try fixture("seldnet_augmented_small.weights")
    let io = try fixture("seldnet_augmented_small.io")
    let model = SmallSeldnet()
    try model.loadStateDict(from: weights)
    model.eval()
    #expect(model.parameterCount == 60018)
    var previous = try tensor(io, "input")
    for (i, block) in model.cnn.layers.enumerated() {
      let expected = try tensor(io, "act.cnn.\(i)")
      let out = withNoGrad { block(previous) }
      #expect(out.shape == expected.shape)
      #expect(maxRelativeError(out.scalars, expected.scalars) < 1e-5, "block \(i)")
      previous = expected
    }
    let (rnnOut, hidden) = withNoGrad { model.rnn.run(SmallSeldnet.sequence(previous)) }
    let expectedRNN = try tensor(io, "act.rnn")
    #expect(maxRelativeError(rnnOut.scalars, expectedRNN.scalars) < 1e-5)
    #expect(maxRelativeError(hidden.scalars, try tensor(io, "act.rnn.h_n").scalars) < 1e-5)
    let sed = withNoGrad { model.sed(expectedRNN) }
    let doa = withNoGrad { model.doa(expectedRNN) }
    #expect(maxRelativeError(sed.scalars, try tensor(io, "sed").scalars) < 1e-5)
    #expect(maxRelativeError(doa.scalars, try tensor(io, "doa").scalars) < 1e-5)
  }

  @Test func seldnetWholeModelGradients() throws {
    let weights = try fixture("seldnet_augmented_small.weights")
    let io = try fixture("seldnet_augmented_small.io")
    let grads = try fixture("seldnet_augmented_small.grads")
    let model = SmallSeldnet()
    try model.loadStateDict(from: weights)
    model.eval()
    let input = try tensor(io, "input", requiresGrad: true)
    let features = SmallSeldnet.sequence(model.cnn(input))
    let sequence = model.rnn(features)
    let sed = model.sed(sequence)
    let doa = model.doa(sequence)
    #expect(maxRelativeError(sed.scalars, try tensor(io, "sed").scalars) < 1e-5)
    #expect(maxRelativeError(doa.scalars, try tensor(io, "doa").scalars) < 1e-5)
    let loss = (sed * (try tensor(io, "R.sed"))).sum() + (doa * (try tensor(io, "R.doa"))).sum()
    #expect(abs(loss.item - (try tensor(io, "loss")).item) < 1e-5 * max(1, abs(loss.item)))
    loss.backward()
    var worst = 0.0
    for (name, parameter) in model.namedParameters() {
      let expected = try tensor(grads, "grad." + name)
      let error = maxRelativeError(try #require(parameter.grad), expected.scalars)
      #expect(error < 1e-4, "grad.\(name)")
      worst = max(worst, error)
    }
    let inputError = maxRelativeError(try #require(input.grad), try tensor(grads, "grad.input").scalars)
    #expect(inputError < 1e-4)
  }

  @Test func mmubEncoderAndDecoderBlocks() throws {
    let weights = try fixture("mmub_small.weights")
    let io = try fixture("mmub_small.io")
    let kernels = [(7, 1), (1, 7), (8, 6), (7, 6), (6, 5), (5, 5), (6, 3), (5, 3), (6, 3), (5, 3)]
    let strides = [(1, 1), (1, 1), (2, 2), (1, 1), (2, 2), (1, 1), (2, 2), (1, 1), (2, 1), (1, 1)]
    var rng = SplitMix64(seed: 2)
    // Encoder: "same" zero padding (one fewer at the start for even kernels), Conv2d, BN, LeakyReLU(0.3).
    var previous = Tensor.concatenate(
      [try tensor(io, "act.stft_real"), try tensor(io, "act.stft_imag")], axis: 2)
    for i in 0..<10 {
      let (kf, kt) = kernels[i]
      let w = try tensor(weights, "encoder.\(i).0.weight")
      let block = Sequential<Float>([
        Conv2d(
          inChannels: w.shape[1], outChannels: w.shape[0], kernelSize: (kf, kt), stride: strides[i],
          padding: Padding2D(
            top: kf / 2 - (kf % 2 == 0 ? 1 : 0), bottom: kf / 2,
            left: kt / 2 - (kt % 2 == 0 ? 1 : 0), right: kt / 2), using: &rng),
        BatchNorm2d(features: w.shape[0]), LeakyReLU(negativeSlope: 0.3),
      ])
      try block.loadStateDict(from: weights, prefix: "encoder.\(i).")
      block.eval()
      let expected = try tensor(io, "act.encoder.\(i)")
      let out = withNoGrad { block(previous) }
      #expect(out.shape == expected.shape)
      #expect(maxRelativeError(out.scalars, expected.scalars) < 1e-5, "encoder \(i)")
      previous = expected
    }
    // Decoder: [crop(previous), skip] → ConvTranspose2d, BN, LeakyReLU(0.3) (before the crop).
    for j in 0..<10 {
      let e = 9 - j
      var input = try tensor(io, "act.encoder.9")
      if j > 0 {
        let skip = try tensor(io, "act.encoder.\(e)")
        var d = try tensor(io, "act.decoder.\(j - 1)")
        for axis in [2, 3] {
          let excess = d.shape[axis] - skip.shape[axis]
          d = d.slice(axis: axis, (excess / 2)..<(excess / 2 + skip.shape[axis]))
        }
        input = Tensor.concatenate([d, skip], axis: 1)
      }
      let w = try tensor(weights, "decoder.\(j).0.weight")
      let block = Sequential<Float>([
        ConvTranspose2d(
          inChannels: w.shape[0], outChannels: w.shape[1], kernelSize: kernels[e],
          stride: strides[e], using: &rng),
        BatchNorm2d(features: w.shape[1]), LeakyReLU(negativeSlope: 0.3),
      ])
      try block.loadStateDict(from: weights, prefix: "decoder.\(j).")
      block.eval()
      let expected = try tensor(io, "act.decoder.\(j)")
      let out = withNoGrad { block(input) }
      #expect(out.shape == expected.shape, "decoder \(j)")
      #expect(maxRelativeError(out.scalars, expected.scalars) < 1e-5, "decoder \(j)")
    }
  }

  @Test func fasnetGlobalLayerNormAndRowLSTM() throws {
    let weights = try fixture("fasnet_origin_small.weights")
    let io = try fixture("fasnet_origin_small.io")
    // enc_LN = GroupNorm(1, 8, eps 1e-8) on the encoder output viewed as [B, N, L].
    let encoded = try tensor(io, "act.encoder").reshaped([2, 28, 8]).transposed(1, 2)
    let norm = GroupNorm<Float>(groups: 1, channels: 8, epsilon: 1e-8)
    try norm.loadStateDict(from: weights, prefix: "enc_LN.")
    let normalized = withNoGrad { norm(encoded) }
    #expect(maxRelativeError(normalized.scalars, try tensor(io, "act.enc_LN").scalars) < 1e-5)

    // DPRNN row RNN 0: split the BN output into 50 %-overlapping segments of 6, then a
    // bidirectional LSTM (H = 6) and a Linear projection, per chunk.
    let features = try tensor(io, "act.ref_BF.BN")  // [B, N, L] = [2, 8, 28]
    let (segment, hop) = (6, 3)
    let rest = segment - (hop + 28 % segment) % segment
    let padded = features.padded(axis: 2, before: hop, after: rest + hop)
    let length = padded.shape[2]
    let first = padded.slice(axis: 2, 0..<(length - hop)).reshaped([2, 8, -1, segment])
    let second = padded.slice(axis: 2, hop..<length).reshaped([2, 8, -1, segment])
    let blocks = Tensor.concatenate([first, second], axis: 3).reshaped([2, 8, -1, segment])
      .transposed(2, 3)  // [B, N, segment, chunks]
    let chunks = blocks.shape[3]
    let rows = blocks.permuted([0, 3, 2, 1]).reshaped([2 * chunks, segment, 8])
    var rng = SplitMix64(seed: 3)
    let lstm = LSTM<Float>(
      inputSize: 8, hiddenSize: 6, batchFirst: true, bidirectional: true, using: &rng)
    let projection = Linear<Float>(inFeatures: 12, outFeatures: 8, using: &rng)
    try lstm.loadStateDict(from: weights, prefix: "ref_BF.DPRNN.row_rnn.0.rnn.")
    try projection.loadStateDict(from: weights, prefix: "ref_BF.DPRNN.row_rnn.0.proj.")
    let out = withNoGrad { projection(lstm(rows)) }
    let expected = try tensor(io, "act.ref_BF.DPRNN.row_rnn.0")
    #expect(out.shape == expected.shape)
    #expect(maxRelativeError(out.scalars, expected.scalars) < 1e-5)
  }
}
