internal import TensorModule

/// A network component with named parameters, buffers and child modules, PyTorch's
/// `nn.Module` contract.
///
/// Conformers list their own tensors and direct children in registration order; everything
/// else (the recursive `state_dict` with dotted names, the parameter list for optimizers, the
/// train/eval switch) is derived here.
public protocol Module<Scalar>: AnyObject {
  associatedtype Scalar: NNScalar
  /// Whether this module behaves as in training (dropout on, BatchNorm batch statistics).
  var isTraining: Bool { get set }
  /// This module's own trainable tensors, in PyTorch's registration order.
  var ownParameters: [(name: String, tensor: Tensor<Scalar>)] { get }
  /// This module's own non-trainable state (BatchNorm running statistics).
  var ownBuffers: [(name: String, tensor: Tensor<Scalar>)] { get }
  /// Direct submodules, named as PyTorch names them (attribute names, or indices in a
  /// `Sequential`).
  var children: [(name: String, module: any Module<Scalar>)] { get }
}

/// A module that draws random numbers while training (dropout masks), from its own stream.
public protocol StochasticModule: AnyObject {
  /// Restarts the module's random stream from `seed`.
  func reseed(_ seed: UInt64)
}

/// A module with one input and one output, usable in a ``Sequential``.
public protocol Layer<Scalar>: Module {
  func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar>
}

extension Module {
  public var ownBuffers: [(name: String, tensor: Tensor<Scalar>)] { [] }
  public var children: [(name: String, module: any Module<Scalar>)] { [] }

  /// Every parameter with its dotted PyTorch name (`named_parameters()`).
  public func namedParameters() -> [(name: String, tensor: Tensor<Scalar>)] {
    var result = ownParameters
    for (childName, child) in children {
      result += child.namedParameters().map { ("\(childName).\($0.name)", $0.tensor) }
    }
    return result
  }

  /// Parameters and buffers with dotted PyTorch names, in `state_dict()` order: a module's own
  /// parameters, then its own buffers, then each child's entries.
  public func stateDict() -> [(name: String, tensor: Tensor<Scalar>)] {
    var result = ownParameters + ownBuffers
    for (childName, child) in children {
      result += child.stateDict().map { ("\(childName).\($0.name)", $0.tensor) }
    }
    return result
  }

  /// All trainable tensors (for optimizers).
  public func parameters() -> [Tensor<Scalar>] { namedParameters().map(\.tensor) }

  /// The total number of trainable values.
  public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

  /// Switches this module and all its descendants to training (`true`) or evaluation mode.
  public func train(_ on: Bool = true) {
    isTraining = on
    for (_, child) in children { child.train(on) }
  }

  /// Switches to evaluation mode (PyTorch `eval()`).
  public func eval() { train(false) }

  /// Restarts the random stream of every stochastic descendant (dropout) from seeds derived
  /// from `seed`, in `state_dict` order. Training loops call it at each epoch start, so an
  /// epoch's masks depend only on the seed and the epoch, and a run resumed at an epoch
  /// boundary draws the same masks as an uninterrupted one.
  public func reseedRandomness(_ seed: UInt64) {
    var streams = SplitMix64(seed: seed)
    func visit(_ module: any Module<Scalar>) {
      if let stochastic = module as? any StochasticModule { stochastic.reseed(streams.next()) }
      for (_, child) in module.children { visit(child) }
    }
    visit(self)
  }

  /// Clears every parameter's gradient (PyTorch `zero_grad(set_to_none=True)`).
  public func zeroGrad() {
    for p in parameters() { p.zeroGrad() }
  }
}

/// Default initialisation of Conv and Linear layers: U(−1/√fanIn, 1/√fanIn), which is
/// PyTorch's `kaiming_uniform_(a=√5)` for weights and its bias rule.
func defaultParameter<S: NNScalar>(
  shape: [Int], fanIn: Int, using rng: inout some RandomNumberGenerator
) -> Tensor<S> {
  let bound = fanIn > 0 ? 1 / Double(fanIn).squareRoot() : 0
  return Tensor(uniformBound: S(bound), shape: shape, requiresGrad: true, using: &rng)
}
