#!/usr/bin/env bash
# Side-by-side wav2vec2-base-960h forward pass: `l3das-bench --wav2vec2` (ours) against
# transformers' Wav2Vec2ForCTC (Tools/bench/w2v_torch.py, PyTorch CPU) at the same size, audio
# length and thread count, alternating in the same run, each case in a fresh process so that
# each side's peak RSS is its own (weights, activations and libraries included).
#
# Usage: Tools/bench/w2v_compare.sh
# Environment (all optional):
#   W2V_VENV         virtualenv with torch and transformers (default .venv-w2v in the package;
#                    created if missing with the CPU-only torch wheel and transformers from PyPI)
#   W2V_TORCH        torch requirement installed into a new venv (default torch==2.13.0+cpu)
#   W2V_THREADS      threads for both sides (default 2)
#   W2V_SECONDS      audio lengths (default "10 30")
#   W2V_ROUNDS       alternating rounds of both sides (default 3); each side's best median is kept
#   W2V_REPEAT       timed repetitions per process, median reported (default 3)
#   W2V_ATTENTION    PyTorch attention implementation (default sdpa; eager for the reference code)
#   W2V_SCRATCH      SwiftPM scratch path (default .build)
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${W2V_VENV:-$root/.venv-w2v}"
torch_requirement="${W2V_TORCH:-torch==2.13.0+cpu}"
threads="${W2V_THREADS:-2}"
lengths="${W2V_SECONDS:-10 30}"
rounds="${W2V_ROUNDS:-3}"
repeat="${W2V_REPEAT:-3}"
attention="${W2V_ATTENTION:-sdpa}"
scratch="${W2V_SCRATCH:-.build}"
out="$(mktemp -d)"

cd "$root"
echo "== building l3das-bench (release)" >&2
swift build -c release --product l3das-bench --scratch-path "$scratch" >&2
bench="$(swift build -c release --product l3das-bench --scratch-path "$scratch" --show-bin-path)/l3das-bench"

if ! "$venv/bin/python" -c "import torch, transformers" 2>/dev/null; then
  echo "== creating $venv with $torch_requirement and transformers" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "$torch_requirement" transformers numpy >&2
fi

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)"
for round in $(seq 1 "$rounds"); do
  echo "== round $round of $rounds; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  for seconds in $lengths; do
    OPENBLAS_NUM_THREADS="$threads" "$bench" --wav2vec2 --audio-seconds "$seconds" \
      --repetitions "$repeat" --json > "$out/ours.$seconds.$round.json"
    OMP_NUM_THREADS="$threads" "$venv/bin/python" Tools/bench/w2v_torch.py --seconds "$seconds" \
      --threads "$threads" --repeat "$repeat" --attention "$attention" > "$out/torch.$seconds.$round.json"
  done
done

python3 - "$out" "$rounds" "$lengths" <<'PY'
import json, re, sys

folder, rounds, lengths = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
print(f"{'audio':>6} {'ours s':>8} {'torch s':>8} {'ours/torch':>10} {'range':>11}  {'ours RSS':>9} {'torch RSS':>9}")
for seconds in lengths:
    ours = [json.load(open(f"{folder}/ours.{seconds}.{r}.json"))[0] for r in range(1, rounds + 1)]
    torch = [json.load(open(f"{folder}/torch.{seconds}.{r}.json")) for r in range(1, rounds + 1)]
    ratios = [o["medianSeconds"] / t["seconds"] for o, t in zip(ours, torch)]
    rss = [float(re.search(r"peak RSS ([0-9.]+) MiB", o["detail"]).group(1)) for o in ours]
    best_ours = min(o["medianSeconds"] for o in ours)
    best_torch = min(t["seconds"] for t in torch)
    print(f"{seconds + ' s':>6} {best_ours:8.3f} {best_torch:8.3f} {best_ours / best_torch:10.2f} "
          f"{min(ratios):5.2f}–{max(ratios):4.2f}  {max(rss):7.0f} M {max(t['peakRSSMiB'] for t in torch):7.0f} M")
t = json.load(open(f"{folder}/torch.{lengths[0]}.1.json"))
print(f"PyTorch {t['torch']}, transformers {t['transformers']}, attention {t['attention']}, {t['threads']} threads; "
      f"best median of {rounds} alternating rounds per side; 'range' is the per-round ratios; peak RSS per process")
PY
