// Activation layers (no parameters except PReLU) and Dropout, for use in `Sequential`.
internal import TensorModule

/// `max(x, 0)`, PyTorch `nn.ReLU`.
public final class ReLU<Scalar: NNScalar>: Layer {
  public var isTraining = true
  public init() {}
  public var ownParameters: [(name: String, tensor: Tensor<Scalar>)] { [] }
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input.relu() }
}

/// x for x > 0, else slope·x, PyTorch `nn.LeakyReLU(negative_slope)`.
public final class LeakyReLU<Scalar: NNScalar>: Layer {
  public var isTraining = true
  public let negativeSlope: Scalar
  public init(negativeSlope: Scalar = 0.01) { self.negativeSlope = negativeSlope }
  public var ownParameters: [(name: String, tensor: Tensor<Scalar>)] { [] }
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    input.leakyRelu(negativeSlope: negativeSlope)
  }
}

/// PyTorch `nn.PReLU(num_parameters, init=0.25)`: a learnt slope for negative inputs, shared
/// (`weight` `[1]`) or per channel of axis 1.
public final class PReLU<Scalar: NNScalar>: Layer {
  public var isTraining = true
  public let weight: Tensor<Scalar>
  public init(parameterCount: Int = 1, initialSlope: Scalar = 0.25) {
    weight = Tensor(repeating: initialSlope, shape: [parameterCount], requiresGrad: true)
  }
  public var ownParameters: [(name: String, tensor: Tensor<Scalar>)] { [("weight", weight)] }
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input.prelu(weight: weight) }
}

/// tanh, PyTorch `nn.Tanh`.
public final class Tanh<Scalar: NNScalar>: Layer {
  public var isTraining = true
  public init() {}
  public var ownParameters: [(name: String, tensor: Tensor<Scalar>)] { [] }
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input.tanh() }
}

/// The logistic function, PyTorch `nn.Sigmoid`.
public final class Sigmoid<Scalar: NNScalar>: Layer {
  public var isTraining = true
  public init() {}
  public var ownParameters: [(name: String, tensor: Tensor<Scalar>)] { [] }
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { input.sigmoid() }
}

/// Elementwise dropout, PyTorch `nn.Dropout(p)`: active only in training, survivors scaled by
/// 1/(1−p). Masks come from the layer's own `SplitMix64` stream, seeded at construction, so a
/// run is reproducible.
public final class Dropout<Scalar: NNScalar>: Layer, StochasticModule {
  public var isTraining = true
  public let probability: Double
  private var generator: SplitMix64

  public init(probability: Double = 0.5, seed: UInt64 = 0) {
    precondition(probability >= 0 && probability <= 1, "dropout probability must be in [0, 1]")
    self.probability = probability
    generator = SplitMix64(seed: seed)
  }
  public func reseed(_ seed: UInt64) { generator = SplitMix64(seed: seed) }
  public var ownParameters: [(name: String, tensor: Tensor<Scalar>)] { [] }
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    input.dropout(probability: probability, training: isTraining, generator: &generator)
  }
}

/// Max pooling without padding in floor mode, PyTorch `nn.MaxPool2d(kernel, stride=kernel)`.
public final class MaxPool2d<Scalar: NNScalar>: Layer {
  public var isTraining = true
  public let kernel: (Int, Int)
  public let stride: (Int, Int)
  public init(kernel: (Int, Int), stride: (Int, Int)? = nil) {
    self.kernel = kernel
    self.stride = stride ?? kernel
  }
  public var ownParameters: [(name: String, tensor: Tensor<Scalar>)] { [] }
  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    input.maxPool2d(kernel: kernel, stride: stride)
  }
}
