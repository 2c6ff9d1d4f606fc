#!/usr/bin/env bash
# Benchmarks `augment` against its Python peers, side by side in one run on this machine:
# SimCLR's recipe (`--preset simclr`), 2 views per image, every side on ONE thread (so the
# figures are per core), in images/s:
#   1. 28x28 grey: Fashion-MNIST's 60,000 training images
#   2. 96x96 RGB: the first 12,000 of them resized to 96 and repeated to 3 channels
# against torchvision.transforms.v2 (uint8 tensors) and albumentations (uint8 numpy arrays),
# with the ratios ours/torchvision (target 20x) and ours/albumentations (target 3x); then
# augment on 2 threads, for information. Takes about a minute or two after the build.
# FMNIST_DIR overrides where Fashion-MNIST's IDX .gz files are (Debian's dataset-fashion-mnist).
set -euo pipefail

cd "$(dirname "$0")/.."
FMNIST_DIR="${FMNIST_DIR:-/usr/share/datasets/fashion-mnist}"

# Builds need what setup.sh installs; the Python peers come from PyPI.
source pipelines/setup.sh torch torchvision albumentations

if [ ! -f "$FMNIST_DIR/train-images-idx3-ubyte.gz" ]; then
  echo "bench_augment: no Fashion-MNIST in $FMNIST_DIR; apt-get install dataset-fashion-mnist or set FMNIST_DIR" >&2
  exit 1
fi

# Release build (SwiftPM waits by itself if another build holds .build).
swift build -c release --product augment >/dev/null
swift build -c release --product decode >/dev/null
BIN="$(swift build -c release --show-bin-path)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench_augment.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# The Python script prints the versions of Python and of every peer.
echo "bench_augment: $(nproc) cores, $(uname -m)"
PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}" python3 pipelines/bench/augment_bench.py \
  "$BIN/augment" "$BIN/decode" "$FMNIST_DIR" "$WORK"
