"""Regenerates Tests/SubmissionTests/Fixtures/npy/: .npy files written by numpy itself, in every
format version, byte order and dtype the reader supports, plus files it must refuse.

    python3 Tools/reference/npy_golden.py Tests/SubmissionTests/Fixtures/npy   (needs numpy)
"""
import json
import pickle
import sys
from pathlib import Path

import numpy as np
from numpy.lib import format as npformat

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
base = np.array([[0.5, -1.25, 3.0], [1e-3, 2.0, -0.0]])
expected = {}


def save(name, array, version=None):
    with open(out / name, "wb") as f:
        npformat.write_array(f, array, version=version, allow_pickle=False)
    expected[name] = {"shape": list(array.shape), "values": np.asarray(array, dtype=np.float64).ravel(order="C").tolist()}


save("v1_f4_le_2d.npy", base.astype("<f4"), (1, 0))
save("v2_f8_be_2d.npy", base.astype(">f8"), (2, 0))
save("v3_f2_le_1d.npy", np.array([0.5, -2.0, 65504.0], dtype="<f2"), (3, 0))
save("v1_f4_fortran_2d.npy", np.asfortranarray(base.astype("<f4")), (1, 0))
save("v1_i2_be_1d.npy", np.array([-32768, 0, 32767], dtype=">i2"), (1, 0))
save("v1_u1_1d.npy", np.array([0, 7, 255], dtype="|u1"), (1, 0))
save("v1_i8_1d.npy", np.array([-5, 9], dtype="<i8"), (1, 0))
save("v1_b1_1d.npy", np.array([True, False, True]), (1, 0))
save("v1_f4_scalar.npy", np.array(1.5, dtype="<f4"), (1, 0))
save("v1_f4_empty.npy", np.zeros((0,), dtype="<f4"), (1, 0))
np.save(out / "np_save_default.npy", np.arange(5, dtype=np.float32) / 4)
expected["np_save_default.npy"] = {"shape": [5], "values": (np.arange(5) / 4).tolist()}

# Files that must be refused.
with open(out / "object_array.npy", "wb") as f:
    npformat.write_array(f, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
with open(out / "pickle.npy", "wb") as f:
    pickle.dump([1.0, 2.0], f)
np.savez(out / "archive.npz", x=np.zeros(3))
(out / "archive.npz").rename(out / "archive_npz.npy")
with open(out / "structured.npy", "wb") as f:
    npformat.write_array(f, np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]))
with open(out / "complex.npy", "wb") as f:
    npformat.write_array(f, np.zeros(2, dtype="<c8"))
data = (out / "v1_f4_le_2d.npy").read_bytes()
(out / "truncated.npy").write_bytes(data[:-3])
(out / "trailing.npy").write_bytes(data + b"\x00\x00\x00\x00")
(out / "expected.json").write_text(json.dumps({"numpy": np.__version__, "files": expected}, indent=1))
