"""Regenerates Tests/MetricsTests/Fixtures/wer-random.json with jiwer (the reference WER).

2 000 seeded random reference/hypothesis pairs over a 6-word vocabulary (so ties between
equally short alignments are common and the S/D/I split is tested, not just the WER), with
random extra whitespace. Not run in CI; its output is committed.

    python3 -m venv .venv-ref && .venv-ref/bin/pip install -r Tools/reference/requirements.txt
    .venv-ref/bin/python Tools/reference/wer_golden.py > Tests/MetricsTests/Fixtures/wer-random.json
"""
import json
import random

import importlib.metadata

import jiwer

VOCAB = ["A", "B", "C", "THE", "RIVER", "b"]


def sentence(rng: random.Random) -> str:
    words = [rng.choice(VOCAB) for _ in range(rng.randint(0, 18))]
    out = ""
    for w in words:
        out += rng.choice([" ", " ", " ", "  ", "\t ", "\n\n", "\t", "\r\n"]) + w
    return out + rng.choice(["", " ", "  "])


def main() -> None:
    rng = random.Random(20261123)
    cases = []
    while len(cases) < 2000:
        ref, hyp = sentence(rng), sentence(rng)
        if not ref.split():
            continue  # jiwer 4 scores an empty reference differently; wer.json covers it
        out = jiwer.process_words(ref, hyp)
        cases.append({
            "reference": ref, "hypothesis": hyp, "wer": out.wer,
            "substitutions": out.substitutions, "deletions": out.deletions,
            "insertions": out.insertions, "hits": out.hits,
        })
    versions = f"jiwer {importlib.metadata.version('jiwer')}, rapidfuzz {importlib.metadata.version('rapidfuzz')}"
    print(json.dumps({"tool": versions,
                      "generator": "Tools/reference/wer_golden.py", "seed": 20261123, "cases": cases}))


if __name__ == "__main__":
    main()
