#!/usr/bin/env bash
# Runs every comparison of hostwire with an independent oracle (the validation tests, the long
# ones included, and the NIC's RSS table test), each test in its own process, and writes
# docs/validation.md and docs/validation.html from the rows the tests record
# (tests/support/validation_row.h). Exit status 1 when a test or a row fails.
#   tools/validate.sh            # about 5 minutes on 2 cores
#   FILTER='Tcp.*' tools/validate.sh   # a subset (the pages then list only its rows)
set -euo pipefail
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
[ -x "$BUILD_DIR/tests/validation_tests" ] || tools/setup.sh
OUT=${OUT:-out/validation}
rm -rf "$OUT" && mkdir -p "$OUT"
FILTER=${FILTER:-*}

# "binary test" per line, every test of the binaries that hold oracle comparisons.
binaries=("$BUILD_DIR/tests/validation_tests" "$BUILD_DIR/models/nic/tests/nic_logic_tests")
for b in "${binaries[@]}"; do
  "$b" --gtest_list_tests --gtest_filter="$FILTER" | awk -v b="$b" '
    /^[^ ]/ { suite = $1 } /^  / { print b, suite $1 }'
done > "$OUT/tests.txt"
echo "validate: $(wc -l < "$OUT/tests.txt") tests, $(nproc) at a time"

run_one() {  # binary test
  local name=${2//\//_}
  "$1" --gtest_filter="$2" --gtest_output="json:$OUT/$name.json" > "$OUT/$name.log" 2>&1 || echo "$2" >> "$OUT/failed.txt"
}
export -f run_one
export OUT
xargs -P "$(nproc)" -L 1 bash -c 'run_one "$0" "$1"' < "$OUT/tests.txt"

python3 tools/validation_report.py --build-dir "$BUILD_DIR" --md docs/validation.md --html docs/validation.html "$OUT"/*.json
if [ -s "$OUT/failed.txt" ]; then
  echo "validate: failed tests:"; cat "$OUT/failed.txt"; exit 1
fi
