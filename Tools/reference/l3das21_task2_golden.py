"""Regenerates the L3DAS21 Task 2 reference set: Tests/MetricsTests/Fixtures/seld-l3das21.json
and the case folders Tests/MetricsTests/Fixtures/seld-l3das21/<case>/{pred,truth}/*.csv.

The expected counts come from the REAL official function: `location_sensitive_detection` of
l3das/L3DAS21 `metrics.py` at commit a6ac3ca (the repository's HEAD, the version the L3DAS21
baseline numbers were computed with; it double-counts one-sided frames and its FP can be
negative). Nothing of it is copied here: the script reads `metrics.py` from a checkout (or a
bare git directory) given on the command line, or clones the repository into a temporary folder.

Why the function is taken out of the module rather than imported: `metrics.py` at a6ac3ca
cannot be imported. At import time it downloads and loads wav2vec2-base-960h, imports torch,
librosa, jiwer and pystoi, and calls `transformers.logging`, a name it never imports
(NameError). So the script parses `metrics.py` with `ast`, takes the unmodified definition of
`location_sensitive_detection` and executes it in a namespace holding what the module binds at
its top (`np`, `pd`, `sys`). The function's text is checked to be the one at a6ac3ca (its
SHA-256 is printed into the JSON).

Inputs: each case is a folder of truth and prediction files in the submission row format
`frame,class name,x,y,z` (no header), paired by file name. The official function is called once
per file, `location_sensitive_detection(pred, true, n_frames, spatial_threshold, False)`, with
the arrays its own `from_csv=True` branch would build (see `read_rows` for the two differences:
correctly rounded floats, and empty files). Totals are aggregated exactly as L3DAS21 `evaluate_baseline_task2.py` does (lines
105-115 at a6ac3ca): TP, FP and FN summed over the files, then precision = TP / (TP + FP + eps),
recall = TP / (TP + FN + eps), F = 2 * ((precision * recall) / (precision + recall + eps)) with
eps = sys.float_info.epsilon. The script also checks that pandas parsed every coordinate to the
same double as Python's float() (which is what Swift's Double(String) gives).
The distance is `np.linalg.norm` of a 3-element object array there, i.e. the squares summed left
to right in Python floats (no BLAS, no fused multiply-add), as l3das computes it.

    python3 -m venv /tmp/ref-venv
    /tmp/ref-venv/bin/pip install -r Tools/reference/requirements-task2.txt
    /tmp/ref-venv/bin/python Tools/reference/l3das21_task2_golden.py \
        --l3das21 PATH_TO_L3DAS21_CHECKOUT_OR_GIT_DIR --out Tests/MetricsTests/Fixtures

Deterministic: the random cases come from random.Random(SEED + case index).
"""
import argparse
import ast
import hashlib
import importlib.metadata
import json
import math
import os
import random
import shutil
import sys

import numpy as np
import pandas as pd

from task2_reference import git_reader, kept_rows, write_task2

COMMIT = "a6ac3ca"
SEED = 20210621


# ---------------------------------------------------------------------------------------------
# The official function


def read_official_source(repo):
    """Returns metrics.py at COMMIT from a checkout, a git directory, or a fresh clone."""
    commit, show = git_reader(repo, "l3das/L3DAS21", COMMIT)
    return commit, show("metrics.py")


def official_function(source):
    """The unmodified `location_sensitive_detection` of metrics.py, and its text's SHA-256."""
    tree = ast.parse(source)
    nodes = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "location_sensitive_detection"]
    assert len(nodes) == 1, "location_sensitive_detection not found once in metrics.py"
    text = ast.get_source_segment(source, nodes[0])
    namespace = {"np": np, "pd": pd, "sys": sys}
    exec(compile(ast.Module(body=nodes, type_ignores=[]), "metrics.py", "exec"), namespace)
    return namespace["location_sensitive_detection"], hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Cases


def r(frame, cls, x, y, z):
    return (frame, cls, x, y, z)


def hand_cases():
    """(name, note, n_frames, threshold, {file: (pred rows, truth rows)})."""
    cases = []

    def add(name, note, frames, threshold, files):
        cases.append((name, note, frames, threshold, files))

    add("double_counted_prediction_frame",
        "L3DAS21 defect: frame 0 matched, frame 1 a prediction without truth counted twice (FP 2)",
        600, 2.0, {"a": ([r(0, 7, 0, 0, 0), r(1, 7, 1, 1, 0)], [r(0, 7, 0, 0, 0)])})
    add("double_counted_truth_frame",
        "the mirror: frame 1 a truth without prediction counted twice (FN 2)",
        600, 2.0, {"a": ([r(0, 7, 0, 0, 0)], [r(0, 7, 0, 0, 0), r(1, 7, 1, 1, 0)])})
    add("negative_false_positives",
        "L3DAS21 defect: two same-class truths near one prediction: matched 2, FP -1",
        600, 2.0, {"a": ([r(0, 0, 0.25, 0, 0)], [r(0, 0, 0, 0, 0), r(0, 0, 0.5, 0, 0)])})
    add("five_truths_one_prediction",
        "five same-class truths within 2 m of one prediction, plus a frame with another class: FP -4",
        600, 2.0, {"a": ([r(10, 3, 0, 0, 0), r(11, 5, 1, 1, 1)],
                         [r(10, 3, x, 0, 0) for x in (-1.5, -0.75, 0, 0.75, 1.5)] + [r(11, 5, 1, 1, 1)])})
    add("negative_total_false_positives",
        "FP summed over the file is negative: precision above 1 and F above 1, as the official script prints",
        300, 2.0, {"a": ([r(f, 1, 0, 0, 0) for f in range(5)],
                         [r(f, 1, dx, 0, 0) for f in range(5) for dx in (-0.5, 0.5, 1.0)])})
    add("empty_prediction_file", "no prediction at all: every truth row counted twice as FN",
        600, 2.0, {"a": ([], [r(0, 2, 1, 1, 0), r(0, 4, 0, 0, 0), r(599, 13, -1, 0.5, 0.25)])})
    add("empty_truth_file", "no truth at all: every prediction counted twice as FP",
        600, 2.0, {"a": ([r(3, 2, 1, 1, 0), r(3, 2, 1, 1, 0.5), r(400, 6, 0, 0, 0)], [])})
    add("both_files_empty", "nothing on either side: all counts 0 and F 0 (not NaN)",
        600, 2.0, {"a": ([], [])})
    add("several_classes_one_frame",
        "three classes in one frame: a match, a wrong class, a far prediction and a duplicate",
        600, 2.0, {"a": ([r(5, 0, 0, 0, 0), r(5, 1, 0, 0, 0), r(5, 2, 1.9, 0, 0), r(5, 2, 3, 0, 0),
                          r(5, 0, 0.1, 0, 0)],
                         [r(5, 0, 0.2, 0, 0), r(5, 2, 0, 0, 0), r(5, 3, 0, 0, 0)])})
    add("exact_threshold_2m",
        "distances of exactly 2.0 m do not match (strict <), 1.9999999999999998 m does",
        600, 2.0, {"a": ([r(0, 7, 2, 0, 0), r(1, 7, 0.5, 1, 0.25), r(2, 7, 0, 0, -2),
                          r(3, 7, 1.9999999999999998, 0, 0), r(4, 7, 1.5, 2, 0)],
                         [r(0, 7, 0, 0, 0), r(1, 7, 0.5, -1, 0.25), r(2, 7, 0, 0, 0),
                          r(3, 7, 0, 0, 0), r(4, 7, 0, 0, 0)])})
    add("exact_threshold_1m",
        "at 1.0 m: distance exactly 1 does not match, 0.9999999999999999 does; (0.6, 0.8, 0) as the doubles round",
        300, 1.0, {"a": ([r(0, 9, 1, 0, 0), r(1, 9, 0, -1, 0), r(2, 9, 0.9999999999999999, 0, 0),
                          r(3, 9, 0.6, 0.8, 0), r(4, 9, 0.5, 0.5, 0.5)],
                         [r(0, 9, 0, 0, 0), r(1, 9, 0, 0, 0), r(2, 9, 0, 0, 0), r(3, 9, 0, 0, 0),
                          r(4, 9, 0, 0, 0)])})
    add("duplicate_predictions",
        "two identical predictions on one truth: matched counts truths (1), so FP 1",
        600, 2.0, {"a": ([r(7, 11, 0.5, 0.5, 0.5), r(7, 11, 0.5, 0.5, 0.5)], [r(7, 11, 0.5, 0.5, 0.5)])})
    add("last_frames",
        "rows in the last frame of a 600-frame file and of a 300-frame file's range",
        600, 2.0, {"a": ([r(599, 12, 1, 1, 1), r(299, 12, 0, 0, 0)],
                         [r(599, 12, 1, 1, 0), r(598, 12, 0, 0, 0)])})
    add("several_files",
        "four files summed: one-sided frames, negative FP and clean matches in different files",
        600, 2.0, {
            "file_a": ([r(0, 7, 0, 0, 0), r(1, 7, 1, 1, 0)], [r(0, 7, 0, 0, 0)]),
            "file_b": ([r(0, 0, 0.25, 0, 0)], [r(0, 0, 0, 0, 0), r(0, 0, 0.5, 0, 0)]),
            "file_c": ([], [r(9, 8, 0, 1, 0)]),
            "file_d": ([r(f, 4, 0.1 * f, 0, 0) for f in range(20)], [r(f, 4, 0, 0, 0) for f in range(20)]),
        })
    add("wrong_class_everywhere", "every prediction at the truth's position with another class",
        300, 2.0, {"a": ([r(f, (f % 13) + 1, 0, 0, 0) for f in range(30)],
                         [r(f, 0, 0, 0, 0) for f in range(30)])})
    return cases


def event_truth(rng, frames, events, max_overlap):
    """Truth rows from random events in the 4 x 3 x 2 m label box (at most max_overlap same-class
    events at once)."""
    rows = []
    active = {}
    for _ in range(events):
        cls = rng.randrange(14)
        start = rng.randrange(frames)
        length = rng.randint(1, 25)
        span = range(start, min(frames, start + length))
        if any(active.get((f, cls), 0) >= max_overlap for f in span):
            continue
        pos = (rng.uniform(-2, 2), rng.uniform(-1.5, 1.5), rng.uniform(-1, 1))
        for f in span:
            active[(f, cls)] = active.get((f, cls), 0) + 1
            rows.append((f, cls) + pos)
    rows.sort(key=lambda row: row[0])
    return [(f, c, round(x, 4), round(y, 4), round(z, 4)) for f, c, x, y, z in rows]


def predict(rng, truth, frames, jitter, drop, insert_rate, confuse):
    """Predictions from truth rows: dropped, jittered, class-confused, plus random insertions."""
    rows = []
    for f, c, x, y, z in kept_rows(rng, truth, drop, confuse):
        rows.append((f, c, x + rng.gauss(0, jitter), y + rng.gauss(0, jitter), z + rng.gauss(0, jitter)))
        if rng.random() < insert_rate / 3:  # a second, nearby same-class prediction
            rows.append((f, c, x + rng.gauss(0, jitter), y + rng.gauss(0, jitter), z))
    for _ in range(int(insert_rate * max(1, len(truth)))):
        rows.append((rng.randrange(frames), rng.randrange(14), rng.uniform(-2, 2), rng.uniform(-1.5, 1.5),
                     rng.uniform(-1, 1)))
    if rng.random() < 0.5:
        rows.sort(key=lambda row: row[0])  # submissions are usually sorted by frame; not always
    return [(f, c, round(x, 4), round(y, 4), round(z, 4)) for f, c, x, y, z in rows]


def random_cases():
    # (events per file, max overlap, jitter m, drop, insertions per truth row, confusion)
    settings = [
        (12, 1, 0.1, 0.1, 0.05, 0.0), (25, 3, 0.3, 0.2, 0.1, 0.05), (30, 3, 0.8, 0.3, 0.3, 0.1),
        (8, 1, 1.5, 0.1, 0.0, 0.0), (40, 3, 0.5, 0.5, 0.5, 0.2), (15, 2, 0.05, 0.0, 0.0, 0.0),
        (30, 3, 1.0, 0.2, 0.2, 0.3), (5, 1, 0.2, 0.0, 2.0, 0.0), (50, 3, 0.4, 0.1, 0.05, 0.05),
        (15, 3, 2.5, 0.2, 0.1, 0.0), (25, 2, 0.7, 0.6, 0.0, 0.0), (35, 3, 0.2, 0.05, 1.0, 0.5),
        (10, 3, 0.6, 0.3, 0.3, 0.0), (20, 1, 0.9, 0.1, 0.1, 0.1), (45, 3, 1.2, 0.4, 0.4, 0.2),
        (30, 3, 0.35, 0.15, 0.15, 0.15), (8, 2, 0.25, 0.0, 0.0, 0.9), (35, 3, 1.8, 0.2, 0.2, 0.0),
    ]
    cases = []
    for index, (events, overlap, jitter, drop, insert_rate, confuse) in enumerate(settings):
        rng = random.Random(SEED + index)
        frames = 600 if index % 3 != 2 else 300
        threshold = 2.0 if index % 2 == 0 else 1.0
        files = {}
        for k in range(1 + index % 3):
            truth = event_truth(rng, frames, events, overlap)
            files[f"split{index}_{k}"] = (predict(rng, truth, frames, jitter, drop, insert_rate, confuse), truth)
        note = (f"random (seed {SEED + index}): {events} events/file, <= {overlap} same-class overlaps, "
                f"jitter {jitter} m, drop {drop}, insertions {insert_rate}, class confusion {confuse}")
        cases.append((f"random_{index:02d}", note, frames, threshold, files))
    return cases


# ---------------------------------------------------------------------------------------------


def read_rows(path):
    """The rows of a file as the official `from_csv=True` branch builds them
    (`pd.read_csv(path, sep=',', header=None).values`: an object array, the class column holding
    names), but with pandas' correctly rounded float parser (`float_precision='round_trip'`):
    pandas' default parser is not correctly rounded (it reads 1.9999999999999998 as 2.0), and
    the reference must see the doubles the file holds, which are what l3das reads. An empty file
    (pandas raises EmptyDataError) is an empty array, what `gen_submission_list_task2` returns
    for a file with no event."""
    with open(path) as f:
        lines = [line.strip().split(",") for line in f if line.strip()]
    if not lines:
        return np.empty((0, 5), dtype=object)
    values = pd.read_csv(path, sep=",", header=None, float_precision="round_trip").values
    for fields, row in zip(lines, values):
        for text, value in zip(fields[2:], row[2:]):
            assert float(text) == value, f"{path}: pandas read {text} as {value!r}"
    return values


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--l3das21", help="a checkout or git directory of l3das/L3DAS21 (default: clone)")
    parser.add_argument("--out", default="Tests/MetricsTests/Fixtures")
    args = parser.parse_args()
    commit, source = read_official_source(args.l3das21)
    official, function_sha = official_function(source)

    root = os.path.join(args.out, "seld-l3das21")
    shutil.rmtree(root, ignore_errors=True)
    out_cases = []
    for name, note, frames, threshold, files in hand_cases() + random_cases():
        for side in ("pred", "truth"):
            os.makedirs(os.path.join(root, name, side))
        per_file = []
        TP = FP = FN = 0
        for file in sorted(files):
            pred_rows, truth_rows = files[file]
            pred_path = os.path.join(root, name, "pred", file + ".csv")
            truth_path = os.path.join(root, name, "truth", file + ".csv")
            write_task2(pred_path, pred_rows)
            write_task2(truth_path, truth_rows)
            tp, fp, fn, f = official(read_rows(pred_path), read_rows(truth_path), frames, threshold, False)
            per_file.append({"file": file + ".csv", "tp": int(tp), "fp": int(fp), "fn": int(fn), "f_score": float(f)})
            TP += tp
            FP += fp
            FN += fn
        # evaluate_baseline_task2.py (L3DAS21 a6ac3ca), lines 113-115.
        precision = TP / (TP + FP + sys.float_info.epsilon)
        recall = TP / (TP + FN + sys.float_info.epsilon)
        F_score = 2 * ((precision * recall) / (precision + recall + sys.float_info.epsilon))
        assert all(math.isfinite(v) for v in (precision, recall, F_score))
        out_cases.append({
            "name": name, "note": note, "n_frames": frames, "threshold": threshold,
            "prediction": f"seld-l3das21/{name}/pred", "truth": f"seld-l3das21/{name}/truth",
            "files": per_file,
            "total": {"tp": int(TP), "fp": int(FP), "fn": int(FN), "precision": precision,
                      "recall": recall, "f_score": F_score},
        })
    versions = {p: importlib.metadata.version(p) for p in ("numpy", "pandas")}
    document = {
        "tool": f"location_sensitive_detection of l3das/L3DAS21 metrics.py at {commit}",
        "function_sha256": function_sha,
        "generator": "Tools/reference/l3das21_task2_golden.py",
        "seed": SEED,
        "python": sys.version.split()[0],
        "versions": versions,
        "csv_row": "frame,class name,x,y,z (no header)",
        "aggregation": "TP/FP/FN summed over the case's files, then P, R, F as evaluate_baseline_task2.py",
        "cases": out_cases,
    }
    with open(os.path.join(args.out, "seld-l3das21.json"), "w") as f:
        json.dump(document, f, indent=1)
        f.write("\n")
    print(f"{len(out_cases)} cases written", file=sys.stderr)


if __name__ == "__main__":
    main()
