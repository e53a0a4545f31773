#!/usr/bin/env bash
# Task 2 metric benchmark: the official L3DAS22 location_sensitive_detection (Python, our
# loop-for-loop re-implementation in seld_official.py) against l3das-swift, on the same files.
#
# Usage: Tools/bench/seld_compare.sh [PAIRS] [FRAMES]      (defaults 40 pairs of 600 frames)
#   Creates .venv-bench (numpy + pandas from PyPI) if needed, generates the files with a fixed
#   seed, checks the Python port against the shared fixture, times it, then times the Swift
#   scorer if SWIFT_SELD_CMD is set, and prints the ratio.
#
#   SWIFT_SELD_CMD is a command line in which {pred}, {truth} and {frames} are replaced, e.g.
#     SWIFT_SELD_CMD='.build/release/l3das score --task 2 --frames {frames} {pred} {truth}'
#   (the flags are the CLI's business; wire them once `l3das score --task 2` exists). Its wall
#   time, process start included, is divided by the number of pairs. If it prints JSON with
#   truePositives/falsePositives/falseNegatives anywhere, they are compared with Python's.
set -euo pipefail
cd "$(dirname "$0")/../.."
pairs=${1:-40}
frames=${2:-600}
files=$(mktemp -d)
trap 'rm -rf "$files"' EXIT

if [ ! -x .venv-bench/bin/python ]; then
  python3 -m venv .venv-bench
fi
if ! .venv-bench/bin/python -c 'import numpy, pandas' 2>/dev/null; then
  .venv-bench/bin/pip install -q numpy pandas
fi
py=.venv-bench/bin/python

fixture=Tests/MetricsTests/Fixtures/seld.json
if [ -f "$fixture" ]; then
  "$py" Tools/bench/seld_official.py --check "$fixture" | tail -1
fi
"$py" Tools/bench/seld_official.py --generate "$files" --pairs "$pairs" --frames "$frames" --seed 1
"$py" Tools/bench/seld_official.py --time "$files" --frames "$frames" > "$files/python.json"
cat "$files/python.json"

if [ -z "${SWIFT_SELD_CMD:-}" ]; then
  echo "Swift side: set SWIFT_SELD_CMD (see the header of this script) to time l3das-swift."
  exit 0
fi
cmd=${SWIFT_SELD_CMD//\{pred\}/$files/pred}
cmd=${cmd//\{truth\}/$files/truth}
cmd=${cmd//\{frames\}/$frames}
start=$(date +%s%N)
bash -c "$cmd" > "$files/swift.out"
end=$(date +%s%N)
"$py" - "$files/python.json" "$files/swift.out" "$pairs" "$start" "$end" <<'EOF'
import json, re, sys
python = json.load(open(sys.argv[1]))
out = open(sys.argv[2]).read()
pairs, start, end = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
swift_ms = (end - start) / 1e6 / pairs
print("swift ms_per_file (wall, process start included): %.4f" % swift_ms)
print("ratio python/swift (read + count): %.1fx" % (python["ms_per_file"] / swift_ms))
found = {k: re.findall(r'"%s"\s*:\s*(\d+)' % k, out) for k in ("truePositives", "falsePositives", "falseNegatives")}
if all(found.values()):
    swift = tuple(int(found[k][0]) for k in ("truePositives", "falsePositives", "falseNegatives"))
    same = swift == (python["tp"], python["fp"], python["fn"])
    print("counts: swift %s, official %s -> %s" % (swift, (python["tp"], python["fp"], python["fn"]), "equal" if same else "DIFFERENT"))
    sys.exit(0 if same else 1)
EOF
