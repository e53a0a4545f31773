"""Times python-soundfile (the reader the official L3DAS scripts reach through librosa) on
the WAV files l3das-bench wrote, and prints the Swift/Python ratios.

Both sides produce the same thing: planar float32 (channels x frames), page cache warm.
"""
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf


def median_seconds(fn, repetitions=25):
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(folder: Path) -> None:
    swift = {r["name"]: r for r in json.loads((folder / "swift.json").read_text())}
    print(f"{'case':<44} {'swift ms':>9} {'python ms':>10} {'speed-up':>9}")
    for fmt in ("float32", "pcm16"):
        path = folder / f"bench_30s_4ch_32k_{fmt}.wav"
        read = lambda: np.ascontiguousarray(sf.read(path, dtype="float32", always_2d=True)[0].T)
        read()
        py = median_seconds(read)
        name = f"read 30 s × 4 ch × 32 kHz {fmt} → planar Float"
        sw = swift[name]["medianSeconds"]
        print(f"{'read ' + fmt + ' (30 s, 4 ch, 32 kHz)':<44} {sw * 1e3:9.2f} {py * 1e3:10.2f} {py / sw:8.1f}x")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
