// NN: tensors with reverse-mode autograd and PyTorch-equal layers.
