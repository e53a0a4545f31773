/// 2-D convolution, PyTorch `nn.Conv2d`: weight `[out, in/groups, kH, kW]`, bias `[out]`, both
/// U(−1/√fanIn, 1/√fanIn) with fanIn = in/groups·kH·kW. `padding` may be asymmetric (what
/// `F.pad` followed by an unpadded conv computes).
public final class Conv2d<Scalar: NNScalar>: Layer {
  public var isTraining = true
  public let weight: Tensor<Scalar>
  public let bias: Tensor<Scalar>?
  public let stride: (Int, Int)
  public let padding: Padding2D
  public let dilation: (Int, Int)
  public let groups: Int

  public init(
    inChannels: Int, outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
    padding: Padding2D = .zero, dilation: (Int, Int) = (1, 1), groups: Int = 1,
    bias: Bool = true, using rng: inout some RandomNumberGenerator
  ) {
    precondition(inChannels % groups == 0 && outChannels % groups == 0, "channels must divide into groups")
    let fanIn = inChannels / groups * kernelSize.0 * kernelSize.1
    weight = defaultParameter(
      shape: [outChannels, inChannels / groups, kernelSize.0, kernelSize.1], fanIn: fanIn,
      using: &rng)
    self.bias = bias ? defaultParameter(shape: [outChannels], fanIn: fanIn, using: &rng) : nil
    (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
  }

  public var ownParameters: [(name: String, tensor: Tensor<Scalar>)] {
    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    input.conv2d(
      weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
      groups: groups)
  }
}

/// 1-D convolution, PyTorch `nn.Conv1d`: weight `[out, in/groups, k]`, input `[N, C, L]`.
public final class Conv1d<Scalar: NNScalar>: Layer {
  public var isTraining = true
  public let weight: Tensor<Scalar>
  public let bias: Tensor<Scalar>?
  public let stride: Int
  public let padding: Int
  public let dilation: Int
  public let groups: Int

  public init(
    inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
    dilation: Int = 1, groups: Int = 1, bias: Bool = true,
    using rng: inout some RandomNumberGenerator
  ) {
    precondition(inChannels % groups == 0 && outChannels % groups == 0, "channels must divide into groups")
    let fanIn = inChannels / groups * kernelSize
    weight = defaultParameter(
      shape: [outChannels, inChannels / groups, kernelSize], fanIn: fanIn, using: &rng)
    self.bias = bias ? defaultParameter(shape: [outChannels], fanIn: fanIn, using: &rng) : nil
    (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
  }

  /// A layer with the given parameters (`weight` `[out, in/groups, k]`, `bias` `[out]`), for
  /// example ones read from a checkpoint, without drawing an initialisation first.
  public init(
    weight: Tensor<Scalar>, bias: Tensor<Scalar>?, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
    groups: Int = 1
  ) {
    precondition(weight.rank == 3 && weight.shape[0] % groups == 0, "Conv1d: weight \(weight.shape), groups \(groups)")
    self.weight = weight
    self.bias = bias
    (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
  }

  public var ownParameters: [(name: String, tensor: Tensor<Scalar>)] {
    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    input.conv1d(
      weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
      groups: groups)
  }
}

/// 2-D transposed convolution, PyTorch `nn.ConvTranspose2d` (groups 1): weight
/// `[in, out, kH, kW]`; default initialisation uses fanIn = out·kH·kW (PyTorch takes it from
/// weight dimension 1).
public final class ConvTranspose2d<Scalar: NNScalar>: Layer {
  public var isTraining = true
  public let weight: Tensor<Scalar>
  public let bias: Tensor<Scalar>?
  public let stride: (Int, Int)
  public let padding: (Int, Int)
  public let outputPadding: (Int, Int)
  public let dilation: (Int, Int)

  public init(
    inChannels: Int, outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
    padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0),
    dilation: (Int, Int) = (1, 1), bias: Bool = true,
    using rng: inout some RandomNumberGenerator
  ) {
    let fanIn = outChannels * kernelSize.0 * kernelSize.1
    weight = defaultParameter(
      shape: [inChannels, outChannels, kernelSize.0, kernelSize.1], fanIn: fanIn, using: &rng)
    self.bias = bias ? defaultParameter(shape: [outChannels], fanIn: fanIn, using: &rng) : nil
    (self.stride, self.padding, self.outputPadding, self.dilation) =
      (stride, padding, outputPadding, dilation)
  }

  public var ownParameters: [(name: String, tensor: Tensor<Scalar>)] {
    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    input.convTranspose2d(
      weight: weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding,
      dilation: dilation)
  }
}
