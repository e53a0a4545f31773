/// A fully connected layer, PyTorch `nn.Linear`: y = x·Wᵀ + b over the last axis.
///
/// `weight` is `[out, in]`, `bias` `[out]`; both start as U(−1/√in, 1/√in).
public final class Linear<Scalar: NNScalar>: Layer {
  public var isTraining = true
  public let weight: Tensor<Scalar>
  public let bias: Tensor<Scalar>?

  public init(
    inFeatures: Int, outFeatures: Int, bias: Bool = true,
    using rng: inout some RandomNumberGenerator
  ) {
    weight = defaultParameter(shape: [outFeatures, inFeatures], fanIn: inFeatures, using: &rng)
    self.bias = bias ? defaultParameter(shape: [outFeatures], fanIn: inFeatures, using: &rng) : nil
  }

  /// A layer with the given parameters (`weight` `[out, in]`, `bias` `[out]`), for example
  /// ones read from a checkpoint, without drawing an initialisation first.
  public init(weight: Tensor<Scalar>, bias: Tensor<Scalar>?) {
    precondition(weight.rank == 2 && bias.map { $0.shape == [weight.shape[0]] } ?? true, "Linear: weight \(weight.shape), bias \(bias?.shape ?? [])")
    self.weight = weight
    self.bias = bias
  }

  public var ownParameters: [(name: String, tensor: Tensor<Scalar>)] {
    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    input.linear(weight: weight, bias: bias)
  }
}
