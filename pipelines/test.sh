#!/usr/bin/env bash
# The whole test suite: Swift unit and end-to-end tests, the Python package's tests
# (which also pipe streams through the built tools), and a short fuzz run of the reader.
# Ends with one line counting everything: "tests: N passed, 0 failed".
set -euo pipefail
cd "$(dirname "$0")/.."
source pipelines/setup.sh pytest
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== swift build" >&2
swift build --build-tests 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]' >&2
echo "== swift test" >&2
swift test --skip-build --disable-xctest 2>&1 | tee "$log"
swift_passed=$(grep -oE 'Test run with [0-9]+ tests?' "$log" | grep -oE '[0-9]+' | tail -1)
echo "== python tests" >&2
UNSUP_BIN="$(swift build --show-bin-path)" python3 -m pytest -q -p no:cacheprovider python/tests 2>&1 | tee "$log"
python_passed=$(grep -oE '^[0-9]+ passed' "$log" | grep -oE '[0-9]+' | tail -1)
echo "== fuzz the stream reader (${UNSUP_FUZZ_SECONDS:-20} s)" >&2
fuzz/run.sh "${UNSUP_FUZZ_SECONDS:-20}" > "$log" 2>&1 || { cat "$log"; echo "fuzz: the stream reader failed" >&2; exit 1; }
grep -E '^Done [0-9]+ runs' "$log"

echo "tests: $((swift_passed + python_passed + 1)) passed, 0 failed"
