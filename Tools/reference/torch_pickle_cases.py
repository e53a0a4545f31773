#!/usr/bin/env python3
"""Writes the torch.save fixtures of Tests/TorchCheckpointTests/Fixtures (not run in CI).

A training checkpoint shaped like the official L3DAS ones, {"model_state_dict", "optimizer_state_dict",
"epoch"}, saved from an nn.DataParallel-style model (every name prefixed "module."), in the zip
format (training_checkpoint.pth) and the legacy format (training_checkpoint_legacy.pth). The
state dict exercises what the small wav2vec2 fixtures do not: BININT (a 70 000-element int8
storage, and a view into it at storage offset 66 000), the float16, bfloat16, float64, int64,
int32 and bool storages, a transposed (non-contiguous) view, and a shared storage. Expected
values follow from the formulas below; tensors.json lists every key, dtype, shape and the first
values.

Usage: python torch_pickle_cases.py OUT_DIR   (needs torch)
"""

import collections
import json
import sys

import torch


def main():
    out = sys.argv[1]
    big = (torch.arange(70000, dtype=torch.int64) * 7 % 256 - 128).to(torch.int8)
    square = torch.arange(12, dtype=torch.float32).reshape(3, 4) / 4
    state = collections.OrderedDict([
        ("module.big", big),
        ("module.window", big[66000:66010]),
        ("module.half", (torch.arange(15, dtype=torch.float32).reshape(5, 3) / 8 - 1).half()),
        ("module.bf16", torch.tensor([[0.5, -2.0], [3.25, 1024.0]], dtype=torch.bfloat16)),
        ("module.double", torch.tensor([1.0 / 3, -2.5, 1e-300, 7.0], dtype=torch.float64)),
        ("module.long", torch.tensor([-(2 ** 40), 0, 2 ** 40 + 3], dtype=torch.int64)),
        ("module.int", torch.tensor([-7, 70000], dtype=torch.int32)),
        ("module.mask", torch.tensor([True, False, True, True])),
        ("module.square", square),
        ("module.square_t", square.t()),
    ])
    checkpoint = {
        "model_state_dict": state,
        "optimizer_state_dict": {"state": {}, "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1]}]},
        "epoch": 3,
    }
    torch.save(checkpoint, f"{out}/training_checkpoint.pth")
    torch.save(checkpoint, f"{out}/training_checkpoint_legacy.pth", _use_new_zipfile_serialization=False)
    listing = {k[len("module."):]: {"dtype": str(v.dtype), "shape": list(v.shape),
                                    "first": v.flatten()[:4].float().tolist()} for k, v in state.items()}
    json.dump({"torch": torch.__version__, "tensors": listing}, open(f"{out}/tensors.json", "w"), indent=1)


if __name__ == "__main__":
    main()
