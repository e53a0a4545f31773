"""Reference check and timing for `l3das preprocess --task 2` (SELDnet spectrum features).

Recomputes every preprocessed scene with scipy.signal.stft exactly as the L3DAS21/22
preprocessing calls it (window='hamming', nperseg=512, noverlap=112, other arguments at their
defaults), takes |Z|, drops the DC bin and the last frame, and compares with the rows of the
shards that the manifest lists. Prints JSON: the largest error relative to each scene's
largest magnitude and the scipy time per scene.

Usage: preprocess_reference.py SPLIT_FOLDER OUTPUT_FOLDER MICS
"""
import json
import os
import sys
import time

import numpy as np
import scipy.signal
from scipy.io import wavfile


def load(path):
    rate, data = wavfile.read(path)
    if data.dtype == np.int16:
        data = data.astype(np.float32) / 32768.0
    elif data.dtype == np.int32:
        data = data.astype(np.float32) / 2147483648.0
    return data.T.astype(np.float32)


def main():
    split, output, mics = sys.argv[1], sys.argv[2], int(sys.argv[3])
    manifest = json.load(open(os.path.join(output, "manifest.json")))
    worst = 0.0
    seconds = 0.0
    scenes = 0
    for shard in manifest["shards"]:
        if not shard.get("predictors"):
            continue
        x = np.load(os.path.join(output, shard["predictors"]))
        for entry in shard["entries"]:
            stem = os.path.join(split, "data", entry["id"])
            audio = load(stem + "_A.wav")
            if mics == 2:
                audio = np.concatenate([audio, load(stem + "_B.wav")], axis=0)
            start = time.perf_counter()
            _, _, z = scipy.signal.stft(audio, window="hamming", nperseg=512, noverlap=112)
            features = np.abs(z)[:, 1:, :-1]
            seconds += time.perf_counter() - start
            ours = x[entry["firstRow"]]
            worst = max(worst, float(np.abs(ours - features).max() / np.abs(features).max()))
            scenes += 1
    print(json.dumps({"scenes": scenes, "max_relative_error": worst,
                      "scipy_ms_per_scene": 1000 * seconds / max(scenes, 1)}))


if __name__ == "__main__":
    main()
