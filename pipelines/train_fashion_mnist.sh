#!/usr/bin/env bash
# Trains the encoder shipped as models/fashion-mnist-moco.bin: MoCo v2 on the poster's
# ConvNet over Fashion-MNIST's 60,000 training images, augment and training running as
# two processes. The per-step loss log goes to models/fashion-mnist-moco.csv and the
# progress lines to models/fashion-mnist-moco.log; then the test split's unit-length
# projections are clustered (K-means, k = 10) and scored, and the encoder's features are
# judged by kNN (k = 20) and a linear probe, train split → test split; the figures are
# appended to the .log. EPOCHS (default 40), TEMPERATURE (default 0.5), CROP (augment's
# --crop-scale, default 0.4,1), QUEUE (default 4096) and SEED (default 1) change the run;
# about 35 minutes on 2 cores. The checkpoint
# stays in out/ (rerun with RESUME=1 after a Ctrl-C to continue the run). EVALUATE_ONLY=1
# skips the training and evaluates the model in models/ again (its figures replace the
# evaluation at the end of the .log).
set -euo pipefail
cd "$(dirname "$0")/.."
source pipelines/setup.sh

swift build -c release 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]' >&2
export PATH="$PWD/.build/release:$PATH"
EPOCHS="${EPOCHS:-40}"
TEMPERATURE="${TEMPERATURE:-0.5}"
CROP="${CROP:-0.4,1}"
QUEUE="${QUEUE:-4096}"
SEED="${SEED:-1}"
MODEL=models/fashion-mnist-moco.bin
WORK="$(mktemp -d "${TMPDIR:-/tmp}/train_fashion_mnist.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p out
CHECKPOINT=out/fashion-mnist-moco.ckpt
RESUMING=()
LOG_MODE=()
if [ -n "${RESUME:-}" ]; then
  RESUMING=(--resume "$CHECKPOINT")
  LOG_MODE=(-a)
fi

if [ -z "${EVALUATE_ONLY:-}" ]; then
decode fashion-mnist --split train -q \
  | augment --views 2 --epochs "$EPOCHS" --shuffle --seed "$SEED" --crop-scale "$CROP" -q \
  | embed train --method moco --batch 256 --queue "$QUEUE" --momentum 0.99 --temperature "$TEMPERATURE" \
      --seed "$SEED" --log models/fashion-mnist-moco.csv --checkpoint "$CHECKPOINT" "${RESUMING[@]}" -o "$MODEL" 2>&1 \
  | tee "${LOG_MODE[@]}" models/fashion-mnist-moco.log
else
  sed -i '/^== the test split/,$d' models/fashion-mnist-moco.log
fi

{
  echo "== the test split: embed --layer head | cluster -k 10 --seed S | score, for S = 0 … 4"
  decode fashion-mnist --split test -q | embed -m "$MODEL" --layer head -q -o "$WORK/projections.us"
  for seed in 0 1 2 3 4; do
    printf 'seed %s: ' "$seed"
    cluster -k 10 --seed "$seed" -q "$WORK/projections.us" | cluster_figures
  done
  printf 'the least inertia of 10 starts (--n-init 10, as pipelines/demo.sh): '
  cluster -k 10 --n-init 10 --seed 0 -q "$WORK/projections.us" | cluster_figures
  decode fashion-mnist --split all -q | embed -m "$MODEL" -q -o "$WORK/features.us"
  echo "== kNN (k = 20), train → test"
  score knn "$WORK/features.us" -q
  echo "== linear probe, train → test"
  score linear "$WORK/features.us" -q
} | tee -a models/fashion-mnist-moco.log
