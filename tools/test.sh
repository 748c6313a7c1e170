#!/usr/bin/env bash
# Sets up (packages, build) and runs every test through ctest, then the same suite in the
# AddressSanitizer/UBSan build (clang, with debug assertions), then each fuzz target of that
# same build for a bounded time (20 s): one instrumented build serves both, which keeps a fresh
# run under 15 minutes on two cores. Any failure, sanitizer report or fuzz crash fails the run.
#   tools/test.sh            everything (what CI runs)
#   QUICK=1 tools/test.sh    the normal build's tests only
set -euo pipefail
cd "$(dirname "$0")/.."
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
jobs=$(nproc)

tools/setup.sh
echo "== tests (build/), the long validation runs included"
(cd build && ctest --output-on-failure -j "$jobs")
[ "${QUICK:-0}" = 1 ] && exit 0

echo "== tests under AddressSanitizer + UBSan (build-san/)"
# clang with ASan, UBSan and libFuzzer's coverage hooks: the tests and the fuzz targets share
# the one build. -O1 without debug info compiles faster; a report still names the functions on
# its stack (rebuild with -g for line numbers when digging into one). The hostwire command's own
# tests (CLI, sweeps, Slurm, HTML report: files and exit codes) ran in the normal build; the
# instrumented one runs the models' tests, the regression scenarios and the fuzz targets.
BUILD_DIR=build-san CC=clang CXX=clang++ \
  CMAKE_ARGS="-DHOSTWIRE_SANITIZE=ON -DHOSTWIRE_FUZZ=ON -DHOSTWIRE_BENCH=OFF -DHOSTWIRE_CLI_TESTS=OFF -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1" \
  tools/setup.sh
# halt_on_error: any report fails the test that caused it. LeakSanitizer stays on.
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# The long validation runs ran in the normal build; instrumented they take ten times as long.
(cd build-san && ctest --output-on-failure -j "$jobs" -LE 'benchmark|long')

echo "== fuzzing (build-san/), ${FUZZ_SECONDS:-20} s per target"
FUZZ_BUILD_DIR=build-san tools/fuzz.sh "${FUZZ_SECONDS:-20}"
