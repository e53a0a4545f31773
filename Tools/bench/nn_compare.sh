#!/usr/bin/env bash
# Side-by-side NN layer timings: `l3das-bench --nn --json` (ours) against Tools/bench/nn_torch.py
# (PyTorch CPU) at the same layer sizes and thread count, with ratios ours/PyTorch per case and
# the GEMM throughput reached inside Conv2d and Linear against a single large cblas_sgemm call.
#
# Usage: Tools/bench/nn_compare.sh
# Environment (all optional):
#   NN_TORCH_VENV    virtualenv holding torch (default .venv-torch in the package; created if missing)
#   NN_TORCH_VERSION torch version installed into a new venv (default 2.15.0)
#   NN_THREADS       threads for both sides (default 2)
#   NN_REPEAT        timed repetitions per case, median reported (default 5; ours caps at 5)
#   NN_SCRATCH       SwiftPM scratch path (default .build-nn)
#   NN_OUT           folder for the two JSON files (default a temporary folder)
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${NN_TORCH_VENV:-$root/.venv-torch}"
torch_version="${NN_TORCH_VERSION:-2.15.0}"
threads="${NN_THREADS:-2}"
repeat="${NN_REPEAT:-5}"
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

echo "load before: $(uptime)"
OPENBLAS_NUM_THREADS="$threads" "$bench" --nn --json --repetitions "$repeat" > "$out/ours.json"
OMP_NUM_THREADS="$threads" "$venv/bin/python" Tools/bench/nn_torch.py --threads "$threads" \
  --repeat "$repeat" --json > "$out/torch.json"
echo "load after:  $(uptime)"

"$venv/bin/python" - "$out/ours.json" "$out/torch.json" <<'PY'
import json, re, sys

ours = json.load(open(sys.argv[1]))
theirs = {c["name"]: c for c in json.load(open(sys.argv[2]))}

def gflops(detail):
    m = re.search(r"([0-9.]+) GFLOP/s", detail)
    return float(m.group(1)) if m else None

print(f"{'case':<52} {'ours ms':>10} {'torch ms':>10} {'ours/torch':>10}")
missing = []
for c in ours:
    name = c["name"]
    if c["medianSeconds"] == 0:
        continue
    t = theirs.get(name)
    if t is None:
        missing.append(name)
        continue
    a, b = c["medianSeconds"] * 1e3, t["seconds"] * 1e3
    print(f"{name:<52} {a:10.2f} {b:10.2f} {a / b:9.2f}x")

print()
peak_ours = next((gflops(c["detail"]) for c in ours if c["name"].startswith("sgemm peak")), None)
peak_torch = next((gflops(c["detail"]) for c in theirs.values() if c["name"].startswith("sgemm peak")), None)
print(f"{'GEMM throughput (GFLOP/s)':<52} {'ours':>10} {'torch':>10} {'ours/peak':>10}")
for c in ours:
    g = gflops(c["detail"])
    if g is None:
        continue
    t = theirs.get(c["name"])
    tg = gflops(t["detail"]) if t else None
    share = f"{100 * g / peak_ours:9.0f}%" if peak_ours else ""
    print(f"{c['name']:<52} {g:10.1f} {tg if tg is not None else float('nan'):10.1f} {share}")
for c in ours:
    if c["name"] == "OpenBLAS":
        print("\nours:", c["detail"])
if missing:
    print("\nonly in ours (no PyTorch case):", ", ".join(missing))
extra = sorted(set(theirs) - {c["name"] for c in ours})
if extra:
    print("only in PyTorch:", ", ".join(extra))
PY
echo "JSON: $out/ours.json $out/torch.json"
