#!/usr/bin/env bash
# Benchmarks `embed` against PyTorch on the poster's ConvNet (conv 1→32, conv 32→64,
# max-pool, linear 9216→128), side by side in one run on this machine, both on THREADS
# threads (default 2):
#   1. training: a MoCo v2 step (query forward and backward, momentum key encoder, queue of
#      4096, InfoNCE at τ 0.2, SGD), batch 256, images/s (each image is two views)
#   2. inference: the encoder over Fashion-MNIST's 10,000 test images, images/s
# PyTorch runs ../shared/bench/peers/torch_convnet.py (random inputs, in memory); ours is
# the whole tool: views read from a file and converted, or images read and vectors written.
# Prints our figure, PyTorch's and the ratio (targets: 1.5x for training, 2x for inference).
# RUNS (default 3) repeats each side and keeps its best. About two minutes after the build.
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS="${THREADS:-2}"
RUNS="${RUNS:-3}"
PEER="${PEER:-../shared/bench/peers/torch_convnet.py}"
source pipelines/setup.sh torch

swift build -c release --product embed >/dev/null
swift build -c release --product augment >/dev/null
swift build -c release --product decode >/dev/null
BIN="$(swift build -c release --show-bin-path)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench_embed.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

"$BIN/decode" fashion-mnist --split train --limit 12800 -q \
  | "$BIN/augment" --views 2 --epochs 1 --shuffle -q -o "$WORK/views.us"
"$BIN/decode" fashion-mnist --split test -q -o "$WORK/test.us"

best() { sort -g | tail -1; }
train_rate() {
  # The loop's own images/s after its 50 steps (the log's last line), as the peer times
  # its steps alone.
  "$BIN/embed" train "$WORK/views.us" --head none --queue 4096 --momentum 0.999 --temperature 0.2 \
    --optimizer sgd --lr 0.03 --weight-decay 1e-4 --batch 256 --threads "$THREADS" \
    --log "$WORK/log.csv" -q -o "$WORK/model.bin"
  tail -1 "$WORK/log.csv" | cut -d, -f5
}
infer_rate() {
  local start end
  start=$(date +%s.%N)
  "$BIN/embed" -m "$WORK/model.bin" "$WORK/test.us" --threads "$THREADS" -q -o "$WORK/vectors.us"
  end=$(date +%s.%N)
  python3 -c "print(10000 / ($end - $start))"
}

ours_train=$(for i in $(seq "$RUNS"); do train_rate; done | best)
ours_infer=$(for i in $(seq "$RUNS"); do infer_rate; done | best)
peer_train=0
peer_infer=0
for i in $(seq "$RUNS"); do
  out=$(THREADS="$THREADS" python3 "$PEER")
  peer_infer=$(printf '%s\n%s\n' "$peer_infer" "$(echo "$out" | sed -n 's/^inference batch 256: \([0-9]*\) images.*/\1/p')" | best)
  peer_train=$(printf '%s\n%s\n' "$peer_train" "$(echo "$out" | sed -n 's/^moco v2 train step batch 256: \([0-9]*\) images.*/\1/p')" | best)
done

echo "bench_embed: $(nproc) cores, $THREADS threads, torch $(python3 -c 'import torch; print(torch.__version__)'), best of $RUNS"
printf '%-34s %10s %10s %7s\n' "" "embed" "PyTorch" "ratio"
printf '%-34s %10.0f %10.0f %6.2fx\n' "MoCo v2 step, batch 256 (images/s)" "$ours_train" "$peer_train" "$(python3 -c "print($ours_train / $peer_train)")"
printf '%-34s %10.0f %10.0f %6.2fx\n' "inference (images/s)" "$ours_infer" "$peer_infer" "$(python3 -c "print($ours_infer / $peer_infer)")"
