#!/usr/bin/env python3
"""Convert an official L3DAS baseline checkpoint (.pth) to safetensors for l3das-swift.

The official scripts save `torch.save({'model_state_dict': ..., 'optimizer_state_dict': ...,
'state': ...}, path)`; some checkpoints are a bare state_dict. This writes the model's
state_dict (parameters and buffers, PyTorch's names) as a safetensors file, which
`l3das parity` and (later) `l3das predict` load.

The checkpoint is opened with `torch.load(..., weights_only=True)`, which refuses arbitrary
pickled code; pass --trust-pickle only for a file whose origin you trust.

Usage:
  python pth_to_safetensors.py checkpoint.pth model.safetensors [--trust-pickle]
Needs: pip install torch safetensors
"""

import argparse
import pickle
import sys

import torch
from safetensors.torch import save_file


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("output")
    parser.add_argument("--trust-pickle", action="store_true",
                        help="allow arbitrary pickled objects (only for trusted files)")
    args = parser.parse_args()

    try:
        ckpt = torch.load(args.checkpoint, map_location="cpu", weights_only=not args.trust_pickle)
    except pickle.UnpicklingError as error:
        detail = [line.strip() for line in str(error).splitlines() if "Unsupported" in line]
        reason = f" ({detail[0]})" if detail else ""
        sys.exit(f"{args.checkpoint}: refused: not a plain tensor checkpoint{reason}. Re-run with "
                 "--trust-pickle only if you trust its origin.")
    except (OSError, RuntimeError) as error:
        sys.exit(f"{args.checkpoint}: cannot read the checkpoint: {error}")
    state = ckpt.get("model_state_dict", ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        sys.exit(f"{args.checkpoint}: no state_dict of tensors found (keys: {list(ckpt)[:10]})")
    # Checkpoints saved from nn.DataParallel prefix every name with "module.".
    state = {k[len("module."):] if k.startswith("module.") else k: v.contiguous()
             for k, v in state.items()}
    save_file(state, args.output, metadata={"format": "pt", "source": args.checkpoint})
    count = sum(v.numel() for k, v in state.items() if v.is_floating_point()
                and not k.endswith(("running_mean", "running_var")))
    print(f"wrote {len(state)} tensors ({count} parameters) to {args.output}")


if __name__ == "__main__":
    main()
