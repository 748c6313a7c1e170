#!/bin/sh
# Regression test of one scenario: rerun it as the baseline was made and compare exactly
# (wall-clock fields aside) with tests/golden/NAME.json.
#   check.sh HOSTWIRE SOURCE_DIR NAME
# Exit 0 when equal, 1 when a metric moved (the table says which), 2 on bad input.
hostwire=$1 src=$2 name=$3
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
golden="$src/tests/golden/$name.json"
if [ ! -f "$golden" ]; then
  echo "no baseline $golden; review the scenario's report and run tests/golden/regenerate.sh" >&2
  exit 1
fi
out=$(mktemp -d "${TMPDIR:-/tmp}/hostwire_golden_$name.XXXXXX")
trap 'rm -rf "$out"' EXIT
sh "$src/tests/golden/run_scenario.sh" "$hostwire" "$src" "$name" "$out" || { echo "run failed" >&2; exit 1; }
"$hostwire" diff "$golden" "$out/report.json"
status=$?
if [ $status -eq 1 ]; then
  echo "$name drifted from its baseline. If the change is intended, review it and run" >&2
  echo "  tests/golden/regenerate.sh $hostwire" >&2
fi
exit $status
