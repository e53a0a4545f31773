public import NN

// The dual-path RNN blocks of FaSNet (utility/models.py of the reference: `SingleRNN`,
// `DPRNN`, `DPRNN_TAC`, `DPRNN_base`) and the beamforming-filter estimator `BF_module`, with
// PyTorch's module names.

/// PyTorch `nn.ModuleList`: children named "0", "1", …; it has no forward pass.
public final class ModuleList: Module {
  public typealias Scalar = Float
  public var isTraining = true
  public let modules: [any Module<Float>]
  public init(_ modules: [any Module<Float>]) { self.modules = modules }
  public var ownParameters: [(name: String, tensor: Tensor<Float>)] { [] }
  public var children: [(name: String, module: any Module<Float>)] {
    modules.enumerated().map { ("\($0.offset)", $0.element) }
  }
}

/// `SingleRNN`: a one-layer bidirectional, batch-first LSTM (`rnn`) followed by a per-step
/// `Linear(2H → N)` (`proj`). `[batch, steps, N]` → `[batch, steps, N]`.
public final class SingleRNN: Layer {
  public typealias Scalar = Float
  public var isTraining = true
  public let rnn: LSTM<Float>
  public let proj: Linear<Float>

  public init(inputSize: Int, hiddenSize: Int, using rng: inout some RandomNumberGenerator) {
    rnn = LSTM(
      inputSize: inputSize, hiddenSize: hiddenSize, batchFirst: true, bidirectional: true,
      using: &rng)
    proj = Linear(inFeatures: 2 * hiddenSize, outFeatures: inputSize, using: &rng)
  }

  public var ownParameters: [(name: String, tensor: Tensor<Float>)] { [] }
  public var children: [(name: String, module: any Module<Float>)] {
    [("rnn", rnn), ("proj", proj)]
  }

  public func callAsFunction(_ input: Tensor<Float>) -> Tensor<Float> { proj(rnn(input)) }
}

/// `DPRNN` (and, with `channelCommunication`, `DPRNN_TAC`): `layer` blocks of intra-chunk
/// ("row") and inter-chunk ("col") BiLSTMs, each followed by GroupNorm(1, N, eps 1e-8) and a
/// residual add; the TAC variant adds the transform–average–concatenate step across channels.
/// Then PReLU and a 1×1 Conv2d to `outputSize` channels (`output`).
///
/// Input `[R, N, K, Q]` (K positions within a chunk, Q chunks); for TAC R = B·channels with
/// the channel index varying fastest.
public final class DPRNN: Module {
  public typealias Scalar = Float
  public var isTraining = true
  public let rowRNN: ModuleList
  public let colRNN: ModuleList
  public let rowNorm: ModuleList
  public let colNorm: ModuleList
  /// TAC only: `Sequential(Linear(N → 3H), PReLU)` per block.
  public let channelTransform: ModuleList?
  /// TAC only: `Sequential(Linear(3H → 3H), PReLU)` per block.
  public let channelAverage: ModuleList?
  /// TAC only: `Sequential(Linear(6H → N), PReLU)` per block.
  public let channelConcat: ModuleList?
  /// TAC only: GroupNorm(1, N, 1e-8) per block.
  public let channelNorm: ModuleList?
  /// `Sequential(PReLU, Conv2d(N → outputSize, 1×1))`.
  public let output: Sequential<Float>

  private let rows: [SingleRNN]
  private let cols: [SingleRNN]
  private let rowNorms: [GroupNorm<Float>]
  private let colNorms: [GroupNorm<Float>]
  private let tac:
    [(
      transform: Sequential<Float>, average: Sequential<Float>, concat: Sequential<Float>,
      norm: GroupNorm<Float>
    )]

  public init(
    inputSize: Int, hiddenSize: Int, outputSize: Int, layers: Int, channelCommunication: Bool,
    using rng: inout some RandomNumberGenerator
  ) {
    var rows: [SingleRNN] = []
    var cols: [SingleRNN] = []
    var tac: [(Sequential<Float>, Sequential<Float>, Sequential<Float>, GroupNorm<Float>)] = []
    // PyTorch's registration order within one block: row_rnn, col_rnn, (ch_transform,
    // ch_average, ch_concat), then the norms, which hold no random values.
    for _ in 0..<layers {
      rows.append(SingleRNN(inputSize: inputSize, hiddenSize: hiddenSize, using: &rng))
      cols.append(SingleRNN(inputSize: inputSize, hiddenSize: hiddenSize, using: &rng))
      if channelCommunication {
        let h3 = 3 * hiddenSize
        tac.append(
          (
            Sequential([Linear(inFeatures: inputSize, outFeatures: h3, using: &rng), PReLU()]),
            Sequential([Linear(inFeatures: h3, outFeatures: h3, using: &rng), PReLU()]),
            Sequential([Linear(inFeatures: 2 * h3, outFeatures: inputSize, using: &rng), PReLU()]),
            GroupNorm(groups: 1, channels: inputSize, epsilon: 1e-8)
          ))
      }
    }
    let norms = {
      (0..<layers).map { _ in GroupNorm<Float>(groups: 1, channels: inputSize, epsilon: 1e-8) }
    }
    (self.rows, self.cols, self.rowNorms, self.colNorms) = (rows, cols, norms(), norms())
    self.tac = tac.map { (transform: $0.0, average: $0.1, concat: $0.2, norm: $0.3) }
    rowRNN = ModuleList(rows)
    colRNN = ModuleList(cols)
    rowNorm = ModuleList(rowNorms)
    colNorm = ModuleList(colNorms)
    if channelCommunication {
      channelTransform = ModuleList(self.tac.map(\.transform))
      channelAverage = ModuleList(self.tac.map(\.average))
      channelConcat = ModuleList(self.tac.map(\.concat))
      channelNorm = ModuleList(self.tac.map(\.norm))
    } else {
      (channelTransform, channelAverage, channelConcat, channelNorm) = (nil, nil, nil, nil)
    }
    output = Sequential([
      PReLU(),
      Conv2d(inChannels: inputSize, outChannels: outputSize, kernelSize: (1, 1), using: &rng),
    ])
  }

  public var ownParameters: [(name: String, tensor: Tensor<Float>)] { [] }
  public var children: [(name: String, module: any Module<Float>)] {
    var list: [(name: String, module: any Module<Float>)] = [
      ("row_rnn", rowRNN), ("col_rnn", colRNN),
    ]
    if let channelTransform, let channelAverage, let channelConcat {
      list += [
        ("ch_transform", channelTransform), ("ch_average", channelAverage),
        ("ch_concat", channelConcat),
      ]
    }
    list += [("row_norm", rowNorm), ("col_norm", colNorm)]
    if let channelNorm { list.append(("ch_norm", channelNorm)) }
    return list + [("output", output)]
  }

  /// `[R, N, K, Q]` → `[R, outputSize, K, Q]`. With TAC, `channels` is the number of channels
  /// per batch item in R (all of them are averaged: the fixed-geometry `num_mic = 0` path).
  public func callAsFunction(_ input: Tensor<Float>, channels: Int = 1) -> Tensor<Float> {
    let s = input.shape
    let (r, n, k, q) = (s[0], s[1], s[2], s[3])
    var out = input
    for i in rows.indices {
      // Intra-chunk: one sequence of K positions per (r, chunk).
      let rowIn = out.permuted([0, 3, 2, 1]).reshaped([r * q, k, n])
      let rowOut = rows[i](rowIn).reshaped([r, q, k, n]).permuted([0, 3, 2, 1])
      out = out + rowNorms[i](rowOut)
      // Inter-chunk: one sequence of Q chunks per (r, position).
      let colIn = out.permuted([0, 2, 3, 1]).reshaped([r * k, q, n])
      let colOut = cols[i](colIn).reshaped([r, k, q, n]).permuted([0, 3, 1, 2])
      out = out + colNorms[i](colOut)
      if !tac.isEmpty {
        out = out + channelCommunication(out, block: i, channels: channels)
      }
    }
    return output(out)
  }

  /// The TAC step of block `i`: transform every channel's vector, average across channels,
  /// concatenate (transformed, average) and project back; GroupNorm per (b, channel).
  func channelCommunication(_ x: Tensor<Float>, block i: Int, channels ch: Int) -> Tensor<Float> {
    let s = x.shape
    let (n, k, q) = (s[1], s[2], s[3])
    let b = s[0] / ch
    let step = tac[i]
    let vectors = x.reshaped([b, ch, n, k, q]).permuted([0, 3, 4, 1, 2]).reshaped([
      b * k * q * ch, n,
    ])
    let transformed = step.transform(vectors)
    let h3 = transformed.shape[1]
    let perPosition = transformed.reshaped([b * k * q, ch, h3])
    let mean = step.average(perPosition.mean(alongAxes: [1])).reshaped([b * k * q, 1, h3])
    let joined = Tensor.concatenate(
      [perPosition, Tensor.concatenate(Array(repeating: mean, count: ch), axis: 1)], axis: 2)
    let projected = step.concat(joined.reshaped([b * k * q * ch, 2 * h3]))
    let back = projected.reshaped([b, k, q, ch, n]).permuted([0, 3, 4, 1, 2]).reshaped([
      b * ch, n, k, q,
    ])
    return step.norm(back)
  }
}

/// `BF_module`: the beamforming-filter estimator. A bias-free 1×1 Conv1d bottleneck (`BN`, not
/// batch norm), chunking into overlapping segments, the ``DPRNN``, overlap-add back to frames,
/// and the gated output tanh(`output`) ⊙ sigmoid(`output_gate`) giving one F-tap filter per
/// frame.
public final class BeamformingModule: Module {
  public typealias Scalar = Float
  public var isTraining = true
  /// `Conv1d(F + N → feature_dim, 1, bias=False)`.
  public let bottleneck: Conv1d<Float>
  public let dprnn: DPRNN
  /// `Sequential(Conv1d(feature_dim → F, 1), Tanh)`.
  public let output: Sequential<Float>
  /// `Sequential(Conv1d(feature_dim → F, 1), Sigmoid)`.
  public let outputGate: Sequential<Float>
  public let featureDim: Int
  public let filterDim: Int
  public let speakers: Int
  public let segmentSize: Int

  public init(
    inputDim: Int, featureDim: Int, hiddenDim: Int, filterDim: Int, speakers: Int, layers: Int,
    segmentSize: Int, channelCommunication: Bool, using rng: inout some RandomNumberGenerator
  ) {
    (self.featureDim, self.filterDim, self.speakers, self.segmentSize) =
      (featureDim, filterDim, speakers, segmentSize)
    bottleneck = Conv1d(
      inChannels: inputDim, outChannels: featureDim, kernelSize: 1, bias: false, using: &rng)
    dprnn = DPRNN(
      inputSize: featureDim, hiddenSize: hiddenDim, outputSize: featureDim * speakers,
      layers: layers,
      channelCommunication: channelCommunication, using: &rng)
    output = Sequential([
      Conv1d(inChannels: featureDim, outChannels: filterDim, kernelSize: 1, using: &rng), Tanh(),
    ])
    outputGate = Sequential([
      Conv1d(inChannels: featureDim, outChannels: filterDim, kernelSize: 1, using: &rng), Sigmoid(),
    ])
  }

  public var ownParameters: [(name: String, tensor: Tensor<Float>)] { [] }
  public var children: [(name: String, module: any Module<Float>)] {
    [("BN", bottleneck), ("DPRNN", dprnn), ("output", output), ("output_gate", outputGate)]
  }

  /// Features `[B·channels, F + N, L]` → filters `[B, channels, speakers, L, F]`.
  public func callAsFunction(_ input: Tensor<Float>, channels: Int) -> Tensor<Float> {
    let (rows, frames) = (input.shape[0], input.shape[2])
    let (segments, rest) = Self.split(bottleneck(input), segmentSize: segmentSize)
    let processed = dprnn(segments, channels: channels)
    let (k, q) = (processed.shape[2], processed.shape[3])
    let merged = Self.merge(
      processed.reshaped([rows * speakers, featureDim, k, q]), frames: frames, rest: rest)
    let filters = output(merged) * outputGate(merged)  // [R·spk, F, L]
    return filters.transposed(1, 2).reshaped([
      rows / channels, channels, speakers, frames, filterDim,
    ])
  }

  /// Chunk q's first frame in the padded sequence. PyTorch interleaves chunks cut at multiples
  /// of K from the sequence and from the sequence shifted by P = K/2, so q = 2j starts at j·K
  /// and q = 2j+1 at j·K + P (q·P when K is even).
  static func chunkStarts(count: Int, segmentSize k: Int) -> [Int] {
    (0..<count).map { ($0 / 2) * k + ($0 % 2) * (k / 2) }
  }

  /// `split_feature`: `[R, N, L]` → `[R, N, K, Q]` and `rest`. The sequence is padded with P
  /// zeros, then `rest` = K − ((P + L mod K) mod K) zeros (1…K, so possibly a whole chunk),
  /// then P zeros.
  public static func split(_ x: Tensor<Float>, segmentSize k: Int) -> (Tensor<Float>, rest: Int) {
    let p = k / 2
    let l = x.shape[2]
    let rest = k - (p + l % k) % k
    let padded = x.padded(axis: 2, before: p, after: rest + p)
    let q = 2 * (l + rest + p) / k
    let chunks = padded.frames(length: k, starts: chunkStarts(count: q, segmentSize: k))
    return (chunks.transposed(2, 3), rest)
  }

  /// `merge_feature`: overlap-adds `[R, N, K, Q]` chunks (no normalisation) and drops P frames
  /// in front and P + `rest` behind → `[R, N, L]`.
  public static func merge(_ x: Tensor<Float>, frames l: Int, rest: Int) -> Tensor<Float> {
    let (k, q) = (x.shape[2], x.shape[3])
    let p = k / 2
    let summed = x.transposed(2, 3).overlapAdd(
      starts: chunkStarts(count: q, segmentSize: k), length: l + rest + 2 * p)
    return summed.slice(axis: 2, p..<(p + l))
  }
}
