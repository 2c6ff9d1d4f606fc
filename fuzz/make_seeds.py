#!/usr/bin/env python3
"""Write small valid streams to fuzz/seeds/ as a starting corpus for the stream fuzzer.

Run from the repository root: python3 fuzz/make_seeds.py
Uses the Python reader and writer in python/unsup. Every seed stays under the
fuzzer's -max_len of 4096 bytes.
"""

import io
import os
import sys

import numpy as np

sys.path.insert(0, "python")
import unsup  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
MAX_LEN = 4096


def stream(**kwargs):
    buf = io.BytesIO()
    unsup.write(buf, **kwargs)
    return buf.getvalue()


def main():
    rng = np.random.default_rng(1)
    seeds = {
        # u8 images with a split column, one frame.
        "u8_chw_split": stream(
            x=rng.integers(0, 256, (3, 1, 4, 4), dtype=np.uint8), label=[0, 1, 2],
            split=[0, 1, 2], meta={"dataset": "seed", "classes": ["a", "b", "c"], "range": [0, 255]}),
        # f32 vectors with probabilities and clusters, two frames.
        "f32_d_probs_cluster": stream(
            x=rng.standard_normal((5, 3)).astype(np.float32), label=[0, -1, 1, 1, 0],
            cluster=[2, 0, -1, 1, 1], probs=rng.random((5, 2)).astype(np.float32), batch=3,
            meta={"history": ["embed --dim 3"]}),
        # f16 images, every optional field.
        "f16_chw_all_fields": stream(
            x=rng.standard_normal((2, 3, 2, 2)).astype(np.float16), label=[4, 5], id=[10, 11],
            view=[0, 1], split=[1, 1], cluster=[3, 3], probs=np.eye(2, 4, dtype=np.float32),
            meta={"normalize": {"mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]}}),
        # No payload: labels and views only.
        "none_view": stream(x=None, label=[1, 2, 3, 4], view=[0, 1, 0, 1]),
        # A header and no batch: zero records.
        "zero_records": stream(x=np.zeros((0, 2), np.uint8), meta={"dataset": "empty"}),
    }
    # `cat a b` of two streams with the same schema.
    seeds["cat_same_schema"] = seeds["u8_chw_split"] + stream(
        x=np.full((1, 1, 4, 4), 7, np.uint8), label=[9], split=[0], meta={"dataset": "other"})

    os.makedirs(OUT, exist_ok=True)
    for name, data in seeds.items():
        assert len(data) <= MAX_LEN, (name, len(data))
        unsup.read(io.BytesIO(data))  # each seed is a valid stream
        with open(os.path.join(OUT, name + ".us"), "wb") as f:
            f.write(data)
        print(f"{name}.us: {len(data)} bytes")


if __name__ == "__main__":
    main()
