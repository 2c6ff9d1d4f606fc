#!/usr/bin/env bash
# Benchmarks `decode` against its Python peers, side by side in one run on this machine:
#   1. decode fashion-mnist --split all  vs  numpy reading the four .gz files (gzip + frombuffer)
#   2. decode images on 2,000 28x28 grey PNGs (and JPEGs, q90)  vs  Pillow on one core
# Prints our figure, the peer's and the ratio for each. Takes about a minute after the build.
# FMNIST_DIR overrides where Fashion-MNIST's four IDX .gz files are (Debian's dataset-fashion-mnist).
set -euo pipefail

cd "$(dirname "$0")/.."
FMNIST_DIR="${FMNIST_DIR:-/usr/share/datasets/fashion-mnist}"

# Builds need what setup.sh installs; the Python peers come from PyPI.
source pipelines/setup.sh PIL=pillow

if [ ! -f "$FMNIST_DIR/train-images-idx3-ubyte.gz" ]; then
  echo "bench_decode: no Fashion-MNIST in $FMNIST_DIR; apt-get install dataset-fashion-mnist or set FMNIST_DIR" >&2
  exit 1
fi

# Release build (SwiftPM waits by itself if another build holds .build).
swift build -c release --product decode >/dev/null
DECODE="$(swift build -c release --show-bin-path)/decode"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench_decode.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

echo "bench_decode: $(nproc) cores, $(uname -m), python $(python3 -c 'import platform, numpy, PIL; print(platform.python_version(), "numpy", numpy.__version__, "Pillow", PIL.__version__)')"
python3 pipelines/bench/decode_bench.py "$DECODE" "$FMNIST_DIR" "$WORK"
