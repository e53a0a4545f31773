#!/usr/bin/env bash
# Side-by-side NN layer timings: `l3das-bench --nn --json` (ours) against Tools/bench/nn_torch.py
# (PyTorch CPU) at the same layer sizes and thread count, with ratios ours/PyTorch per case and
# the GEMM throughput reached inside Conv2d and Linear against a single large cblas_sgemm call.
#
# On a shared or virtual machine the two sides' times drift between runs (PyTorch's own medians
# moved by up to 1.7x here), so NN_ROUNDS > 1 runs ours and PyTorch alternately that many times
# and reports each side's best median, their ratio, and the range of the per-round ratios.
#
# Usage: Tools/bench/nn_compare.sh
# Environment (all optional):
#   NN_TORCH_VENV    virtualenv holding torch (default .venv-torch in the package; created if missing)
#   NN_TORCH_VERSION torch version installed into a new venv (default 2.15.0)
#   NN_THREADS       threads for both sides (default 2)
#   NN_REPEAT        timed repetitions per case, median reported (default 5; ours caps at 5)
#   NN_ROUNDS        alternating rounds of both sides (default 1)
#   NN_TORCH_FLAGS   extra nn_torch.py flags, e.g. --no-onednn (PyTorch's own GEMM-based
#                    convolutions and LSTM on MKL instead of oneDNN's kernels)
#   NN_SCRATCH       SwiftPM scratch path (default .build-nn)
#   NN_OUT           folder for the two JSON files (default a temporary folder)
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${NN_TORCH_VENV:-$root/.venv-torch}"
torch_version="${NN_TORCH_VERSION:-2.15.0}"
threads="${NN_THREADS:-2}"
repeat="${NN_REPEAT:-5}"
rounds="${NN_ROUNDS:-1}"
scratch="${NN_SCRATCH:-.build-nn}"
out="${NN_OUT:-$(mktemp -d)}"
mkdir -p "$out"

cd "$root"
echo "== building l3das-bench (release, scratch $scratch)" >&2
swift build -c release --product l3das-bench --scratch-path "$scratch" -j 2 >&2
bench="$(swift build -c release --product l3das-bench --scratch-path "$scratch" --show-bin-path)/l3das-bench"

if ! "$venv/bin/python" -c "import torch" 2>/dev/null; then
  echo "== creating $venv with torch $torch_version" >&2
  python3 -m venv "$venv"
  # The PyPI Linux wheel is the CUDA build: with --no-deps it fails to import (libcudart is
  # missing), so its nvidia-* dependencies are installed too, although only the CPU is used.
  "$venv/bin/pip" install --quiet "torch==$torch_version" >&2
fi

for round in $(seq 1 "$rounds"); do
  echo "== round $round of $rounds; load before: $(uptime)" >&2
  OPENBLAS_NUM_THREADS="$threads" "$bench" --nn --json --repetitions "$repeat" > "$out/ours.$round.json"
  OMP_NUM_THREADS="$threads" "$venv/bin/python" Tools/bench/nn_torch.py --threads "$threads" \
    --repeat "$repeat" --json ${NN_TORCH_FLAGS:-} > "$out/torch.$round.json"
done
echo "load after:  $(uptime)"

"$venv/bin/python" - "$out" "$rounds" <<'PY'
import json, re, sys

folder, rounds = sys.argv[1], int(sys.argv[2])
ours_rounds = [json.load(open(f"{folder}/ours.{r}.json")) for r in range(1, rounds + 1)]
torch_rounds = [{c["name"]: c for c in json.load(open(f"{folder}/torch.{r}.json"))} for r in range(1, rounds + 1)]
ours = ours_rounds[0]
theirs = torch_rounds[0]

def gflops(detail):
    m = re.search(r"([0-9.]+) GFLOP/s", detail)
    return float(m.group(1)) if m else None

def ours_seconds(r, name):
    return next((c["medianSeconds"] for c in ours_rounds[r] if c["name"] == name), None)

print(f"{rounds} round(s): each side's best median over the rounds; 'range' is the per-round ratios")
print(f"{'case':<52} {'ours ms':>10} {'torch ms':>10} {'ours/torch':>10}  {'range':>11}")
missing = []
for c in ours:
    name = c["name"]
    if c["medianSeconds"] == 0:
        continue
    if name not in theirs:
        missing.append(name)
        continue
    pairs = [(ours_seconds(r, name), torch_rounds[r][name]["seconds"]) for r in range(rounds)]
    pairs = [(a, b) for a, b in pairs if a and b]
    a, b = min(p[0] for p in pairs) * 1e3, min(p[1] for p in pairs) * 1e3
    ratios = [x / y for x, y in pairs]
    print(f"{name:<52} {a:10.2f} {b:10.2f} {a / b:9.2f}x  {min(ratios):.2f}-{max(ratios):.2f}")

print()
def best_gflops(rows, name):
    values = [gflops(c["detail"]) for c in rows if c["name"] == name]
    values = [v for v in values if v is not None]
    return max(values) if values else None

all_ours = [c for rows in ours_rounds for c in rows]
all_torch = [c for rows in torch_rounds for c in rows.values()]
peak_name = next((c["name"] for c in ours if c["name"].startswith("sgemm peak")), None)
peak_ours = best_gflops(all_ours, peak_name) if peak_name else None
print(f"{'GEMM throughput (GFLOP/s, best round)':<52} {'ours':>10} {'torch':>10} {'ours/peak':>10}")
for c in ours:
    g = best_gflops(all_ours, c["name"])
    if g is None:
        continue
    tg = best_gflops(all_torch, c["name"])
    share = f"{100 * g / peak_ours:9.0f}%" if peak_ours else ""
    print(f"{c['name']:<52} {g:10.1f} {tg if tg is not None else float('nan'):10.1f} {share}")
for c in ours:
    if c["name"] == "OpenBLAS":
        print("\nours:", c["detail"])
if "PyTorch" in theirs:
    print("PyTorch:", theirs["PyTorch"]["detail"])
if missing:
    print("\nonly in ours (no PyTorch case):", ", ".join(missing))
extra = sorted(set(theirs) - {c["name"] for c in ours} - {"PyTorch"})
if extra:
    print("only in PyTorch:", ", ".join(extra))
PY
echo "JSON (one pair per round): $out/ours.*.json $out/torch.*.json"
