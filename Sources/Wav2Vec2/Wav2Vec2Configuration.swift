public import Foundation

/// The architecture of a `Wav2Vec2ForCTC` checkpoint, decoded from the hub's `config.json`
/// (transformers' `Wav2Vec2Config`; its field names in the doc comments).
///
/// Keys this port does not use are ignored. The sizes have no defaults: a `config.json` without
/// `hidden_size`, `num_hidden_layers`, `num_attention_heads`, `intermediate_size`, `conv_dim`,
/// `conv_kernel`, `conv_stride` or `vocab_size` is an error naming the key. The other fields
/// take transformers' defaults when absent.
public struct Wav2Vec2Configuration: Sendable, Equatable {
  /// How the convolutional feature encoder normalises (`feat_extract_norm`).
  public enum FeatureNorm: String, Sendable {
    /// GroupNorm with one group per channel after the first convolution only (base models).
    case group
    /// LayerNorm over channels after every convolution (large "lv60" models).
    case layer
  }

  /// An activation function named in the configuration (transformers' `ACT2FN` keys).
  public enum Activation: String, Sendable {
    /// GELU with the exact error function (`gelu`).
    case gelu
    /// GELU's tanh approximation (`gelu_new`, `gelu_pytorch_tanh`).
    case geluTanh = "gelu_new"
    /// `relu`.
    case relu
    /// x·sigmoid(x) (`silu`, `swish`).
    case silu

    init?(configName: String) {
      switch configName {
      case "gelu": self = .gelu
      case "gelu_new", "gelu_pytorch_tanh": self = .geluTanh
      case "relu": self = .relu
      case "silu", "swish": self = .silu
      default: return nil
      }
    }
  }

  /// Output channels of each feature-encoder convolution (`conv_dim`).
  public var convolutionChannels: [Int]
  /// Kernel size of each convolution (`conv_kernel`).
  public var convolutionKernels: [Int]
  /// Stride of each convolution (`conv_stride`).
  public var convolutionStrides: [Int]
  /// Whether the convolutions have a bias (`conv_bias`, default false).
  public var convolutionBias: Bool
  /// The feature encoder's normalisation (`feat_extract_norm`, default `group`).
  public var featureNorm: FeatureNorm
  /// The activation of the feature encoder and the positional convolution
  /// (`feat_extract_activation`, default `gelu`).
  public var featureActivation: Activation
  /// Width of the transformer (`hidden_size`).
  public var hiddenSize: Int
  /// Transformer layers (`num_hidden_layers`).
  public var layerCount: Int
  /// Attention heads per layer (`num_attention_heads`).
  public var headCount: Int
  /// Width of the feed-forward block (`intermediate_size`).
  public var intermediateSize: Int
  /// The feed-forward activation (`hidden_act`, default `gelu`).
  public var hiddenActivation: Activation
  /// Kernel size of the positional convolution (`num_conv_pos_embeddings`, default 128).
  public var positionalKernel: Int
  /// Groups of the positional convolution (`num_conv_pos_embedding_groups`, default 16).
  public var positionalGroups: Int
  /// Pre-LN encoder ("stable layer norm", `do_stable_layer_norm`, default false: post-LN).
  public var stableLayerNorm: Bool
  /// ε of the transformer's and the feature projection's LayerNorms (`layer_norm_eps`, default
  /// 1e-5). The feature encoder's norms use PyTorch's default 1e-5, as transformers does.
  public var layerNormEpsilon: Double
  /// Output classes of the CTC head (`vocab_size`).
  public var vocabularySize: Int
  /// The CTC blank id (`pad_token_id`, default 0).
  public var padTokenID: Int

  /// The width of one attention head.
  public var headWidth: Int { hiddenSize / headCount }

  /// The number of output frames for `samples` input samples: L₀ = samples,
  /// Lᵢ₊₁ = ⌊(Lᵢ − kᵢ)/sᵢ⌋ + 1, and 0 once an Lᵢ is shorter than its kernel.
  public func frameCount(samples: Int) -> Int {
    var length = samples
    for (k, s) in zip(convolutionKernels, convolutionStrides) {
      guard length >= k else { return 0 }
      length = (length - k) / s + 1
    }
    return length
  }

  /// The fewest samples that give one frame (400 for every released checkpoint).
  public var receptiveField: Int {
    var field = 1
    for (k, s) in zip(convolutionKernels, convolutionStrides).reversed() { field = (field - 1) * s + k }
    return field
  }

  /// Decodes and checks a `config.json`.
  /// - Parameter path: for error messages.
  /// - Throws: ``Wav2Vec2Error`` `.invalidConfiguration` naming the missing or bad key.
  public init(json data: Data, path: String? = nil) throws {
    func fail(_ message: String) -> Wav2Vec2Error { Wav2Vec2Error(.invalidConfiguration, message, path: path) }
    guard let object = try? JSONSerialization.jsonObject(with: data), let json = object as? [String: Any] else {
      throw fail("config.json is not a JSON object")
    }
    func value(_ key: String) throws -> Any {
      guard let v = json[key], !(v is NSNull) else { throw fail("config.json lacks the required key \"\(key)\"") }
      return v
    }
    func int(_ v: Any, _ key: String) throws -> Int {
      guard let n = v as? NSNumber, let i = Int(exactly: n.doubleValue) else {
        throw fail("\"\(key)\" must be an integer, found \(v)")
      }
      return i
    }
    func positive(_ key: String) throws -> Int {
      let i = try int(try value(key), key)
      guard i > 0 else { throw fail("\"\(key)\" must be positive, found \(i)") }
      return i
    }
    func list(_ key: String) throws -> [Int] {
      guard let items = try value(key) as? [Any], !items.isEmpty else {
        throw fail("\"\(key)\" must be a non-empty array of integers")
      }
      return try items.map {
        let i = try int($0, key)
        guard i > 0 else { throw fail("\"\(key)\" must hold positive integers, found \(i)") }
        return i
      }
    }
    func optional<T>(_ key: String, _ fallback: T) throws -> T {
      guard let v = json[key], !(v is NSNull) else { return fallback }
      guard let typed = v as? T else { throw fail("\"\(key)\" has the wrong type: \(v)") }
      return typed
    }
    func activation(_ key: String) throws -> Activation {
      let name: String = try optional(key, "gelu")
      guard let a = Activation(configName: name) else {
        throw fail("\"\(key)\" = \"\(name)\" is not supported (gelu, gelu_new, relu, silu, swish)")
      }
      return a
    }
    convolutionChannels = try list("conv_dim")
    convolutionKernels = try list("conv_kernel")
    convolutionStrides = try list("conv_stride")
    guard convolutionKernels.count == convolutionChannels.count, convolutionStrides.count == convolutionChannels.count else {
      throw fail("conv_dim, conv_kernel and conv_stride must have the same length (\(convolutionChannels.count), \(convolutionKernels.count), \(convolutionStrides.count))")
    }
    if let layers = json["num_feat_extract_layers"] as? Int, layers != convolutionChannels.count {
      throw fail("num_feat_extract_layers is \(layers) but conv_dim has \(convolutionChannels.count) entries")
    }
    hiddenSize = try positive("hidden_size")
    layerCount = try positive("num_hidden_layers")
    headCount = try positive("num_attention_heads")
    intermediateSize = try positive("intermediate_size")
    vocabularySize = try positive("vocab_size")
    convolutionBias = try optional("conv_bias", false)
    let norm: String = try optional("feat_extract_norm", "group")
    guard let featureNorm = FeatureNorm(rawValue: norm) else {
      throw fail("\"feat_extract_norm\" = \"\(norm)\" is not supported (group or layer)")
    }
    self.featureNorm = featureNorm
    featureActivation = try activation("feat_extract_activation")
    hiddenActivation = try activation("hidden_act")
    positionalKernel = try json["num_conv_pos_embeddings"].map { try int($0, "num_conv_pos_embeddings") } ?? 128
    positionalGroups = try json["num_conv_pos_embedding_groups"].map { try int($0, "num_conv_pos_embedding_groups") } ?? 16
    stableLayerNorm = try optional("do_stable_layer_norm", false)
    layerNormEpsilon = (try optional("layer_norm_eps", NSNumber(value: 1e-5))).doubleValue
    padTokenID = try json["pad_token_id"].flatMap { $0 is NSNull ? nil : $0 }.map { try int($0, "pad_token_id") } ?? 0
    if try optional("add_adapter", false) {
      throw fail("\"add_adapter\": true (an adapter after the encoder) is not supported")
    }
    guard hiddenSize % headCount == 0 else {
      throw fail("hidden_size \(hiddenSize) does not split into num_attention_heads \(headCount)")
    }
    guard positionalKernel > 0, positionalGroups > 0, hiddenSize % positionalGroups == 0 else {
      throw fail("hidden_size \(hiddenSize) does not split into num_conv_pos_embedding_groups \(positionalGroups)")
    }
    guard layerNormEpsilon > 0 else { throw fail("\"layer_norm_eps\" must be positive") }
    guard (0..<vocabularySize).contains(padTokenID) else {
      throw fail("pad_token_id \(padTokenID) is outside the vocabulary of \(vocabularySize)")
    }
  }

  /// Reads and decodes `url`.
  public init(contentsOf url: URL) throws {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw Wav2Vec2Error(.missingFile, "cannot read config.json: \(error.localizedDescription)", path: url.path)
    }
    try self.init(json: data, path: url.path)
  }
}
