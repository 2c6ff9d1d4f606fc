#!/usr/bin/env bash
# Builds the stream reader fuzzer (fuzz/StreamReaderFuzzer.swift) into .build-fuzz/ and runs
# it for SECONDS (default 20), starting from a scratch copy of fuzz/seeds/.
#
#   fuzz/run.sh [SECONDS]
#
# Exits non-zero when libFuzzer finds a crash, a timeout or an out-of-memory; the input that
# caused it is saved in .build-fuzz/artifacts/. Replay one with:
#   .build-fuzz/stream-fuzzer .build-fuzz/artifacts/crash-...
set -euo pipefail

seconds="${1:-20}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

out=.build-fuzz
mkdir -p "$out"

# Standalone build: only Core and Stream, no ArgumentParser and no C modules.
# AddressSanitizer is on because -O removes the bounds checks of unsafe buffer slices.
# UNSUP_INTERNAL_CHECKS makes the writer read back every frame it writes.
echo "building $out/stream-fuzzer" >&2
swiftc -sanitize=fuzzer,address -parse-as-library -O -D UNSUP_INTERNAL_CHECKS \
  -module-cache-path "$out/module-cache" \
  Sources/Shared/Core/*.swift Sources/Shared/Stream/*.swift fuzz/StreamReaderFuzzer.swift \
  -o "$out/stream-fuzzer"

corpus="$out/corpus"
rm -rf "$corpus"
mkdir -p "$corpus" "$out/artifacts"
cp fuzz/seeds/* "$corpus/"

echo "fuzzing for $seconds s" >&2
status=0
# The Swift runtime backtracer and AddressSanitizer both want fatal signals; let ASan report.
export SWIFT_BACKTRACE=enable=no
"$out/stream-fuzzer" "$corpus" \
  -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=4096 -timeout=5 \
  -artifact_prefix="$out/artifacts/" -print_final_stats=1 || status=$?
if [ "$status" -ne 0 ]; then
  echo "fuzz/run.sh: libFuzzer found a problem (exit $status); see $out/artifacts/" >&2
fi
exit "$status"
