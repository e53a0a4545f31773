#!/usr/bin/env python3
"""PyTorch side of Tools/bench/w2v_compare.sh: transformers' Wav2Vec2ForCTC forward pass.

facebook/wav2vec2-base-960h's architecture (94.4 M parameters) with random weights (no hub
access), eval mode, torch.no_grad(), float32, batch 1, one utterance of --seconds of random
audio; median of --repeat runs after one warm-up. Prints one JSON object: seconds, frames,
peak RSS (MiB, of this process: torch, transformers and the model included), torch and
transformers versions and the attention implementation.

Usage:
  python w2v_torch.py --seconds 10 [--threads 2] [--repeat 3] [--attention sdpa|eager]
"""

import argparse
import json
import resource
import time

import torch
import transformers
from transformers import Wav2Vec2Config, Wav2Vec2ForCTC


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--attention", default="sdpa")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    config = Wav2Vec2Config(  # base-960h's config.json architecture fields
        conv_dim=[512] * 7, conv_kernel=[10, 3, 3, 3, 3, 2, 2], conv_stride=[5, 2, 2, 2, 2, 2, 2],
        conv_bias=False, feat_extract_norm="group", feat_extract_activation="gelu", hidden_act="gelu",
        hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
        num_conv_pos_embeddings=128, num_conv_pos_embedding_groups=16, do_stable_layer_norm=False,
        layer_norm_eps=1e-5, vocab_size=32, pad_token_id=0)
    config._attn_implementation = args.attention
    model = Wav2Vec2ForCTC(config).eval()
    x = torch.rand(1, int(args.seconds * 16000)) * 2 - 1
    frames = 0

    def forward():
        nonlocal frames
        with torch.no_grad():
            frames = model(x).logits.shape[1]

    forward()
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        forward()
        times.append(time.perf_counter() - start)
    print(json.dumps({
        "seconds": sorted(times)[len(times) // 2], "frames": frames,
        "peakRSSMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "torch": torch.__version__, "transformers": transformers.__version__,
        "attention": args.attention, "threads": args.threads,
    }))


if __name__ == "__main__":
    main()
