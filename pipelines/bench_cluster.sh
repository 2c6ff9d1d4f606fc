#!/usr/bin/env bash
# Benchmarks `cluster` against its Python peers, side by side in one run on this machine,
# on Fashion-MNIST's 70,000 raw 28x28 images as 784-vectors scaled to [0, 1]:
#   1. K-means k=10: ms per iteration and ACC  vs  faiss (every point) and scikit-learn
#   2. GMM diag k=10 (from K-means): ms per EM iteration and ACC  vs  scikit-learn
#   3. Sinkhorn balanced assignment of the 70,000 records to the 10 K-means centres
#      vs  the same log-domain iterations in numpy/scipy
# Prints our figure, the peer's and the ratio for each. Takes about two to four minutes on
# 2 cores after the build. SEEDS (default "0 1") sets the K-means seeds; the GMM and
# Sinkhorn use the first. FMNIST_DIR overrides where Fashion-MNIST's IDX .gz files are.
set -euo pipefail

cd "$(dirname "$0")/.."
FMNIST_DIR="${FMNIST_DIR:-/usr/share/datasets/fashion-mnist}"
export SEEDS="${SEEDS:-0 1}"

# Builds need what setup.sh installs; the Python peers come from PyPI.
source pipelines/setup.sh scipy sklearn=scikit-learn faiss=faiss-cpu

if [ ! -f "$FMNIST_DIR/train-images-idx3-ubyte.gz" ]; then
  echo "bench_cluster: no Fashion-MNIST in $FMNIST_DIR; apt-get install dataset-fashion-mnist or set FMNIST_DIR" >&2
  exit 1
fi

# Release build (SwiftPM waits by itself if another build holds .build).
swift build -c release --product cluster >/dev/null
swift build -c release --product decode >/dev/null
BIN="$(swift build -c release --show-bin-path)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench_cluster.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# Fashion-MNIST once, as a stream: train then test, labels kept (ACC needs them).
"$BIN/decode" fashion-mnist --root "$FMNIST_DIR" --split all -q -o "$WORK/fm.us"

echo "bench_cluster: $(nproc) cores, $(uname -m), python $(python3 -c 'import platform, numpy, scipy, sklearn, faiss; print(platform.python_version(), "numpy", numpy.__version__, "scipy", scipy.__version__, "scikit-learn", sklearn.__version__, "faiss", faiss.__version__)')"
PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}" python3 pipelines/bench/cluster_bench.py "$BIN/cluster" "$WORK"
