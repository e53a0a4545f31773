#!/usr/bin/env python3
"""PyTorch CPU timings of the layer cases in Sources/Benchmarks/NNBench.swift.

Same layers, sizes (batch 1, SELDnet and MMUB baseline shapes) and thread count as
`l3das-bench --nn`, so the two outputs can be read side by side. Forward is timed in eval mode
under torch.no_grad(); forward+backward in train mode, seeded with ones (y.backward(ones)).
Median of --repeat runs after one warm-up.

Usage:
  python nn_torch.py [--threads 2] [--repeat 3] [--json] [--no-onednn]
Requires torch; Tools/bench/nn_compare.sh creates a venv with torch 2.15.0 from PyPI (the Linux
wheel needs its nvidia-* dependencies installed even on CPU: with --no-deps it fails to import
libcudart) and runs this script next to `l3das-bench --nn --json`.
"""

import argparse
import json
import re
import time

import torch
import torch.nn as nn


def median_time(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def layer_case(results, name, layer, shape, repeat, flops=None):
    x = torch.rand(*shape) * 2 - 1
    x.requires_grad_(True)

    def forward():
        layer.eval()
        with torch.no_grad():
            out = layer(x)
            return out[0] if isinstance(out, tuple) else out

    def both():
        layer.train()
        layer.zero_grad(set_to_none=True)
        x.grad = None
        y = layer(x)
        y = y[0] if isinstance(y, tuple) else y
        y.backward(torch.ones_like(y))

    f = median_time(forward, repeat)
    fb = median_time(both, repeat)
    detail = f"input {list(shape)}"
    if flops is not None:
        detail += f", forward {flops / f / 1e9:.1f} GFLOP/s"
    results.append({"name": name + " forward", "seconds": f, "detail": detail})
    results.append({"name": name + " forward+backward", "seconds": fb, "detail": "train mode"})


def bare_gemm(m, n, k, repeat):
    a = torch.full((m, k), 0.5)
    b = torch.full((k, n), 0.25)
    t = median_time(lambda: torch.mm(a, b), repeat)
    return 2 * m * n * k / t / 1e9


class First(nn.Module):
    """Returns the output sequence of an RNN (drops the hidden state)."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        return self.rnn(x)[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-onednn", action="store_true",
                        help="switch oneDNN off: convolutions and the LSTM fall back to PyTorch's own "
                             "GEMM-based kernels on MKL")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    r = args.repeat
    t = 2400
    results = []
    # What PyTorch computes with: its GEMM library (MKL in the PyPI wheel) and whether oneDNN
    # (mkldnn), which runs its CPU convolutions and LSTM, is in use.
    config = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=([^,\s]+)", config)
    onednn = re.search(r"MKL-DNN (v[0-9.]+)", config)
    blas = blas.group(1) if blas else "unknown"
    onednn_version = onednn.group(1) if onednn else ""
    if args.no_onednn:
        torch.backends.mkldnn.enabled = False
    results.append({"name": "PyTorch", "seconds": 0,
                    "detail": f"torch {torch.__version__}, {torch.get_num_threads()} threads, BLAS {blas}, "
                              f"MKL {torch.backends.mkl.is_available()}, "
                              f"oneDNN {onednn_version} in use: {torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled}"})
    results.append({"name": "sgemm peak 2048×2048·2048×2048", "seconds": 0,
                    "detail": f"{bare_gemm(2048, 2048, 2048, r):.1f} GFLOP/s (one call)"})
    layer_case(results, "SELDnet conv1 4→64 3×3", nn.Conv2d(4, 64, 3, padding=1), (1, 4, 256, t), r,
               flops=2 * 64 * 36 * 256 * t)
    layer_case(results, "SELDnet conv2 64→128 3×3", nn.Conv2d(64, 128, 3, padding=1), (1, 64, 32, t // 2), r,
               flops=2 * 128 * 576 * 32 * (t // 2))
    results.append({"name": "bare sgemm 128×576·576×38400", "seconds": 0,
                    "detail": f"{bare_gemm(128, 32 * t // 2, 576, r):.1f} GFLOP/s"})
    layer_case(results, "BatchNorm2d 64 ch", nn.BatchNorm2d(64), (1, 64, 256, t), r)
    layer_case(results, "ReLU", nn.ReLU(), (1, 64, 256, t), r)
    layer_case(results, "MaxPool2d (8, 2)", nn.MaxPool2d((8, 2)), (1, 64, 256, t), r)
    layer_case(results, "Dropout 0.3", nn.Dropout(0.3), (1, 64, 32, t // 2), r)
    gru = nn.GRU(1024, 256, 3, batch_first=True, dropout=0.3, bidirectional=True)
    layer_case(results, "SELDnet GRU 3×bi 1024→256, T=300", First(gru), (1, t // 8, 1024), r)
    layer_case(results, "Linear 1024→1024, 300 rows", nn.Linear(1024, 1024), (1, t // 8, 1024), r,
               flops=2 * 300 * 1024 * 1024)
    results.append({"name": "bare sgemm 300×1024·1024×1024", "seconds": 0,
                    "detail": f"{bare_gemm(300, 1024, 1024, r):.1f} GFLOP/s"})
    e3 = nn.Sequential(nn.ZeroPad2d((2, 3, 3, 3)), nn.Conv2d(32, 64, (7, 6)))
    layer_case(results, "MMUB e3 conv 32→64 7×6", e3, (1, 32, 256, 300), r, flops=2 * 64 * 32 * 42 * 256 * 300)
    layer_case(results, "MMUB d1 convT 384→128 6×3 s(2,1)", nn.ConvTranspose2d(384, 128, (6, 3), stride=(2, 1)),
               (1, 384, 32, 75), r)
    lstm = nn.LSTM(64, 128, batch_first=True, bidirectional=True)
    layer_case(results, "FaSNet-size LSTM bi 64→128, 100×50", First(lstm), (100, 50, 64), r)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for c in results:
            print(f"{c['name']:<58} {c['seconds'] * 1000:9.3f} ms   {c['detail']}")


if __name__ == "__main__":
    main()
