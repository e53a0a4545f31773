#!/usr/bin/env bash
# Side-by-side metric benchmark, one run, same inputs:
#   STOI/ESTOI: pystoi (PyPI) vs l3das-swift on 10 s of 16 kHz speech + white noise at 5 dB
#   Task 2: our loop-for-loop Python port of the official location_sensitive_detection
#           (seld_official.py) vs l3das-swift, on 40 generated pairs of 600-frame files
# Creates .venv-bench (numpy, scipy, soundfile, pystoi, pandas) on first use.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ ! -x .venv-bench/bin/python ]; then python3 -m venv .venv-bench; fi
if ! .venv-bench/bin/python -c 'import numpy, scipy, soundfile, pystoi, pandas' 2>/dev/null; then
  .venv-bench/bin/pip install -q numpy scipy soundfile pystoi==0.4.1 pandas
fi
py=.venv-bench/bin/python
swift build -c release --product l3das-bench >/dev/null

# 1. A 10 s speech pair from the LibriVox clips of pocketsphinx-testdata.
"$py" - "$work" <<'PYEOF'
import sys, glob
import numpy as np, soundfile as sf
out = sys.argv[1]
clips = [sf.read(f, dtype="float64")[0] for f in sorted(glob.glob("/usr/share/pocketsphinx/test/data/librivox/*.wav"))]
clean = np.concatenate(clips)[: 10 * 16000]
rng = np.random.default_rng(1)
noise = rng.standard_normal(clean.size)
noise *= np.sqrt(np.mean(clean ** 2) / np.mean(noise ** 2) / 10 ** (5 / 10))
sf.write(f"{out}/clean.wav", clean.astype(np.float32), 16000, subtype="FLOAT")
sf.write(f"{out}/noisy.wav", (clean + noise).astype(np.float32), 16000, subtype="FLOAT")
PYEOF
"$py" Tools/bench/seld_official.py --generate "$work/seld" --pairs 40 --frames 600 --seed 1 >/dev/null
"$py" Tools/bench/seld_official.py --time "$work/seld" --frames 600 > "$work/seld_python.json"
.build/release/l3das-bench --only --json --repetitions 15 --stoi-pair "$work/clean.wav" "$work/noisy.wav" \
  --seld-folder "$work/seld" --frames 600 > "$work/swift.json"

"$py" - "$work" <<'PYEOF'
import json, statistics, sys, time
import soundfile as sf
from pystoi import stoi
work = sys.argv[1]
swift = {r["name"]: r for r in json.load(open(f"{work}/swift.json"))}
clean, fs = sf.read(f"{work}/clean.wav")
noisy, _ = sf.read(f"{work}/noisy.wav")
print(f"{'case':<46} {'python ms':>10} {'swift ms':>9} {'speed-up':>9}  values (python / swift)")
for name, extended in (("stoi", False), ("estoi", True)):
    times = []
    for _ in range(7):
        t = time.perf_counter(); value = stoi(clean, noisy, fs, extended=extended); times.append(time.perf_counter() - t)
    py_ms = statistics.median(times) * 1e3
    sw_ms = swift[name]["medianSeconds"] * 1e3
    sw_value = swift[name]["detail"].split("value ")[1]
    print(f"{name.upper() + ' 10 s @ 16 kHz':<46} {py_ms:10.1f} {sw_ms:9.2f} {py_ms / sw_ms:8.1f}x  {value:.6f} / {sw_value}")
seld = json.load(open(f"{work}/seld_python.json"))
for key, label, swift_name in (("ms_per_file", "Task 2, 600 frames: read + count, per file", "task2-read-and-count"),
                               ("ms_per_file_count_only", "Task 2, 600 frames: count only, per file", "task2-count-only")):
    sw_ms = swift[swift_name]["medianSeconds"] * 1e3
    print(f"{label:<46} {seld[key]:10.2f} {sw_ms:9.3f} {seld[key] / sw_ms:8.0f}x")
detail = swift["task2-read-and-count"]["detail"]
print(f"Task 2 totals: official TP {seld['tp']} FP {seld['fp']} FN {seld['fn']}; swift {detail.split('; ')[1]}")
PYEOF
