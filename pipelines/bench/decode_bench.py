"""Times `decode` against its Python peers, side by side on this machine (see ../bench_decode.sh).

usage: decode_bench.py DECODE_BINARY FMNIST_DIR WORK_DIR

1. `decode fashion-mnist --split all -q > /dev/null` (wall time of the process, best of 5) vs
   reading the four IDX .gz files into numpy arrays (gzip.open().read() + np.frombuffer,
   timed inside Python, best of 5).
2. `decode images DIR -q > /dev/null` on 2,000 28×28 grey PNGs made from Fashion-MNIST's
   first 2,000 training images (best of 3) vs Pillow decoding the same files on one core
   (Image.open(f).convert('L') + np.asarray, best of 3); the same again for JPEG quality 90.
"""
import gzip
import os
import subprocess
import sys
import time

import numpy as np
from PIL import Image

N_IMAGES = 2000
FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def idx(path):
    """One IDX file (gzipped) as a numpy array, the way the peers read it."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def best(fn, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def run_decode(argv):
    """Runs decode with stdout to /dev/null; fails loudly if it fails."""
    r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode != 0:
        sys.exit(f"decode failed ({r.returncode}): {' '.join(argv)}\n{r.stderr.decode(errors='replace')}")


def output_bytes(argv):
    """Bytes decode writes to a pipe (a sanity check, untimed)."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    total = 0
    while chunk := p.stdout.read(1 << 20):
        total += len(chunk)
    err = p.stderr.read()
    if p.wait() != 0:
        sys.exit(f"decode failed ({p.returncode}): {' '.join(argv)}\n{err.decode(errors='replace')}")
    return total


def ratio(ours, theirs, higher_is_better):
    r = ours / theirs if higher_is_better else theirs / ours
    return f"ratio {r:.2f}x " + ("faster" if r >= 1 else "slower")


def main():
    decode, fmnist, work = sys.argv[1:4]
    paths = [os.path.join(fmnist, f) for f in FILES]
    for p in paths:
        if not os.path.exists(p):
            sys.exit(f"missing {p}: install dataset-fashion-mnist or set FMNIST_DIR")

    # 1. Fashion-MNIST, all 70,000 records.
    argv = [decode, "fashion-mnist", "--root", fmnist, "--split", "all", "-q"]
    size = output_bytes(argv)  # also warms the page cache, as the peer's first run does
    if size < 70000 * 784:
        sys.exit(f"decode fashion-mnist wrote {size} bytes, fewer than 70,000 × 784 pixels")
    ours = best(lambda: run_decode(argv), 5)
    arrays = [idx(p) for p in paths]
    assert arrays[0].shape == (60000, 28, 28) and arrays[2].shape == (10000, 28, 28)
    theirs = best(lambda: [idx(p) for p in paths], 5)
    print(f"decode fashion-mnist: {ours:.3f} s   numpy gzip+frombuffer: {theirs:.3f} s   "
          f"{ratio(ours, theirs, higher_is_better=False)}", flush=True)

    # 2. Folders of 2,000 PNGs and 2,000 JPEGs (quality 90), written once with Pillow.
    images = arrays[0][:N_IMAGES]
    # Neither side is pinned: decode runs as users run it, and Pillow decodes on one thread
    # (so one core) by itself.
    for kind, ext, runs, options in (("PNG", "png", 3, {}), ("JPEG q90", "jpg", 3, {"quality": 90})):
        folder = os.path.join(work, ext)
        os.makedirs(folder, exist_ok=True)
        for i, image in enumerate(images):
            Image.fromarray(image, "L").save(os.path.join(folder, f"{i:05d}.{ext}"), **options)
        argv = [decode, "images", folder, "-q"]
        size = output_bytes(argv)
        if size < N_IMAGES * 784:
            sys.exit(f"decode images wrote {size} bytes, fewer than {N_IMAGES} × 784 pixels")
        ours = N_IMAGES / best(lambda: run_decode(argv), runs)

        def pillow():
            # Listing is inside the timing, as it is inside decode's.
            files = sorted(os.path.join(folder, f) for f in os.listdir(folder))
            out = [np.asarray(Image.open(f).convert("L")) for f in files]
            assert len(out) == N_IMAGES and out[-1].shape == (28, 28)

        theirs = N_IMAGES / best(pillow, runs)
        print(f"decode images ({N_IMAGES} 28x28 grey {kind}): {ours:,.0f} images/s   "
              f"Pillow 1 core: {theirs:,.0f} images/s   {ratio(ours, theirs, higher_is_better=True)}",
              flush=True)


if __name__ == "__main__":
    main()
