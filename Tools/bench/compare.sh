#!/usr/bin/env bash
# Side-by-side benchmark: l3das-swift against the Python reference tools on the same files.
# Usage: Tools/bench/compare.sh          (creates .venv-bench with numpy + soundfile from PyPI)
set -euo pipefail
cd "$(dirname "$0")/../.."
files=$(mktemp -d)
trap 'rm -rf "$files"' EXIT
swift build -c release --product l3das-bench >/dev/null
.build/release/l3das-bench --json --keep-files "$files" > "$files/swift.json"
if [ ! -x .venv-bench/bin/python ]; then
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install -q numpy soundfile
fi
.venv-bench/bin/python Tools/bench/audio_read.py "$files"
