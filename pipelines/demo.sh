#!/usr/bin/env bash
# The main job on the embedded default data (Fashion-MNIST from Debian's
# dataset-fashion-mnist): decode it, describe it, and draw a contact sheet by class.
# Then K-means on the raw pixels, scored against the labels; then the same on the vectors
# of the shipped MoCo encoder (models/fashion-mnist-moco.bin, made by
# pipelines/train_fashion_mnist.sh), and a kNN probe of them.
set -euo pipefail
cd "$(dirname "$0")/.."
source pipelines/setup.sh

swift build -c release 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]' >&2
export PATH="$PWD/.build/release:$PATH"
mkdir -p out

echo "== decode fashion-mnist | view --info"
decode fashion-mnist | view --info

echo "== a contact sheet: 12 random images of each class, one class per row"
decode fashion-mnist --shuffle --seed 1 --limit 3000 -q | view -o out/fashion-mnist.png --by label --columns 12 --zoom 2
echo "wrote out/fashion-mnist.png"

echo "== K-means on the raw pixels, scored against the labels"
decode fashion-mnist | cluster -k 10 --seed 0 | score

echo "== the shipped MoCo encoder: embed | cluster -k 10 | score"
decode fashion-mnist --split test | embed -m models/fashion-mnist-moco.bin --layer head | cluster -k 10 --n-init 10 --seed 0 | score

echo "== kNN (k = 20) on the encoder's features: train split → test split"
decode fashion-mnist --split all | embed -m models/fashion-mnist-moco.bin | score knn
