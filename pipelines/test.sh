#!/usr/bin/env bash
# The whole test suite: Swift unit and end-to-end tests, the Python package's tests
# (which also pipe streams through the built tools), and a short fuzz run of the reader.
set -euo pipefail
cd "$(dirname "$0")/.."
source pipelines/setup.sh --python-tests

echo "== swift build" >&2
swift build --build-tests 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]' >&2
echo "== swift test" >&2
swift test --skip-build 2>&1
echo "== python tests" >&2
UNSUP_BIN="$(swift build --show-bin-path)" python3 -m pytest -q -p no:cacheprovider python/tests
echo "== fuzz the stream reader (${UNSUP_FUZZ_SECONDS:-20} s)" >&2
fuzz/run.sh "${UNSUP_FUZZ_SECONDS:-20}"
