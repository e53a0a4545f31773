#!/usr/bin/env bash
# Task 2 preprocessing benchmark: `l3das preprocess --task 2` against scipy.signal.stft on the
# same synthetic full-length scenes, checking the features and timing both.
#
# Usage: Tools/bench/preprocess_compare.sh [SCENES] [MICS] [L3DAS]
#   (defaults: 4 scenes of 30 s, 2 microphones, .build/release/l3das)
#   Creates .venv-bench (numpy + scipy from PyPI) if needed. The Swift time is the wall time of
#   the whole command (process start, WAV reading, STFT, .npy writing) divided by the scenes;
#   the scipy time covers the STFT and magnitude only, so the ratio favours scipy.
set -euo pipefail
cd "$(dirname "$0")/../.."
scenes=${1:-4}
mics=${2:-2}
l3das=${3:-.build/release/l3das}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ ! -x .venv-bench/bin/python ]; then
  python3 -m venv .venv-bench
fi
if ! .venv-bench/bin/python -c 'import numpy, scipy' 2>/dev/null; then
  .venv-bench/bin/pip install -q numpy scipy
fi
py=.venv-bench/bin/python

"$l3das" synth -o "$work/data" --task 2 --task2-items "$scenes" --task2-splits dev --seed 1 --quiet
split="$work/data/L3DAS22_Task2_dev"
start=$(date +%s%N)
"$l3das" preprocess --task 2 --input "$split" -o "$work/out" --mics "$mics" --quiet
end=$(date +%s%N)
echo "swift ms_per_scene (wall, process start included): $(( (end - start) / 1000000 / scenes ))"
"$py" Tools/bench/preprocess_reference.py "$split" "$work/out" "$mics"
