"""Python side of the Task 2 preprocessing benchmark (Tools/bench/preprocess_compare.sh).

Written for this project; it makes the library calls the official L3DAS21/22 Task 2
preprocessing makes (BASELINES.md §4.1 and §4.4, FACTS.md §1.5), in the same way: every
scene is loaded with librosa, transformed with scipy.signal.stft, its label CSV read with
pandas and turned into the 168-value label matrix, everything is appended to lists, and the
lists are pickled at the end.

Usage:
  preprocess_reference.py pipeline SPLIT OUT_DIR MICS
      The pipeline. Writes OUT_DIR/task2_predictors.pkl, task2_target.pkl and ids.json.
  preprocess_reference.py check OUT_DIR SWIFT_OUT_DIR
      Compares the pickled arrays with the .npy shards of `l3das preprocess` (rows mapped to
      scenes through manifest.json) and prints JSON: the largest feature error relative to
      the scene's largest magnitude, the largest elementwise relative error over values above
      1e-3 of that maximum, and whether every label matrix is equal.
  preprocess_reference.py stft NPY REPETITIONS
      Times scipy.signal.stft (the SELDnet call) on the [4, 960000] float32 signal that
      `l3das-bench --stft` wrote; prints JSON with the median seconds.
"""
import json
import os
import pickle
import sys
import time

import numpy as np

SAMPLE_RATE = 32000
CLASSES = [
    "Chink_and_clink", "Computer_keyboard", "Cupboard_open_or_close", "Drawer_open_or_close",
    "Female_speech_and_woman_speaking", "Finger_snapping", "Keys_jangling", "Knock", "Laughter",
    "Male_speech_and_man_speaking", "Printer", "Scissors", "Telephone", "Writing",
]


def spectrum(x):
    import scipy.signal
    _, _, z = scipy.signal.stft(x, window="hamming", nperseg=512, noverlap=112)
    return np.abs(z)[:, 1:, :-1]


def label_matrix(path, duration=30.0, step=0.1, slots=3, max_location=2.0):
    """The official frame quantisation: round to the step, np.interp onto the frame range,
    truncate, inclusive end, first free slot of the class, coordinates / max_location."""
    import pandas as pd
    frames = int(duration / step)
    classes = len(CLASSES)
    sed = np.zeros((frames, classes, slots))
    doa = np.zeros((frames, classes, slots, 3))
    table = pd.read_csv(path)
    for _, event in table.iterrows():
        start = round(event["Start"] / step) * step
        end = round(event["End"] / step) * step
        first = int(np.interp(start, (0, duration), (0, frames - 1)))
        last = int(np.interp(end, (0, duration), (0, frames - 1)))
        c = CLASSES.index(event["Class"])
        position = np.array([event["X"], event["Y"], event["Z"]]) / max_location
        for f in range(first, last + 1):
            free = [s for s in range(slots) if sed[f, c, s] == 0]
            if not free:
                raise ValueError(f"{path}: more than {slots} overlapping {event['Class']}")
            sed[f, c, free[0]] = 1.0
            doa[f, c, free[0]] = position
    return np.concatenate([sed.reshape(frames, -1), doa.reshape(frames, -1)], axis=1)


def pipeline(split, out, mics):
    import librosa
    data = os.path.join(split, "data")
    ids, predictors, target = [], [], []
    for name in sorted(os.listdir(data)):
        if not name.endswith("_A.wav"):
            continue
        scene = name[: -len("_A.wav")]
        x, _ = librosa.load(os.path.join(data, name), sr=SAMPLE_RATE, mono=False)
        if mics == 2:
            b, _ = librosa.load(os.path.join(data, scene + "_B.wav"), sr=SAMPLE_RATE, mono=False)
            x = np.concatenate((x, b), axis=0)
        predictors.append(spectrum(x))
        labels = os.path.join(split, "labels", "label_" + scene + ".csv")
        target.append(label_matrix(labels))
        ids.append(scene)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "task2_predictors.pkl"), "wb") as f:
        pickle.dump(predictors, f, protocol=4)
    with open(os.path.join(out, "task2_target.pkl"), "wb") as f:
        pickle.dump(target, f, protocol=4)
    with open(os.path.join(out, "ids.json"), "w") as f:
        json.dump(ids, f)


def check(out, ours):
    with open(os.path.join(out, "ids.json")) as f:
        ids = json.load(f)
    with open(os.path.join(out, "task2_predictors.pkl"), "rb") as f:
        predictors = pickle.load(f)
    with open(os.path.join(out, "task2_target.pkl"), "rb") as f:
        target = pickle.load(f)
    with open(os.path.join(ours, "manifest.json")) as f:
        manifest = json.load(f)
    rows = {}
    for shard in manifest["shards"]:
        if not shard.get("predictors"):
            continue
        x = np.load(os.path.join(ours, shard["predictors"]), mmap_mode="r")
        y = np.load(os.path.join(ours, shard["targets"]), mmap_mode="r")
        for entry in shard["entries"]:
            rows[entry["id"]] = (x, y, entry["firstRow"])
    worst_scaled, worst_elementwise, labels_equal, compared = 0.0, 0.0, True, 0
    missing = [i for i in ids if i not in rows]
    for scene, reference, labels in zip(ids, predictors, target):
        if scene not in rows:
            continue
        x, y, row = rows[scene]
        mine = np.asarray(x[row], dtype=np.float64)
        reference = reference.astype(np.float64)
        if mine.shape != reference.shape:
            raise SystemExit(f"{scene}: shape {mine.shape} vs {reference.shape}")
        error = np.abs(mine - reference)
        peak = np.abs(reference).max()
        worst_scaled = max(worst_scaled, float(error.max() / peak))
        large = np.abs(reference) > 1e-3 * peak
        worst_elementwise = max(
            worst_elementwise, float((error[large] / np.abs(reference[large])).max()))
        labels_equal &= bool(np.array_equal(np.asarray(y[row], dtype=np.float32),
                                            labels.astype(np.float32)))
        compared += 1
    print(json.dumps({
        "scenes": compared, "missing": missing,
        "max_error_relative_to_scene_max": worst_scaled,
        "max_elementwise_relative_error_above_1e-3_of_max": worst_elementwise,
        "labels_equal": labels_equal,
    }))


def stft_timing(path, repetitions):
    x = np.load(path)
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        import scipy.signal
        scipy.signal.stft(x, window="hamming", nperseg=512, noverlap=112)
        times.append(time.perf_counter() - start)
    times.sort()
    print(json.dumps({"shape": list(x.shape), "median_seconds": times[len(times) // 2]}))


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "pipeline":
        pipeline(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif command == "check":
        check(sys.argv[2], sys.argv[3])
    elif command == "stft":
        stft_timing(sys.argv[2], int(sys.argv[3]))
    else:
        raise SystemExit(__doc__)
