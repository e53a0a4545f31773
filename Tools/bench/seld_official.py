#!/usr/bin/env python3
"""Timing of the official L3DAS Task 2 metric, for comparison with l3das-swift.

`official_location_sensitive_detection` below is our own re-implementation of
`location_sensitive_detection` in l3das/L3DAS22 metrics.py (final version, commit 10c13ff,
2021-12-13; unchanged in L3DAS23). It keeps the official per-frame Python loops and the same
NumPy calls (np.linalg.norm per pair, np.unique per frame), so its speed is the official
function's speed. It is validated against shared/fixtures/metrics/seld.json with --check.

Usage:
  python seld_official.py --generate DIR [--pairs 40] [--frames 600] [--seed 1]
      writes DIR/pred/NNN.csv and DIR/truth/NNN.csv (headerless frame,class,x,y,z rows,
      class names, about 2-3 reference events per frame)
  python seld_official.py --time DIR [--frames 600] [--threshold 2.0] [--repeat 3]
      prints JSON: ms_per_file (read with pandas as from_csv=True does, then count),
      ms_per_file_count_only, and the micro-averaged official tp, fp, fn, f_score
  python seld_official.py --check seld.json
      checks the re-implementation against the stored official values
"""

import argparse
import json
import os
import random
import sys
import time

import numpy as np

try:
    import pandas as pd
except ImportError:  # the timing then reads with the csv module (reported in the JSON)
    pd = None

CLASSES = [
    "Chink_and_clink", "Computer_keyboard", "Cupboard_open_or_close", "Drawer_open_or_close",
    "Female_speech_and_woman_speaking", "Finger_snapping", "Keys_jangling", "Knock",
    "Laughter", "Male_speech_and_man_speaking", "Printer", "Scissors", "Telephone", "Writing",
]
EPS = sys.float_info.epsilon


def official_location_sensitive_detection(pred, true, n_frames, spatial_threshold=2.0):
    """TP, FP, FN and F of one file, counted as the final official function does."""
    tp = fp = fn = 0
    by_frame = {}
    for frame in range(n_frames):
        by_frame[frame] = {"p": [], "t": []}
    for row in pred:
        by_frame[row[0]]["p"].append(row)
    for row in true:
        by_frame[row[0]]["t"].append(row)
    for frame in range(n_frames):
        truths = by_frame[frame]["t"]
        preds = by_frame[frame]["p"]
        n_true = len(truths)
        n_pred = len(preds)
        if n_true == 0:
            fp += n_pred
        elif n_pred == 0:
            fn += n_true
        else:
            hit_preds = []
            hit_truths = []
            for j in range(n_true):
                truth_class = truths[j][1]
                truth_xyz = truths[j][-3:]
                for i in range(n_pred):
                    distance = np.linalg.norm(truth_xyz - preds[i][-3:])
                    if truth_class == preds[i][1] and distance < spatial_threshold:
                        hit_preds.append(i)
                        hit_truths.append(j)
            matched = min(len(np.unique(hit_preds)), len(np.unique(hit_truths)))
            tp += matched
            fp += n_pred - matched
            fn += n_true - matched
    return (tp, fp, fn) + (f_score(tp, fp, fn),)


def f_score(tp, fp, fn):
    precision = tp / (tp + fp + EPS)
    recall = tp / (tp + fn + EPS)
    return 2 * ((precision * recall) / (precision + recall + EPS))


def read_rows(path):
    """The rows as the official from_csv=True path sees them (pandas .values, object array)."""
    if os.path.getsize(path) == 0:  # pandas raises EmptyDataError; the official code crashes
        return np.empty((0, 5), dtype=object)
    if pd is not None:
        return pd.read_csv(path, sep=",", header=None).values
    rows = []
    with open(path) as handle:
        for line in handle:
            if line.strip():
                frame, cls, x, y, z = line.strip().split(",")
                cls = int(cls) if cls.isdigit() else cls
                rows.append([int(frame), cls, float(x), float(y), float(z)])
    return np.array(rows, dtype=object).reshape(-1, 5)


def generate(folder, pairs, frames, seed):
    rng = random.Random(seed)
    os.makedirs(os.path.join(folder, "pred"), exist_ok=True)
    os.makedirs(os.path.join(folder, "truth"), exist_ok=True)

    def position():
        return [rng.uniform(-2, 2), rng.uniform(-1.5, 1.5), rng.uniform(-1, 1)]

    for index in range(pairs):
        truth_rows, pred_rows = [], []
        active = []  # [frames left, class, position, predicted class, predicted offset]
        for frame in range(frames):
            target = rng.choice((2, 3))
            while len(active) < target:
                cls = rng.randrange(len(CLASSES))
                predicted = cls if rng.random() < 0.9 else rng.randrange(len(CLASSES))
                offset = [rng.gauss(0, 0.6) for _ in range(3)]
                active.append([rng.randint(5, 30), cls, position(), predicted, offset])
            for event in active:
                truth_rows.append((frame, event[1], event[2]))
                if rng.random() < 0.9:  # missed detections
                    xyz = [c + o + rng.gauss(0, 0.1) for c, o in zip(event[2], event[4])]
                    pred_rows.append((frame, event[3], xyz))
            if rng.random() < 0.15:  # spurious detections
                pred_rows.append((frame, rng.randrange(len(CLASSES)), position()))
            for event in active:
                event[0] -= 1
            active = [event for event in active if event[0] > 0]
        for sub, rows in (("truth", truth_rows), ("pred", pred_rows)):
            with open(os.path.join(folder, sub, "%03d.csv" % index), "w") as handle:
                for frame, cls, xyz in rows:
                    handle.write("%d,%s,%r,%r,%r\n" % (frame, CLASSES[cls], xyz[0], xyz[1], xyz[2]))


def time_folder(folder, frames, threshold, repeat):
    names = sorted(n for n in os.listdir(os.path.join(folder, "truth")) if n.endswith(".csv"))
    paths = [(os.path.join(folder, "pred", n), os.path.join(folder, "truth", n)) for n in names]
    best_total = best_count = float("inf")
    totals = None
    for _ in range(repeat):
        start = time.perf_counter()
        loaded = []
        for pred_path, truth_path in paths:
            loaded.append((read_rows(pred_path), read_rows(truth_path)))
        read_seconds = time.perf_counter() - start
        start = time.perf_counter()
        tp = fp = fn = 0
        for pred, true in loaded:
            counts = official_location_sensitive_detection(pred, true, frames, threshold)
            tp, fp, fn = tp + counts[0], fp + counts[1], fn + counts[2]
        count_seconds = time.perf_counter() - start
        best_total = min(best_total, read_seconds + count_seconds)
        best_count = min(best_count, count_seconds)
        totals = (tp, fp, fn)
    rows = sum(len(p) + len(t) for p, t in loaded) / len(loaded)
    return {
        "implementation": "official location_sensitive_detection (L3DAS22 10c13ff), Python",
        "files": len(paths),
        "frames": frames,
        "threshold": threshold,
        "rows_per_file_pair": rows,
        "ms_per_file": 1000 * best_total / len(paths),
        "ms_per_file_count_only": 1000 * best_count / len(paths),
        "reader": ("pandas " + pd.__version__) if pd is not None else "csv module",
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "tp": totals[0],
        "fp": totals[1],
        "fn": totals[2],
        "f_score": f_score(*totals),
    }


def check(json_path):
    root = os.path.dirname(os.path.abspath(json_path))
    with open(json_path) as handle:
        cases = json.load(handle)["cases"]
    failures = 0
    for case in cases:
        pred = read_rows(os.path.join(root, case["prediction"]))
        true = read_rows(os.path.join(root, case["truth"]))
        for key, expected in case["by_threshold"].items():
            got = official_location_sensitive_detection(pred, true, case["n_frames"], float(key))
            want = expected["official"]
            ok = got[:3] == (want["tp"], want["fp"], want["fn"]) and got[3] == want["f_score"]
            failures += not ok
            print("%-18s %s m  %s  %s" % (case["name"], key, got, "ok" if ok else "MISMATCH %s" % want))
    print("%d passed, %d failed" % (3 * len(cases) - failures, failures))
    return failures == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--generate", metavar="DIR")
    mode.add_argument("--time", metavar="DIR")
    mode.add_argument("--check", metavar="SELD_JSON")
    parser.add_argument("--pairs", type=int, default=40)
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threshold", type=float, default=2.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.generate:
        generate(args.generate, args.pairs, args.frames, args.seed)
    elif args.time:
        print(json.dumps(time_folder(args.time, args.frames, args.threshold, args.repeat), indent=1))
    else:
        sys.exit(0 if check(args.check) else 1)


if __name__ == "__main__":
    main()
