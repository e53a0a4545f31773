/// Batch normalisation over `[N, C]`, `[N, C, L]` (PyTorch `nn.BatchNorm1d`) or `[N, C, H, W]`
/// (`nn.BatchNorm2d`), eps 1e-5 and momentum 0.1 by default.
///
/// State: `weight` (γ = 1), `bias` (β = 0), buffers `running_mean` (0), `running_var` (1) and
/// `num_batches_tracked` (a count, stored as a one-element tensor; PyTorch keeps it as int64).
public final class BatchNorm<Scalar: NNScalar>: Layer {
  public var isTraining = true
  public let weight: Tensor<Scalar>
  public let bias: Tensor<Scalar>
  public let runningMean: Tensor<Scalar>
  public let runningVariance: Tensor<Scalar>
  public let batchesTracked: Tensor<Scalar>
  public let momentum: Scalar
  public let epsilon: Scalar

  public init(features: Int, momentum: Scalar = 0.1, epsilon: Scalar = 1e-5) {
    weight = Tensor(repeating: 1, shape: [features], requiresGrad: true)
    bias = Tensor(zeros: [features], requiresGrad: true)
    runningMean = Tensor(zeros: [features])
    runningVariance = Tensor(repeating: 1, shape: [features])
    batchesTracked = Tensor(zeros: [])
    (self.momentum, self.epsilon) = (momentum, epsilon)
  }

  public var ownParameters: [(name: String, tensor: Tensor<Scalar>)] {
    [("weight", weight), ("bias", bias)]
  }
  public var ownBuffers: [(name: String, tensor: Tensor<Scalar>)] {
    [("running_mean", runningMean), ("running_var", runningVariance),
     ("num_batches_tracked", batchesTracked)]
  }

  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    if isTraining { batchesTracked.scalars[0] += 1 }
    return input.batchNorm(
      weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance,
      training: isTraining, momentum: momentum, epsilon: epsilon)
  }
}

/// PyTorch `nn.BatchNorm1d`.
public typealias BatchNorm1d = BatchNorm
/// PyTorch `nn.BatchNorm2d`.
public typealias BatchNorm2d = BatchNorm

/// Group normalisation, PyTorch `nn.GroupNorm(groups, channels, eps)`: `weight` (1) and
/// `bias` (0) per channel. FaSNet's "global layer norm" is `GroupNorm(groups: 1, eps: 1e-8)`.
public final class GroupNorm<Scalar: NNScalar>: Layer {
  public var isTraining = true
  public let groups: Int
  public let epsilon: Scalar
  public let weight: Tensor<Scalar>
  public let bias: Tensor<Scalar>

  public init(groups: Int, channels: Int, epsilon: Scalar = 1e-5) {
    precondition(channels % groups == 0, "\(channels) channels do not split into \(groups) groups")
    self.groups = groups
    self.epsilon = epsilon
    weight = Tensor(repeating: 1, shape: [channels], requiresGrad: true)
    bias = Tensor(zeros: [channels], requiresGrad: true)
  }

  public var ownParameters: [(name: String, tensor: Tensor<Scalar>)] {
    [("weight", weight), ("bias", bias)]
  }

  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    input.groupNorm(groups: groups, weight: weight, bias: bias, epsilon: epsilon)
  }
}

/// Layer normalisation over the trailing `normalizedShape`, PyTorch `nn.LayerNorm`.
public final class LayerNorm<Scalar: NNScalar>: Layer {
  public var isTraining = true
  public let normalizedShape: [Int]
  public let epsilon: Scalar
  public let weight: Tensor<Scalar>
  public let bias: Tensor<Scalar>

  public init(normalizedShape: [Int], epsilon: Scalar = 1e-5) {
    self.normalizedShape = normalizedShape
    self.epsilon = epsilon
    weight = Tensor(repeating: 1, shape: normalizedShape, requiresGrad: true)
    bias = Tensor(zeros: normalizedShape, requiresGrad: true)
  }

  public var ownParameters: [(name: String, tensor: Tensor<Scalar>)] {
    [("weight", weight), ("bias", bias)]
  }

  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    precondition(Array(input.shape.suffix(normalizedShape.count)) == normalizedShape, "LayerNorm: input \(input.shape) does not end in \(normalizedShape)")
    return input.layerNorm(
      normalizedRank: normalizedShape.count, weight: weight, bias: bias, epsilon: epsilon)
  }
}
