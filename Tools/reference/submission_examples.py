"""Writes the tiny example submissions and test folders under submission/examples.

Run from the repository root: python3 Tools/reference/submission_examples.py
Needs numpy (np.save writes the Task 1 .npy files exactly as participants' code does); the
WAV files are written with the standard library. The output is deterministic.
"""
import os
import struct
import wave

import numpy as np

ROOT = os.path.join("submission", "examples")


def write_wav(path, frames, channels, rate):
    """4-channel 16-bit PCM WAV with a quiet deterministic signal."""
    t = np.arange(frames) / rate
    data = np.stack([0.1 * np.sin(2 * np.pi * (220 + 110 * c) * t) for c in range(channels)], axis=1)
    pcm = np.round(data * 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def main():
    # Task 1: two test items of 0.2 s and 0.15 s at 16 kHz (L3DAS21/22 names: speaker-chapter-utterance).
    t1_test = os.path.join(ROOT, "test", "task1", "data")
    t1_sub = os.path.join(ROOT, "task1")
    os.makedirs(t1_test, exist_ok=True)
    os.makedirs(t1_sub, exist_ok=True)
    for item, frames in [("1272-128104-0000", 3200), ("1272-128104-0001", 2400)]:
        for mic in "AB":
            write_wav(os.path.join(t1_test, f"{item}_{mic}.wav"), frames, 4, 16000)
        t = np.arange(frames) / 16000
        estimate = (0.05 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
        np.save(os.path.join(t1_sub, f"{item}.npy"), estimate)

    # Task 2: two L3DAS22 test scenes (names as the official splitN_ovK_M); the audio is cut to
    # 0.1 s to keep the example small, so validate it with --edition 2022 (300 frames).
    t2_test = os.path.join(ROOT, "test", "task2", "data")
    t2_sub = os.path.join(ROOT, "task2")
    os.makedirs(t2_test, exist_ok=True)
    os.makedirs(t2_sub, exist_ok=True)
    for item in ["split5_ov1_1", "split5_ov2_1"]:
        for mic in "AB":
            write_wav(os.path.join(t2_test, f"{item}_{mic}.wav"), 3200, 4, 32000)
    rows = [
        (10, 7, 0.5, -1.25, 0.3),      # Knock
        (11, 7, 0.5, -1.25, 0.3),
        (11, 4, -1.0, 0.75, 0.0),      # Female_speech_and_woman_speaking
        (12, 4, -1.0, 0.75, 0.0),
        (12, 4, 1.5, 1.0, -0.5),       # a second instance of the same class in frame 12
        (299, 13, 0.25, 0.0, 0.7),     # Writing, in the last frame
    ]
    with open(os.path.join(t2_sub, "split5_ov1_1.csv"), "w", newline="") as f:
        for r in rows:
            f.write(",".join(str(v) for v in r) + "\n")
    # Nothing detected in this scene: an empty file is a valid answer.
    open(os.path.join(t2_sub, "split5_ov2_1.csv"), "w").close()


if __name__ == "__main__":
    main()
