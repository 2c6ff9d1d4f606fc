"""Times `augment` against its Python peers, side by side on this machine (see ../bench_augment.sh).

usage: augment_bench.py AUGMENT_BINARY DECODE_BINARY FMNIST_DIR WORK_DIR

Every side makes 2 views of each image with SimCLR's recipe (Chen et al. 2020) on ONE
thread, so the figures are per core: ours `augment --threads 1`; torch.set_num_threads(1)
(and 1 interop thread); cv2.setNumThreads(0) (OpenCV runs sequentially); OMP, OpenBLAS and
MKL limited to 1 thread by the environment before numpy is imported. The recipe is
augment's `--preset simclr`: RandomResizedCrop(S, scale (0.08, 1), ratio (3/4, 4/3)),
horizontal flip p 0.5, ColorJitter(0.8, 0.8, 0.8, 0.2) p 0.8, grayscale p 0.2, Gaussian
blur p 0.5 with sigma in (0.1, 2) and a K-pixel kernel, K = 10% of the height made odd
(at least 3): S = 28, K = 3 and S = 96, K = 9.

Two sizes:
a. 28x28 grey: Fashion-MNIST's 60,000 training images (WORK_DIR/fm.us, written by
   `decode fashion-mnist --split train`; the peers get the same images read from the IDX
   .gz files with numpy).
b. 96x96 RGB: the first 12,000 of them resized with torchvision.transforms.v2.Resize(96,
   antialias=True) and repeated to 3 channels (uint8 NCHW), written once to
   WORK_DIR/rgb96.us with unsup.write (labels kept).

Ours: `augment FILE --preset simclr --views 2 --threads 1 -q` on every image of the
stream, the whole process (start-up, reading the stream, augmenting, writing the views
stream), best of 3: images/s per CPU second (user + system time of the process, from
wait4), on which the per-core targets are judged, and by wall clock, which also holds
the time the process waits for the pipe's reader. Its output goes to
/dev/null when that is a character device; otherwise (on some machines /dev/null is a
regular file) into a pipe that this script drains and discards in 1 MiB reads. An
untimed first run checks the output's size (and warms the page cache). The same again
with --threads 2, printed for information only (augment uses every core by default).

Peers, timed inside Python with time.perf_counter, best of 3 (after an untimed warm-up
of 20 images), each image augmented twice (2 calls of the pipeline); images/s = images /
seconds. The images are in memory in the peer's own format before timing starts, so
their figures leave out reading, converting and writing, which ours include.
- torchvision.transforms.v2 on uint8 CHW tensors (1x28x28, 3x96x96): the Compose below,
  exactly the preset; 5,000 images at 28x28, 1,000 at 96x96.
- albumentations (2.x API) on uint8 numpy arrays, HxW for grey and HxWx3 for RGB: the
  Compose below; 5,000 images at 28x28, 2,000 at 96x96. On grey images ToGray is left out
  (see albumentations_pipeline).
"""
import os

# Before numpy, torch and cv2 start any thread pool; and no update check over the network.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ["NO_ALBUMENTATIONS_UPDATE"] = "1"

import fcntl
import gzip
import platform
import random
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))

_missing = []
try:
    import numpy as np
except ImportError:
    _missing.append("numpy")
try:
    import torch
    import torchvision
    import torchvision.transforms.v2 as T
except ImportError:
    _missing.append("torch torchvision")
try:
    import cv2
    import albumentations as A
except ImportError:
    _missing.append("albumentations")
try:
    import unsup
except ImportError:
    _missing.append("unsup (the repo's python/ directory)")
if _missing:
    sys.exit(f"augment_bench: missing Python modules: {', '.join(_missing)} (pipelines/setup.sh installs them)")

VIEWS = 2
N_RGB = 12000            # 96x96 RGB images in our stream
PEER_N = {               # images per peer run
    ("torchvision", 28): 5000, ("torchvision", 96): 1000,
    ("albumentations", 28): 5000, ("albumentations", 96): 2000,
}
RUNS = 3
WARMUP = 20
TARGET_TORCHVISION = 20  # ours / torchvision, per core
TARGET_ALBUMENTATIONS = 3
FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]


def idx(path):
    """One IDX file (gzipped) as a numpy array, as decode_bench.py reads it."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def kernel(size):
    """The blur kernel augment uses by default: 10% of the height, odd, at least 3."""
    return max(3, 2 * (size // 10 // 2) + 1)


def torchvision_pipeline(size):
    k = kernel(size)
    return T.Compose([
        T.RandomResizedCrop(size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), antialias=True),
        T.RandomHorizontalFlip(0.5),
        T.RandomApply([T.ColorJitter(0.8, 0.8, 0.8, 0.2)], p=0.8),
        T.RandomGrayscale(0.2),
        T.RandomApply([T.GaussianBlur(k, sigma=(0.1, 2.0))], p=0.5),
    ])


def albumentations_pipeline(size, rgb):
    k = kernel(size)
    ops = [
        A.RandomResizedCrop(size=(size, size), scale=(0.08, 1.0), ratio=(0.75, 4 / 3), p=1.0),
        A.HorizontalFlip(p=0.5),
        A.ColorJitter(brightness=0.8, contrast=0.8, saturation=0.8, hue=0.2, p=0.8),
    ]
    if rgb:
        ops.append(A.ToGray(p=0.2))
    # On grey images ToGray is left out: albumentations 2.0.8 accepts 1-channel input but
    # returns it unchanged with a UserWarning ("The image is already gray.") on every call,
    # which would only time Python's warnings machinery; augment's grayscale op does
    # nothing to a grey view either (and torchvision's RandomGrayscale is a no-op copy).
    ops.append(A.GaussianBlur(blur_limit=(k, k), sigma_limit=(0.1, 2.0), p=0.5))
    return A.Compose(ops, seed=0)


def best(fn, runs=RUNS):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def null_is_device():
    try:
        return stat.S_ISCHR(os.stat("/dev/null").st_mode)
    except OSError:
        return False


def run_ours(argv, to_null):
    """Runs augment once; returns (wall seconds, CPU seconds (user + system) of the process,
    bytes written; None when sent to /dev/null)."""
    with tempfile.TemporaryFile() as err:
        if to_null:
            with open("/dev/null", "wb") as null:
                t = time.perf_counter()
                p = subprocess.Popen(argv, stdout=null, stderr=err)
                _, status, usage = os.wait4(p.pid, 0)
                seconds = time.perf_counter() - t
            total = None
        else:
            r, w = os.pipe()
            try:
                fcntl.fcntl(r, fcntl.F_SETPIPE_SZ, 1 << 20)  # fewer wake-ups on both sides
            except (AttributeError, OSError):
                pass
            buf = bytearray(1 << 20)
            total = 0
            t = time.perf_counter()
            p = subprocess.Popen(argv, stdout=w, stderr=err)
            os.close(w)
            with open(r, "rb", buffering=0) as f:
                while n := f.readinto(buf):
                    total += n
            _, status, usage = os.wait4(p.pid, 0)
            seconds = time.perf_counter() - t
        p.returncode = rc = os.waitstatus_to_exitcode(status)
        if rc != 0:
            err.seek(0)
            message = err.read().decode(errors="replace").strip().splitlines()
            sys.exit(f"augment failed ({rc}): {' '.join(argv)}: {message[-1] if message else 'no message'}")
    return seconds, usage.ru_utime + usage.ru_stime, total


def time_ours(augment, stream, n, payload, threads):
    """Images/s of augment on the whole stream, best of RUNS, by wall clock and per CPU
    second; the first (untimed) run checks the size."""
    argv = [augment, stream, "--preset", "simclr", "--views", str(VIEWS), "--threads", str(threads), "-q"]
    _, _, size = run_ours(argv, to_null=False)
    if size < n * VIEWS * payload:
        sys.exit(f"augment wrote {size} bytes for {n} images, fewer than {n} x {VIEWS} views x {payload} pixels")
    to_null = null_is_device()
    runs = [run_ours(argv, to_null) for _ in range(RUNS)]
    return n / min(r[0] for r in runs), n / min(r[1] for r in runs)


def time_peer(pipeline, images):
    """Images/s of a peer: each image through the pipeline VIEWS times, best of RUNS."""
    for image in images[:WARMUP]:
        pipeline(image)

    def run():
        for image in images:
            for _ in range(VIEWS):
                pipeline(image)

    return len(images) / best(run)


def report(label, ours, tv, alb):
    """`ours` is (by wall clock, per CPU second); the targets are judged per core, on the
    CPU time of our process: on one thread the peers' wall time is their CPU time, while
    ours also holds the time spent waiting for the pipe's reader."""
    wall, cpu = ours

    def part(name, theirs, target):
        r = cpu / theirs
        return (f"{name} {theirs:,.0f} (ratio {r:.1f}x per core, {wall / theirs:.1f}x by wall clock; "
                f"target {target}x: {'met' if r >= target else 'NOT met'})")

    print(f"{label}, simclr, {VIEWS} views, 1 thread: augment {cpu:,.0f} images/s per CPU second "
          f"({wall:,.0f} by wall clock) | {part('torchvision v2', tv, TARGET_TORCHVISION)} | "
          f"{part('albumentations', alb, TARGET_ALBUMENTATIONS)}", flush=True)


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: augment_bench.py AUGMENT_BINARY DECODE_BINARY FMNIST_DIR WORK_DIR")
    augment, decode, fmnist, work = sys.argv[1:5]
    for binary in (augment, decode):
        if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            sys.exit(f"augment_bench: no executable {binary}: swift build -c release --product {os.path.basename(binary)}")
    paths = [os.path.join(fmnist, f) for f in FILES]
    for p in paths:
        if not os.path.exists(p):
            sys.exit(f"augment_bench: missing {p}: install dataset-fashion-mnist or set FMNIST_DIR")
    if not os.path.isdir(work):
        sys.exit(f"augment_bench: no work directory {work}")

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    cv2.setNumThreads(0)
    torch.manual_seed(0)
    np.random.seed(0)
    random.seed(0)

    print(f"augment_bench: python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}, "
          f"torchvision {torchvision.__version__}, albumentations {A.__version__}, cv2 {cv2.__version__}; "
          f"{os.cpu_count()} cores; augment's output to "
          f"{'/dev/null' if null_is_device() else 'a pipe drained by this script (/dev/null is not a character device)'}",
          flush=True)

    # The data, once, untimed.
    images, labels = idx(paths[0]), idx(paths[1])
    assert images.shape == (60000, 28, 28) and labels.shape == (60000,)
    fm = os.path.join(work, "fm.us")
    r = subprocess.run([decode, "fashion-mnist", "--root", fmnist, "--split", "train", "-q", "-o", fm],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        sys.exit(f"decode fashion-mnist failed ({r.returncode}): {r.stderr.decode(errors='replace').strip()}")
    small = torch.from_numpy(images[:N_RGB].copy()).unsqueeze(1)                  # 12000x1x28x28
    rgb = T.Resize(96, antialias=True)(small).expand(-1, 3, -1, -1).contiguous()  # 12000x3x96x96
    assert rgb.shape == (N_RGB, 3, 96, 96) and rgb.dtype == torch.uint8
    rgb96 = os.path.join(work, "rgb96.us")
    unsup.write(rgb96, rgb.numpy(), label=labels[:N_RGB].astype(np.int32))

    # a. 28x28 grey.
    ours28 = time_ours(augment, fm, len(images), 28 * 28, threads=1)
    n = PEER_N[("torchvision", 28)]
    tv28 = time_peer(torchvision_pipeline(28), [torch.from_numpy(images[i].copy()).unsqueeze(0) for i in range(n)])
    n = PEER_N[("albumentations", 28)]
    alb28 = time_peer(lambda im, c=albumentations_pipeline(28, rgb=False): c(image=im)["image"],
                      [images[i].copy() for i in range(n)])
    report("28x28 grey", ours28, tv28, alb28)

    # b. 96x96 RGB.
    ours96 = time_ours(augment, rgb96, N_RGB, 3 * 96 * 96, threads=1)
    n = PEER_N[("torchvision", 96)]
    tv96 = time_peer(torchvision_pipeline(96), [rgb[i].clone() for i in range(n)])
    n = PEER_N[("albumentations", 96)]
    hwc = rgb[:n].permute(0, 2, 3, 1).numpy()
    alb96 = time_peer(lambda im, c=albumentations_pipeline(96, rgb=True): c(image=im)["image"],
                      [np.ascontiguousarray(hwc[i]) for i in range(n)])
    report("96x96 RGB", ours96, tv96, alb96)

    # For information: the tool on 2 threads (it uses every core by default).
    two28 = time_ours(augment, fm, len(images), 28 * 28, threads=2)
    two96 = time_ours(augment, rgb96, N_RGB, 3 * 96 * 96, threads=2)
    print(f"augment --threads 2 (information, wall clock): 28x28 grey {two28[0]:,.0f} images/s "
          f"({two28[0] / ours28[0]:.2f}x 1 thread) | 96x96 RGB {two96[0]:,.0f} images/s "
          f"({two96[0] / ours96[0]:.2f}x 1 thread)", flush=True)


if __name__ == "__main__":
    main()
