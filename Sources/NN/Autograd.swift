/// A recorded operation: its inputs and the function that maps the gradient of its output to
/// the gradients of its inputs (the vector–Jacobian product).
///
/// The closure receives the output gradient and, per input, whether that input needs a
/// gradient; it returns one gradient per input (`nil` where not needed), each in the layout of
/// that input. Nodes are released as soon as ``Tensor/backward(seed:)`` has used them, so no
/// graph outlives a backward pass.
final class GradNode<Scalar: NNScalar> {
  /// An input as the backward pass sees it. A recorded intermediate is held through its node,
  /// never through its tensor: its values stay alive only where a vector–Jacobian product
  /// captured them (as PyTorch's saved tensors), not for the whole life of the graph.
  enum Input {
    /// A leaf that requires a gradient (a parameter or an input): its ``Tensor/grad`` receives it.
    case leaf(Tensor<Scalar>)
    /// The output of a recorded operation whose graph is alive.
    case recorded(GradNode<Scalar>)
    /// Anything else: a constant, or an intermediate whose graph a backward pass has freed.
    case constant
  }

  private(set) var inputs: [Input]
  private(set) var vjp: ((_ gradient: [Scalar], _ needs: [Bool]) -> [[Scalar]?])?
  /// The element count of the output (the length of the gradient this node receives).
  let count: Int
  /// Set once a backward pass has used this node; its tensor then acts as a constant.
  private(set) var released = false

  init(inputs: [Tensor<Scalar>], count: Int, vjp: @escaping ([Scalar], [Bool]) -> [[Scalar]?]) {
    self.inputs = inputs.map { t in
      if let node = t.node, !node.released { return .recorded(node) }
      return t.requiresGrad ? .leaf(t) : .constant
    }
    self.count = count
    self.vjp = vjp
  }

  func release() {
    inputs = []
    vjp = nil
    released = true
  }
}

/// Global switches of the reverse-mode engine.
public enum Autograd {
  /// Whether new operations are recorded (`false` inside ``withNoGrad(_:)``). Task-local, so
  /// concurrent inference and training do not interfere.
  @TaskLocal public static var isEnabled = true
}

/// Runs `body` without recording operations (PyTorch's `torch.no_grad()`): results do not
/// require gradients and hold no graph.
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
  try Autograd.$isEnabled.withValue(false, operation: body)
}

extension Tensor {
  /// Wraps an operation's result, recording `vjp` when autograd is on and an input needs it.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  static func record(
    shape: [Int], scalars: [Scalar], inputs: [Tensor],
    vjp: @escaping (_ gradient: [Scalar], _ needs: [Bool]) -> [[Scalar]?]
  ) -> Tensor {
    let out = Tensor(shape: shape, scalars: scalars)
    if recording(inputs) {
      out.node = GradNode(inputs: inputs, count: scalars.count, vjp: vjp)
    }
    return out
  }

  /// Whether an operation producing this tensor would record a graph node for these inputs.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  static func recording(_ inputs: [Tensor]) -> Bool {
    Autograd.isEnabled && inputs.contains(where: { $0.requiresGrad })
  }

  /// The number of recorded operations reachable from this tensor (0 for a leaf, and for any
  /// tensor after the backward pass through it).
  public var graphNodeCount: Int { topologicalOrder().count }

  /// The live nodes of the graph behind this tensor, inputs before outputs (iterative
  /// depth-first search).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  private func topologicalOrder() -> [GradNode<Scalar>] {
    guard let root = node, !root.released else { return [] }
    var order: [GradNode<Scalar>] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(GradNode<Scalar>, Bool)] = [(root, false)]
    while let (n, expanded) = stack.popLast() {
      if expanded {
        order.append(n)
        continue
      }
      guard visited.insert(ObjectIdentifier(n)).inserted else { continue }
      stack.append((n, true))
      for case .recorded(let input) in n.inputs where !visited.contains(ObjectIdentifier(input)) {
        stack.append((input, false))
      }
    }
    return order
  }

  /// Computes the gradient of this tensor with respect to every leaf that requires one and adds
  /// it to the leaf's ``grad`` (PyTorch's `loss.backward()`).
  ///
  /// - Parameter seed: the gradient of the final objective with respect to this tensor; may be
  ///   omitted for a one-element tensor (it is then 1).
  ///
  /// The graph is freed on the way (PyTorch's `retain_graph=False`): every non-leaf tensor it
  /// passed through stops requiring gradients and keeps only its values, so it acts as a
  /// constant if used again. Calling `backward` a second time on such a tensor is a
  /// precondition failure, as in PyTorch.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func backward(seed: [Scalar]? = nil) {
    precondition(
      !graphReleased,
      "backward through a graph that has already been freed (one backward per forward pass)")
    let start = seed ?? {
      precondition(count == 1, "backward() without a seed needs a one-element tensor, got \(shape)")
      return [1]
    }()
    precondition(start.count == count, "seed has \(start.count) values, tensor has \(count)")
    guard requiresGrad else { return }
    guard let root = node else {
      accumulate(into: self, start)
      return
    }
    let order = topologicalOrder()
    var pending: [ObjectIdentifier: [Scalar]] = [ObjectIdentifier(root): start]
    for node in order.reversed() {
      // Released as soon as used: its closure and the values it saved go now, not at the end.
      defer { node.release() }
      guard let g = pending.removeValue(forKey: ObjectIdentifier(node)), let vjp = node.vjp else {
        continue
      }
      let inputs = node.inputs
      let needs = inputs.map { input -> Bool in
        switch input {
        case .leaf(let t): t.requiresGrad
        case .recorded: true
        case .constant: false
        }
      }
      let grads = vjp(g, needs)
      for (i, input) in inputs.enumerated() where needs[i] {
        guard let gi = grads[i] else { continue }
        switch input {
        case .recorded(let n):
          precondition(gi.count == n.count, "gradient size mismatch in backward")
          let key = ObjectIdentifier(n)
          if pending[key] != nil {
            addInPlace(&pending[key]!, gi)  // in place: no copy of the pending sum
          } else {
            pending[key] = gi
          }
        case .leaf(let t):
          precondition(gi.count == t.count, "gradient size mismatch in backward")
          accumulate(into: t, gi)
        case .constant:
          break
        }
      }
    }
  }

  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  private func accumulate(into leaf: Tensor, _ g: [Scalar]) {
    guard var total = leaf.grad else {
      leaf.grad = g
      return
    }
    leaf.grad = nil  // keep `total` uniquely referenced, so the sum is done in place
    addInPlace(&total, g)
    leaf.grad = total
  }
}

/// a += b elementwise.
@_specialize(where S == Float)
@_specialize(where S == Double)
func addInPlace<S: NNScalar>(_ a: inout [S], _ b: [S]) {
  precondition(a.count == b.count)
  a.withUnsafeMutableBufferPointer { pa in
    b.withUnsafeBufferPointer { pb in
      for i in 0..<pa.count { pa[i] += pb[i] }
    }
  }
}
