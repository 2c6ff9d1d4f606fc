#!/usr/bin/env bash
# Trains the encoder shipped as models/fashion-mnist-moco.bin: MoCo v2 on the poster's
# ConvNet over Fashion-MNIST's 60,000 training images, augment and training running as
# two processes. The per-step loss log goes to models/fashion-mnist-moco.csv and the
# progress lines to models/fashion-mnist-moco.log; then the test split's unit-length
# projections are clustered (K-means, k = 10) and scored, and the encoder's features are
# judged by kNN (k = 20) and a linear probe, train split → test split; the figures are
# appended to the .log. EPOCHS (default 40) and SEED (default 1) change the run; about an
# hour on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
source pipelines/setup.sh

swift build -c release 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]' >&2
export PATH="$PWD/.build/release:$PATH"
EPOCHS="${EPOCHS:-40}"
SEED="${SEED:-1}"
MODEL=models/fashion-mnist-moco.bin
WORK="$(mktemp -d "${TMPDIR:-/tmp}/train_fashion_mnist.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

decode fashion-mnist --split train -q \
  | augment --views 2 --epochs "$EPOCHS" --shuffle --seed "$SEED" --crop-scale 0.2,1 -q \
  | embed train --method moco --batch 256 --queue 8192 --momentum 0.99 --seed "$SEED" \
      --log models/fashion-mnist-moco.csv --checkpoint "$WORK/checkpoint" -o "$MODEL" 2>&1 \
  | tee models/fashion-mnist-moco.log

{
  echo "== the test split: embed --layer head | cluster -k 10 | score"
  decode fashion-mnist --split test -q | embed -m "$MODEL" --layer head -q | cluster -k 10 --seed 0 -q | score -q
  decode fashion-mnist --split all -q | embed -m "$MODEL" -q -o "$WORK/features.us"
  echo "== kNN (k = 20), train → test"
  score knn "$WORK/features.us" -q
  echo "== linear probe, train → test"
  score linear "$WORK/features.us" -q
} | tee -a models/fashion-mnist-moco.log
