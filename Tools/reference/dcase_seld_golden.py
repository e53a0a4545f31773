"""Regenerates the DCASE SELD reference set of the DCASE-style report:
Tests/MetricsTests/Fixtures/seld-dcase.json, the case folders
Tests/MetricsTests/Fixtures/seld-dcase/<case>/{pred,truth}/*.csv and
Tests/MetricsTests/Fixtures/lsap.json.

Reference code (read from checkouts or bare git directories given on the command line, or cloned
into a temporary folder; nothing of it is copied here):
- sharathadavanne/seld-dcase2021 at f8e09db (after 0fae38e, the multi-instance fix):
  `metrics/SELD_evaluation_metrics.py` (class SELDMetrics) and, from `cls_feature_class.py`,
  the methods `FeatureClass.load_output_format_file` and `FeatureClass.segment_labels`;
- sharathadavanne/seld-dcase2022 at c8adb1d (after b64091d, the slicing fix): the same three.
  seld-dcase2023's `SELD_evaluation_metrics.py` and `segment_labels` are byte-identical to
  2022's, and its driver uses the same file-length rule, so "2022" stands for 2022/2023.
- scipy.optimize.linear_sum_assignment of the installed scipy (the metric code calls it).

How the official code is run on l3das' inputs:
1. Each Task 2 file `frame,class,x,y,z` is rewritten as a DCASE output-format file
   `frame,class index,0,x,y,z` (track 0, as the baselines' `write_output_format_file` writes)
   with the same doubles (repr), and read back with the official `load_output_format_file`
   (6 words = Cartesian): 2021 keeps `[class, x, y, z, track]`, 2022 `[class, track, x, y, z]`.
2. The official `segment_labels` groups frames into 1 s blocks of 10 frames
   (`_nb_label_frames_1s = 10`, the 100 ms label hop). The methods are taken out of
   `cls_feature_class.py` with `ast` and bound to a stand-in object holding only that field,
   because importing the module needs librosa, scikit-learn, joblib and matplotlib and
   `FeatureClass.__init__` needs a dataset on disk.
3. The file length, as each baseline's `cls_compute_seld_results.py` sets it (its driver loop is
   repeated here, a few lines; the module itself imports the dataset parameters):
   - 2021: `segment_labels(dict, nb_frames)` with the nominal length (`get_nb_frames()`; here
     the case's frame count, 600 or 300), for the reference and the prediction;
   - 2022/2023: `nb_ref_frames = max(list(gt_dict.keys()))`, the reference's largest frame
     index, used for both: blocks 0 ..< ceil(nb_ref_frames / 10), predictions after them are
     ignored, and a reference whose last frame index is a multiple of 10 loses that frame
     (an empty reference raises ValueError there, so no case has one).
4. `SELDMetrics(doa_threshold=THRESHOLD, nb_classes=14[, average=...])`, one
   `update_seld_scores(pred_labels, gt_labels)` per file in file-name order, then
   `compute_seld_scores()`.
5. THE ONE SUBSTITUTION: l3das scores positions in metres, DCASE angles in degrees. The metric
   module's global `distance_between_cartesian_coordinates(x1, y1, z1, x2, y2, z2)`, which
   `least_distance_between_gt_pred` looks up at call time to fill the cost matrix, is replaced
   on the loaded module object by the Euclidean distance
   `np.sqrt((x1 - x2)**2 + (y1 - y2)**2 + (z1 - z2)**2)` (reference minus prediction, squares
   summed left to right: the same doubles as l3das' distance). Nothing else changes: the
   Hungarian association (scipy), the track averaging, `<= doa_threshold` (now metres), the
   counters, ER/F/LE/LR. Where the official code writes LE = 180 (its "no class-matched track"
   value in degrees), l3das reports no LE (nil); the JSON keeps the official 180.
6. The metric modules use `np.float`, removed in numpy 1.24, hence numpy 1.23.5; their
   `from IPython import embed` gets an empty stand-in module.

lsap.json: seeded random cost matrices (1-7 rows and columns, integers with many ties,
constant matrices, dyadic values, distances between grid points, random reals) with the
assignment `scipy.optimize.linear_sum_assignment` returns for each.

    python3 -m venv /tmp/ref-venv
    /tmp/ref-venv/bin/pip install -r Tools/reference/requirements-task2.txt
    /tmp/ref-venv/bin/python Tools/reference/dcase_seld_golden.py \
        --dcase2021 PATH_TO_SELD_DCASE2021 --dcase2022 PATH_TO_SELD_DCASE2022 \
        --out Tests/MetricsTests/Fixtures
"""
import argparse
import ast
import importlib.metadata
import json
import math
import os
import random
import shutil
import sys
import tempfile
import types
import warnings

import numpy as np
import scipy.optimize

from task2_reference import CLASSES, git_reader, kept_rows, write_task2

SEED = 20220601
REPOS = {
    "2021": ("sharathadavanne/seld-dcase2021", "f8e09db", "metrics/SELD_evaluation_metrics.py"),
    "2022": ("sharathadavanne/seld-dcase2022", "c8adb1d", "SELD_evaluation_metrics.py"),
}


# ---------------------------------------------------------------------------------------------
# The official code


def euclidean_metres(x1, y1, z1, x2, y2, z2):
    """Replaces DCASE's angular `distance_between_cartesian_coordinates` (see the docstring)."""
    return np.sqrt((x1 - x2) ** 2 + (y1 - y2) ** 2 + (z1 - z2) ** 2)


def load_official(year, repo):
    name, commit, metrics_path = REPOS[year]
    full, show = git_reader(repo, name, commit)
    sys.modules.setdefault("IPython", types.ModuleType("IPython")).embed = None
    module = types.ModuleType(f"seld_metrics_{year}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # np.float
        exec(compile(show(metrics_path), metrics_path, "exec"), module.__dict__)
    assert module.least_distance_between_gt_pred.__globals__ is module.__dict__
    module.distance_between_cartesian_coordinates = euclidean_metres  # the one substitution
    feature_source = show("cls_feature_class.py")
    tree = ast.parse(feature_source)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "FeatureClass")
    wanted = [n for n in cls.body if isinstance(n, ast.FunctionDef)
              and n.name in ("load_output_format_file", "segment_labels")]
    assert len(wanted) == 2
    namespace = {"np": np}
    exec(compile(ast.Module(body=wanted, type_ignores=[]), "cls_feature_class.py", "exec"), namespace)
    stand_in = types.SimpleNamespace(_nb_label_frames_1s=10)  # 100 ms label frames
    load = lambda path: namespace["load_output_format_file"](stand_in, path)
    segment = lambda d, n: namespace["segment_labels"](stand_in, d, n)
    return {"commit": full, "metrics": module, "load": load, "segment": segment}


# ---------------------------------------------------------------------------------------------
# Cases


def r(frame, cls, x, y, z):
    return (frame, cls, x, y, z)


def write_dcase(task2_path, path):
    with open(task2_path) as src, open(path, "w") as dst:
        for line in src:
            frame, cls, x, y, z = line.strip().split(",")
            dst.write(f"{int(frame)},{CLASSES.index(cls)},0,{float(x)!r},{float(y)!r},{float(z)!r}\n")


def line(frames, cls, x, y=0.0, z=0.0):
    return [r(f, cls, x, y, z) for f in frames]


def hand_cases():
    """(name, note, n_frames, threshold, {file: (pred rows, truth rows)})."""
    cases = []
    add = lambda *case: cases.append(case)
    # Three truths, two predictions at equal total cost (0.5 + 1 = 1 + 0.5): scipy pairs
    # P0-T2, P1-T1; a Hungarian that breaks ties otherwise pairs P0-T0, P1-T2. Frame 1 then
    # decides: T0's track mean is 0.7 alone, or 0.85 with frame 0's 1.0 (> 0.8 m).
    truths = [r(f, 7, x, 0, 0) for f in (0, 1) for x in (0, 3, 1.5)]
    add("tie_three_truths_two_predictions",
        "3 same-class truths, 2 predictions with two minimum-cost assignments in frame 0",
        300, 0.8, {"a": ([r(0, 7, 1, 0, 0), r(0, 7, 2, 0, 0),
                          r(1, 7, 0, 0.7, 0), r(1, 7, 3, 0.5, 0), r(1, 7, 1.5, 0, 0)], truths)})
    add("tie_two_truths_three_predictions",
        "2 truths, 3 predictions, equal total cost: which predictions are used changes nothing "
        "counted, the track distances do",
        300, 1.0, {"a": ([r(f, 2, x, 0, 0) for f in range(3) for x in (-1, 0, 1)],
                         [r(f, 2, x, 0, 0) for f in range(3) for x in (-0.5, 0.5)])})
    square = [(1, 1), (1, -1), (-1, -1), (-1, 1)]
    add("tie_symmetric_square",
        "4 truths on a square's corners, 2-3 predictions at its centre (every pairing costs the "
        "same), then each truth's own prediction at different offsets",
        600, 1.5, {"a": ([r(f, 5, 0, 0, 0) for f in range(0, 4) for _ in range(2)]
                         + [r(f, 5, 0, 0, 0.5) for f in range(4, 6) for _ in range(3)]
                         + [r(f, 5, x + 0.3 * k, y, 0) for f in range(6, 10)
                            for k, (x, y) in enumerate(square)],
                         [r(f, 5, x, y, 0) for f in range(10) for x, y in square])})
    add("tie_identical_positions",
        "3 truths and 2 predictions all at one point: a constant cost matrix",
        300, 1.0, {"a": ([r(f, 11, 0.25, 0.25, 0.25) for f in range(4) for _ in range(2)]
                         + [r(f, 11, 1.5, 0.25, 0.25) for f in range(4, 8) for _ in range(3)],
                         [r(f, 11, 0.25, 0.25, 0.25) for f in range(8) for _ in range(3)])})
    add("threshold_inclusive",
        "a track whose mean distance equals the threshold is a TP (<=), one just above is an FP",
        300, 1.0, {"a": (line(range(10), 1, 1.0) + line(range(10, 20), 1, 0.5) + line(range(10, 15), 3, 1.5)
                         + line(range(15, 20), 3, 0.5),
                         line(range(20), 1, 0.0) + line(range(10, 20), 3, 0.0))})
    add("no_common_frame",
        "class present on both sides of a segment but never in the same frame: DCASE adds the "
        "predicted track count to FN",
        300, 2.0, {"a": ([r(f, 4, 0, 0, 0) for f in range(5)] + [r(f, 4, 1, 0, 0) for f in range(2, 4)],
                         [r(f, 4, 0, 0, 0) for f in range(5, 10)])})
    add("file_length_rule",
        "last truth frame 290 (a multiple of 10): 2022 drops that frame and every prediction "
        "after it; 2021 counts all 300 frames",
        300, 1.0, {"a": (line(range(280, 300), 6, 0.2) + line(range(100, 110), 0, 0.0),
                         line(range(270, 291), 6, 0.0) + line(range(100, 110), 0, 0.0))})
    add("single_truth_frame_zero",
        "the only truth is in frame 0: 2022 has no block at all (max frame index 0)",
        300, 1.0, {"a": ([r(0, 9, 0, 0, 0), r(50, 9, 0, 0, 0)], [r(0, 9, 0, 0, 0)])})
    add("every_class_matched",
        "all 14 classes localised: macro LE is defined for every class",
        300, 2.0, {"a": ([r(f, c, 0.1 * c, 0.05 * f, 0) for c in range(14) for f in range(10 * c, 10 * c + 15)],
                         [r(f, c, 0, 0, 0) for c in range(14) for f in range(10 * c, 10 * c + 20)])})
    return cases


def event_truth(rng, frames, events, max_overlap, grid):
    rows, active = [], {}
    for _ in range(events):
        cls = rng.randrange(14)
        start = rng.randrange(frames)
        span = range(start, min(frames, start + rng.randint(3, 35)))
        if any(active.get((f, cls), 0) >= max_overlap for f in span):
            continue
        if grid:
            pos = (rng.randint(-2, 2) * 0.5, rng.randint(-1, 1) * 0.5, rng.randint(-1, 1) * 0.5)
        else:
            pos = (round(rng.uniform(-2, 2), 3), round(rng.uniform(-1.5, 1.5), 3), round(rng.uniform(-1, 1), 3))
        moving = rng.random() < 0.3
        for k, f in enumerate(span):
            active[(f, cls)] = active.get((f, cls), 0) + 1
            dx = 0.05 * k if moving else 0.0
            rows.append((f, cls, pos[0] + dx, pos[1], pos[2]))
    rows.sort(key=lambda row: row[0])
    return [(f, c, round(x, 4), y, z) for f, c, x, y, z in rows]


def predict(rng, truth, frames, jitter, drop, insert_rate, confuse, shift, grid):
    rows = []
    for f, c, x, y, z in kept_rows(rng, truth, drop, confuse):
        f = min(frames - 1, max(0, f + rng.randint(-shift, shift)))
        if grid:
            rows.append((f, c, x + rng.choice((-0.5, 0, 0, 0.5)) * (jitter > 0), y, z))
        else:
            rows.append((f, c, round(x + rng.gauss(0, jitter), 4), round(y + rng.gauss(0, jitter), 4),
                         round(z + rng.gauss(0, jitter), 4)))
    for _ in range(int(insert_rate * max(1, len(truth)))):
        rows.append((rng.randrange(frames), rng.randrange(14), rng.randint(-4, 4) * 0.5,
                     rng.randint(-2, 2) * 0.5, rng.randint(-2, 2) * 0.5))
    rows.sort(key=lambda row: row[0])
    return rows


def random_cases():
    # (events per file, max same-class overlap, jitter, drop, insertions, confusion, frame shift, grid)
    settings = [
        (10, 3, 0.2, 0.1, 0.1, 0.0, 0, True), (15, 3, 0.5, 0.2, 0.2, 0.1, 1, True),
        (20, 3, 0.3, 0.1, 0.3, 0.0, 0, True), (12, 2, 0.0, 0.0, 0.5, 0.0, 0, True),
        (25, 3, 0.5, 0.3, 0.1, 0.1, 2, True), (8, 3, 0.5, 0.0, 1.0, 0.0, 0, True),
        (10, 1, 0.3, 0.1, 0.1, 0.0, 0, False), (20, 3, 0.8, 0.2, 0.2, 0.1, 1, False),
        (30, 3, 1.5, 0.3, 0.3, 0.2, 0, False), (15, 2, 0.1, 0.5, 0.0, 0.0, 3, False),
        (25, 3, 0.6, 0.1, 0.5, 0.3, 0, False), (40, 3, 0.4, 0.2, 0.2, 0.05, 1, False),
    ]
    cases = []
    for index, (events, overlap, jitter, drop, insert_rate, confuse, shift, grid) in enumerate(settings):
        rng = random.Random(SEED + index)
        frames = 600 if index % 2 == 0 else 300
        threshold = (1.0, 2.0, 0.5)[index % 3]
        files = {}
        for k in range(1 + index % 3):
            truth = event_truth(rng, frames, events, overlap, grid)
            if not truth:
                truth = [r(5, 0, 0, 0, 0)]
            files[f"split{index}_{k}"] = (
                predict(rng, truth, frames, jitter, drop, insert_rate, confuse, shift, grid), truth)
        note = (f"random (seed {SEED + index}){', grid positions (ties)' if grid else ''}: {events} events/file, "
                f"<= {overlap} same-class overlaps, jitter {jitter}, drop {drop}, insertions {insert_rate}, "
                f"confusion {confuse}, frame shift {shift}")
        cases.append((f"random_{index:02d}", note, frames, threshold, files))
    return cases


# ---------------------------------------------------------------------------------------------
# Running the official code


def counters(metric):
    """Every accumulator of an official SELDMetrics, as plain numbers or lists."""
    names = ["_TP", "_FP", "_FP_spatial", "_FN", "_S", "_D", "_I", "_Nref", "_DE_TP", "_DE_FP", "_DE_FN", "_total_DE"]
    out = {}
    for name in names:
        if hasattr(metric, name):
            value = getattr(metric, name)
            out[name.lstrip("_")] = value.tolist() if isinstance(value, np.ndarray) else (
                float(value) if name == "_total_DE" else int(value))
    return out


def run_official(official, year, files, frames, threshold, average=None):
    """files: [(pred DCASE csv, truth DCASE csv)] in file-name order."""
    module = official["metrics"]
    if year == "2021":
        metric = module.SELDMetrics(doa_threshold=threshold, nb_classes=14)
    else:
        metric = module.SELDMetrics(doa_threshold=threshold, nb_classes=14, average=average)
    for pred_path, truth_path in files:
        gt_dict = official["load"](truth_path)
        pred_dict = official["load"](pred_path)
        if year == "2021":
            # seld-dcase2021 cls_compute_seld_results.py: segment_labels(dict, get_nb_frames())
            nb_frames = frames
        else:
            # seld-dcase2022/2023 cls_compute_seld_results.py: nb_ref_frames = max(list(gt_dict.keys()))
            nb_frames = max(list(gt_dict.keys()))
        metric.update_seld_scores(official["segment"](pred_dict, nb_frames), official["segment"](gt_dict, nb_frames))
    scores = metric.compute_seld_scores()
    result = {"counts": counters(metric)}
    if year == "2021":
        er, f, le, lr = scores
    else:
        er, f, le, lr, _, classwise = scores
        if average == "macro":
            result["classwise"] = {"f": classwise[1].tolist(), "le": classwise[2].tolist(), "lr": classwise[3].tolist()}
    result.update({"er": float(er), "f": float(f), "le": float(le), "lr": float(lr)})
    return result


def lsap_cases(rng):
    cases = []
    kinds = ["small_int", "tiny_int", "constant", "dyadic", "grid_distance", "real"]
    for index in range(480):
        kind = kinds[index % len(kinds)]
        rows, cols = rng.randint(1, 7), rng.randint(1, 7)
        if kind == "small_int":
            cost = [[float(rng.randint(0, 5)) for _ in range(cols)] for _ in range(rows)]
        elif kind == "tiny_int":
            cost = [[float(rng.randint(0, 1)) for _ in range(cols)] for _ in range(rows)]
        elif kind == "constant":
            value = rng.choice([0.0, 1.0, 2.5])
            cost = [[value] * cols for _ in range(rows)]
        elif kind == "dyadic":
            cost = [[rng.choice([0.0, 0.5, 1.0, 1.5, 2.0, 0.25]) for _ in range(cols)] for _ in range(rows)]
        elif kind == "grid_distance":
            a = [(rng.randint(-1, 1), rng.randint(-1, 1), rng.randint(0, 1)) for _ in range(rows)]
            b = [(rng.randint(-1, 1), rng.randint(-1, 1), rng.randint(0, 1)) for _ in range(cols)]
            cost = [[math.sqrt((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 + (p[2] - q[2]) ** 2) for q in b] for p in a]
        else:
            cost = [[rng.uniform(0, 4) for _ in range(cols)] for _ in range(rows)]
        row_ind, col_ind = scipy.optimize.linear_sum_assignment(np.array(cost))
        cases.append({"kind": kind, "rows": rows, "cols": cols, "cost": [v for row in cost for v in row],
                      "row_ind": row_ind.tolist(), "col_ind": col_ind.tolist()})
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dcase2021", help="checkout or git directory of seld-dcase2021 (default: clone)")
    parser.add_argument("--dcase2022", help="checkout or git directory of seld-dcase2022 (default: clone)")
    parser.add_argument("--out", default="Tests/MetricsTests/Fixtures")
    args = parser.parse_args()
    official = {"2021": load_official("2021", args.dcase2021), "2022": load_official("2022", args.dcase2022)}

    root = os.path.join(args.out, "seld-dcase")
    shutil.rmtree(root, ignore_errors=True)
    scratch = tempfile.mkdtemp(prefix="dcase-format-")
    out_cases = []
    for name, note, frames, threshold, files in hand_cases() + random_cases():
        for side in ("pred", "truth"):
            os.makedirs(os.path.join(root, name, side))
        pairs = []
        for file in sorted(files):
            pred_rows, truth_rows = files[file]
            paths = []
            for side, rows in (("pred", pred_rows), ("truth", truth_rows)):
                task2 = os.path.join(root, name, side, file + ".csv")
                write_task2(task2, rows)
                dcase = os.path.join(scratch, f"{name}-{side}-{file}.csv")
                write_dcase(task2, dcase)
                paths.append(dcase)
            pairs.append(tuple(paths))
        out_cases.append({
            "name": name, "note": note, "n_frames": frames, "threshold": threshold,
            "prediction": f"seld-dcase/{name}/pred", "truth": f"seld-dcase/{name}/truth",
            "dcase2021": run_official(official["2021"], "2021", pairs, frames, threshold),
            "dcase2022_macro": run_official(official["2022"], "2022", pairs, frames, threshold, "macro"),
            "dcase2022_micro": run_official(official["2022"], "2022", pairs, frames, threshold, "micro"),
        })
    shutil.rmtree(scratch)
    versions = {p: importlib.metadata.version(p) for p in ("numpy", "scipy")}
    with open(os.path.join(args.out, "seld-dcase.json"), "w") as f:
        json.dump({
            "tool": (f"SELDMetrics of sharathadavanne/seld-dcase2021 at {official['2021']['commit']} and "
                     f"seld-dcase2022 at {official['2022']['commit']}, with distance_between_cartesian_coordinates "
                     "replaced by the Euclidean distance in metres"),
            "generator": "Tools/reference/dcase_seld_golden.py", "seed": SEED,
            "python": sys.version.split()[0], "versions": versions,
            "csv_row": "frame,class name,x,y,z (no header)", "cases": out_cases,
        }, f, indent=1)
        f.write("\n")
    with open(os.path.join(args.out, "lsap.json"), "w") as f:
        json.dump({"tool": f"scipy.optimize.linear_sum_assignment, scipy {versions['scipy']}",
                   "generator": "Tools/reference/dcase_seld_golden.py", "seed": SEED,
                   "cases": lsap_cases(random.Random(SEED))}, f)
        f.write("\n")
    print(f"{len(out_cases)} DCASE cases written", file=sys.stderr)


if __name__ == "__main__":
    main()
