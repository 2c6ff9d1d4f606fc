# Sourced by the pipeline scripts: makes sure what Debian and PyPI must provide is here.
# As root it installs what is missing; otherwise it says what to install and stops.
# Usage: source pipelines/setup.sh [MODULE[=PYPI-PACKAGE] ...]
#   e.g. `source pipelines/setup.sh pytest`, `source pipelines/setup.sh sklearn=scikit-learn`:
#   extra Python modules the script needs, besides numpy.

unsup_debian_packages=(pkg-config zlib1g-dev libpng-dev libturbojpeg0-dev libopenblas-dev dataset-fashion-mnist)
unsup_python_modules=(numpy "$@")

unsup_missing_debian=()
for package in "${unsup_debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || unsup_missing_debian+=("$package")
done
unsup_missing_python=()
for entry in "${unsup_python_modules[@]}"; do
  python3 -c "import ${entry%%=*}" 2>/dev/null || unsup_missing_python+=("${entry#*=}")
done

if ((${#unsup_missing_debian[@]} + ${#unsup_missing_python[@]})); then
  if [[ $(id -u) == 0 ]]; then
    if ((${#unsup_missing_debian[@]})); then
      echo "setup: installing ${unsup_missing_debian[*]}" >&2
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${unsup_missing_debian[@]}" >&2
    fi
    if ((${#unsup_missing_python[@]})); then
      echo "setup: pip installing ${unsup_missing_python[*]}" >&2
      python3 -m pip install -q "${unsup_missing_python[@]}" >&2
    fi
  else
    echo "setup: missing; please install, then run again:" >&2
    ((${#unsup_missing_debian[@]})) && echo "  sudo apt-get install ${unsup_missing_debian[*]}" >&2
    ((${#unsup_missing_python[@]})) && echo "  python3 -m pip install ${unsup_missing_python[*]}" >&2
    exit 1
  fi
fi
command -v swift >/dev/null || { echo "setup: the Swift toolchain (swift) is not on PATH" >&2; exit 1; }

# For the scripts: a clustered stream on stdin, scored on one line as ACC, NMI and ARI.
cluster_figures() {
  score --json -q | python3 -c 'import json, sys; r = json.load(sys.stdin); print("ACC %.4f  NMI %.4f  ARI %.4f" % (r["acc"], r["nmi"], r["ari"]))'
}
