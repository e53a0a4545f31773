import Foundation
import NN
import TensorModule
import Testing

@Suite("Autograd engine")
struct AutogradTests {
  @Test func gradientsAccumulateUntilCleared() {
    let w = Tensor<Double>(shape: [2], scalars: [1, 2], requiresGrad: true)
    (w * w).sum().backward()
    #expect(w.grad == [2, 4])
    (w * 3).sum().backward()
    #expect(w.grad == [5, 7])
    w.zeroGrad()
    #expect(w.grad == nil)
  }

  @Test func sharedSubexpressionsSumTheirContributions() {
    let x = Tensor<Double>(shape: [1], scalars: [3], requiresGrad: true)
    let y = x * x
    (y + y * x).sum().backward()  // d/dx (x² + x³) = 2x + 3x²
    #expect(x.grad == [6 + 27])
  }

  @Test func noGradRecordsNothing() {
    let w = Tensor<Double>(shape: [2], scalars: [1, 2], requiresGrad: true)
    let y = withNoGrad { (w * w).sum() }
    #expect(!y.requiresGrad)
    #expect(y.graphNodeCount == 0)
    #expect(Autograd.isEnabled)
  }

  /// The graph holds nodes, not intermediate tensors: an intermediate the caller drops is freed
  /// at once (its values live on only where an operation saved them, as in PyTorch), and the
  /// nodes go with the backward pass.
  @Test func graphHoldsNoIntermediateTensorsAndIsReleasedAfterBackward() {
    let w = Tensor<Double>(shape: [3], scalars: [1, 2, 3], requiresGrad: true)
    weak var intermediate: Tensor<Double>?
    let loss: Tensor<Double>
    do {
      let h = (w * 2).tanh()
      intermediate = h
      loss = (h * h).sum()
    }
    #expect(intermediate == nil)
    #expect(loss.graphNodeCount == 4)
    loss.backward()
    #expect(loss.graphNodeCount == 0)
    #expect(!loss.requiresGrad)
    let expected = w.scalars.map { v -> Double in
      let h = Foundation.tanh(2 * v)
      return 2 * h * (1 - h * h) * 2
    }
    #expect(maxRelativeError(w.grad ?? [], expected) < 1e-14)
  }

  @Test func secondBackwardThroughAFreedGraphFails() async {
    await #expect(processExitsWith: .failure) {
      let w = Tensor<Double>(shape: [1], scalars: [2], requiresGrad: true)
      let loss = (w * w).sum()
      loss.backward()
      loss.backward()
    }
  }

  @Test func freedIntermediatesActAsConstants() {
    let w = Tensor<Double>(shape: [1], scalars: [2], requiresGrad: true)
    let h = w * w
    h.sum().backward()
    #expect(!h.requiresGrad)
    w.zeroGrad()
    (h * w).sum().backward()  // h = 4 is now a constant
    #expect(w.grad == [4])
  }

  @Test func repeatedTrainingStepsKeepNoGraph() {
    var rng = SplitMix64(seed: 3)
    let model = Sequential<Double>([
      Linear(inFeatures: 4, outFeatures: 8, using: &rng), ReLU(),
      Linear(inFeatures: 8, outFeatures: 1, using: &rng),
    ])
    let optimizer = Adam(parameters: model.parameters(), learningRate: 1e-2)
    let x = randomTensor([16, 4], seed: 4, requiresGrad: false)
    let target = x.sum(alongAxes: [1], keepingDimensions: true)
    var losses: [Double] = []
    weak var lastOutput: Tensor<Double>?
    for _ in 0..<50 {
      optimizer.zeroGrad()
      let out = model(x)
      lastOutput = out
      let loss = mseLoss(out, target)
      loss.backward()
      #expect(loss.graphNodeCount == 0)
      optimizer.step()
      losses.append(loss.item)
    }
    #expect(lastOutput == nil)
    #expect(losses.last! < losses.first! * 0.5)
  }
}
