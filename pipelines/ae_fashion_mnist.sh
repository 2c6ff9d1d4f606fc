#!/usr/bin/env bash
# The poster's "AE (GMM)" row (../shared/papers/002_*: 91.2% on MNIST) on Fashion-MNIST (or
# set DATASET=mnist): a fully connected autoencoder 784 → 128 → 12 with the mirrored
# decoder, MSE loss, Adam, EPOCHS (default 20) over the train split; then the test split's
# 12-d bottlenecks clustered by a Gaussian mixture (k = 10, full covariance, 10 starts) and
# by K-means (k = 10, 10 starts) for comparison, and the same mixture on raw pixels reduced
# to 12 dimensions by PCA as the baseline without learning. SEED (default 0) seeds training.
# The model goes to out/ae-<dataset>.bin and the report to out/ae-<dataset>.txt. About two
# minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
source pipelines/setup.sh
swift build -c release 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]' >&2
export PATH="$PWD/.build/release:$PATH"

DATASET="${DATASET:-fashion-mnist}"
EPOCHS="${EPOCHS:-20}"
SEED="${SEED:-0}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/ae.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p out
MODEL="out/ae-$DATASET.bin"
decode "$DATASET" --split train -q -o "$WORK/train.us"
decode "$DATASET" --split test -q -o "$WORK/test.us"

{
  echo "== autoencoder on $DATASET: 784 → 128 → 12 → 128 → 784, MSE, Adam, $EPOCHS epochs, seed $SEED"
  embed train "$WORK/train.us" --method ae --widths 128 --features 12 --epochs "$EPOCHS" --seed "$SEED" -o "$MODEL" 2>&1
  embed -m "$MODEL" "$WORK/test.us" -q -o "$WORK/ae.us"
  embed --method pca --dims 12 --fit --save "$WORK/pca.bin" "$WORK/train.us" -q
  embed -m "$WORK/pca.bin" "$WORK/test.us" -q -o "$WORK/pca.us"
  echo "== the test split's embeddings clustered (k = 10, --n-init 10, seed 0)"
  printf 'AE + GMM (full)    '
  cluster "$WORK/ae.us" --method gmm --covariance full -k 10 --n-init 10 --seed 0 -q | cluster_figures
  printf 'AE + K-means       '
  cluster "$WORK/ae.us" -k 10 --n-init 10 --seed 0 -q | cluster_figures
  printf 'PCA-12 + GMM       '
  cluster "$WORK/pca.us" --method gmm --covariance full -k 10 --n-init 10 --seed 0 -q | cluster_figures
} | tee "out/ae-$DATASET.txt"
