#!/usr/bin/env bash
# CALM (convolution as local mixture, ../shared/papers/000_*) on Fashion-MNIST (or set
# DATASET=mnist): filters learned by EM with the authors' MNIST recipe (64 filters of
# 20×20, padding 2, 15 passes; FILTERS, PATCH, PASSES override it) on the train split,
# then
#   - K-means (k = 10, 10 starts) on the test split's features: ACC, NMI, ARI;
#   - linear probes with 100 and 1,000 labels (drawn per class, seeds 0, 1, 2; the mean
#     is printed) and with all 60,000, on CALM's features (pooled over the image, and over
#     a 3×3 grid) and on raw pixels — the paper's claim is that the unsupervised filters
#     help most when labels are few;
#   - the time of one EM pass over the 60,000 train images with 64 filters of 5×5 against
#     one epoch of MoCo training of the shipped encoder's recipe, side by side;
#   - the filters as a PNG sheet, docs/img/calm-<dataset>-filters.png.
# The model goes to out/calm-<dataset>.bin and the report to out/calm-<dataset>.txt.
# About 10 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
source pipelines/setup.sh
swift build -c release 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]' >&2
export PATH="$PWD/.build/release:$PATH"

DATASET="${DATASET:-fashion-mnist}"
FILTERS="${FILTERS:-64}"
PATCH="${PATCH:-20}"
PASSES="${PASSES:-15}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/calm.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p out docs/img
MODEL="out/calm-$DATASET.bin"
REPORT="out/calm-$DATASET.txt"
decode "$DATASET" --split train -q -o "$WORK/train.us"
decode "$DATASET" --split all -q -o "$WORK/all.us"
decode "$DATASET" --split test -q -o "$WORK/test.us"

# The mean linear-probe accuracy of a feature stream over three draws of $2 labels.
probe() {
  for seed in 0 1 2; do score linear "$1" --labels "$2" --seed "$seed" --json -q; done \
    | python3 -c 'import json, sys; a = [json.loads(l)["accuracy"] for l in sys.stdin]; print("%.4f" % (sum(a) / len(a)))'
}

{
  echo "== CALM on $DATASET: $FILTERS filters of ${PATCH}×$PATCH, padding 2, $PASSES EM passes over the train split"
  embed train "$WORK/train.us" --method calm --filters "$FILTERS" --patch "$PATCH" --padding 2 --epochs "$PASSES" -o "$MODEL" 2>&1
  embed filters -m "$MODEL" -o "docs/img/calm-$DATASET-filters.png"
  embed -m "$MODEL" "$WORK/all.us" -q -o "$WORK/calm.us"
  embed -m "$MODEL" --grid 3 "$WORK/all.us" -q -o "$WORK/grid.us"
  embed "$WORK/all.us" -q -o "$WORK/raw.us"
  embed -m "$MODEL" "$WORK/test.us" -q -o "$WORK/calm-test.us"
  embed "$WORK/test.us" -q -o "$WORK/raw-test.us"

  echo "== K-means (k = 10, --n-init 10) on the test split"
  for features in calm raw; do
    printf '%-5s ' "$features"
    cluster -k 10 --n-init 10 --seed 0 -q "$WORK/$features-test.us" | cluster_figures
  done

  echo "== linear probe, train → test, mean accuracy over 3 draws of the labels"
  echo "(calm: $FILTERS features pooled over the image; calm-grid3: $((FILTERS * 9)), pooled over a 3×3 grid; raw: 784 pixels)"
  printf '%-8s %10s %10s %10s\n' labels calm calm-grid3 raw
  for labels in 100 1000 all; do
    row=()
    for features in calm grid raw; do
      if [ "$labels" = all ]; then
        row+=("$(score linear "$WORK/$features.us" --json -q | python3 -c 'import json, sys; print("%.4f" % json.load(sys.stdin)["accuracy"])')")
      else
        row+=("$(probe "$WORK/$features.us" "$labels")")
      fi
    done
    printf '%-8s %10s %10s %10s\n' "$labels" "${row[@]}"
  done

  echo "== speed: one CALM EM pass (64 filters of 5×5) against one MoCo epoch (the shipped recipe), 60,000 images"
  start=$(date +%s.%N)
  embed train "$WORK/train.us" --method calm --filters 64 --patch 5 --padding 2 --epochs 1 -q -o "$WORK/calm5.bin"
  calm_seconds=$(python3 -c "import time; print('%.1f' % (time.time() - $start))")
  start=$(date +%s.%N)
  augment "$WORK/train.us" --views 2 --epochs 1 --shuffle --seed 1 --crop-scale 0.4,1 -q \
    | embed train --method moco --batch 256 --queue 4096 --momentum 0.99 --temperature 0.5 --seed 1 -q -o "$WORK/moco.bin"
  moco_seconds=$(python3 -c "import time; print('%.1f' % (time.time() - $start))")
  echo "CALM EM pass  ${calm_seconds} s"
  echo "MoCo epoch    ${moco_seconds} s"
  python3 -c "print('ratio         %.1f× (MoCo epoch / CALM pass)' % ($moco_seconds / $calm_seconds))"
} | tee "$REPORT"
