#!/usr/bin/env bash
# Benchmarks `decode` against its Python peers, side by side in one run on this machine:
#   1. decode fashion-mnist --split all  vs  numpy reading the four .gz files (gzip + frombuffer)
#   2. decode images on 2,000 28x28 grey PNGs (and JPEGs, q90)  vs  Pillow on one core
# Prints our figure, the peer's and the ratio for each. Takes about a minute after the build.
# FMNIST_DIR overrides where Fashion-MNIST's four IDX .gz files are (Debian's dataset-fashion-mnist).
set -euo pipefail

cd "$(dirname "$0")/.."
FMNIST_DIR="${FMNIST_DIR:-/usr/share/datasets/fashion-mnist}"

# Python peers: numpy and Pillow, installed when missing (apt-get / pip; only as root).
need_python() {
  if ! command -v python3 >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && apt-get install -y -qq python3 python3-pip python3-numpy >/dev/null
    else
      echo "bench_decode: python3 is missing; install it (apt-get install python3 python3-pip python3-numpy)" >&2
      exit 1
    fi
  fi
  local module package
  for module in numpy PIL; do
    python3 -c "import $module" 2>/dev/null && continue
    package=$([ "$module" = PIL ] && echo pillow || echo numpy)
    if [ "$(id -u)" = 0 ]; then
      echo "bench_decode: installing $package" >&2
      python3 -m pip install -q "$package" 2>/dev/null \
        || python3 -m pip install -q --break-system-packages "$package" 2>/dev/null \
        || { apt-get update -qq && apt-get install -y -qq "python3-$package" >/dev/null; }
    else
      echo "bench_decode: python3 lacks $module; install it (python3 -m pip install --user $package, or apt-get install python3-$package)" >&2
      exit 1
    fi
    python3 -c "import $module"
  done
}
need_python

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
