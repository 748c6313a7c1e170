#!/usr/bin/env bash
# Sets up (packages, build) and runs every test through ctest, then the same suite in the
# AddressSanitizer/UBSan build (with debug assertions), then each fuzz target for a bounded
# time (20 s). Any failure, sanitizer report or fuzz crash fails the run.
#   tools/test.sh            everything (what CI runs)
#   QUICK=1 tools/test.sh    the normal build's tests only
set -euo pipefail
cd "$(dirname "$0")/.."
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
jobs=$(nproc)

tools/setup.sh
echo "== tests (build/)"
(cd build && ctest --output-on-failure -j "$jobs")
[ "${QUICK:-0}" = 1 ] && exit 0

echo "== tests under AddressSanitizer + UBSan (build-asan/)"
# -O1 without debug info: the instrumented build compiles faster; a report still names the
# functions on its stack (rebuild with -g for line numbers when digging into one).
BUILD_DIR=build-asan CMAKE_ARGS="-DHOSTWIRE_SANITIZE=ON -DHOSTWIRE_BENCH=OFF -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1" \
  tools/setup.sh
# halt_on_error: any report fails the test that caused it. LeakSanitizer stays on.
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
(cd build-asan && ctest --output-on-failure -j "$jobs" -LE benchmark)

echo "== fuzzing (build-fuzz/), ${FUZZ_SECONDS:-20} s per target"
tools/fuzz.sh "${FUZZ_SECONDS:-20}"
