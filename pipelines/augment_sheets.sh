#!/usr/bin/env bash
# Draws one contact sheet per augment preset, for docs/AUGMENT.md: the first eight
# Fashion-MNIST test images, one per row, the original first, then 11 views of the preset.
# RGB presets run on the grey images too; their colour ops then act on grey levels.
# Usage: pipelines/augment_sheets.sh [OUT_DIR]   (default docs/img)
set -euo pipefail
cd "$(dirname "$0")/.."
source pipelines/setup.sh
out="${1:-docs/img}"
mkdir -p "$out"

swift build -c release --product decode >&2
swift build -c release --product augment >&2
swift build -c release --product view >&2
export PATH="$PWD/.build/release:$PATH"

work="$(mktemp -d "${TMPDIR:-/tmp}/augment_sheets.XXXXXX")"
trap 'rm -rf "$work"' EXIT
decode fashion-mnist --split test --limit 8 -q > "$work/images.us"
# The originals (the none preset, one view) come first in each row.
augment "$work/images.us" --preset none --views 1 -q > "$work/original.us"

for preset in simclr moco-v1 moco-v2 byol digits none; do
  augment "$work/images.us" --preset "$preset" --views 11 --seed 1 -q > "$work/views.us"
  # view --by view puts the records of one id in one row, in the order they come.
  cat "$work/original.us" "$work/views.us" | view -o "$out/augment-$preset.png" --by view --columns 12 --rows 8 --zoom 2
  echo "wrote $out/augment-$preset.png"
done
