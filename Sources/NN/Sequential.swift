/// Layers applied in order; children are named "0", "1", … as in PyTorch's `nn.Sequential`.
public final class Sequential<Scalar: NNScalar>: Layer {
  public var isTraining = true
  public var layers: [any Layer<Scalar>]

  public init(_ layers: [any Layer<Scalar>]) { self.layers = layers }

  public var ownParameters: [(name: String, tensor: Tensor<Scalar>)] { [] }
  public var children: [(name: String, module: any Module<Scalar>)] {
    layers.enumerated().map { ("\($0.offset)", $0.element) }
  }

  public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
    layers.reduce(input) { x, layer in layer(x) }
  }
}
