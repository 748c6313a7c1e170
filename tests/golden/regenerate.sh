#!/bin/sh
# Regenerates the regression baselines tests/golden/<scenario>.json, on purpose: run it after a
# reviewed change that moves metrics, look at `git diff tests/golden`, and commit the result.
#   tests/golden/regenerate.sh [HOSTWIRE] [SCENARIO_NAME]...
# HOSTWIRE defaults to build/hostwire; with no names, every scenarios/*.yaml is regenerated.
# A baseline is the run's report.json without its wall-clock block ("wall") and provenance
# (command line, host, date), which differ on
# every run and which `hostwire diff` ignores anyway.
set -e
src=$(cd "$(dirname "$0")/../.." && pwd)
hostwire=${1:-$src/build/hostwire}
[ $# -gt 0 ] && shift
case $hostwire in /*) ;; *) hostwire=$(pwd)/$hostwire ;; esac
[ -x "$hostwire" ] || { echo "no hostwire binary at $hostwire (build first, or pass its path)" >&2; exit 2; }
names=$*
if [ -z "$names" ]; then
  for f in "$src"/scenarios/*.yaml; do names="$names $(basename "$f" .yaml)"; done
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hostwire_regen.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for name in $names; do
  sh "$src/tests/golden/run_scenario.sh" "$hostwire" "$src" "$name" "$tmp/$name"
  if command -v jq >/dev/null; then
    jq 'del(.wall, .provenance)' "$tmp/$name/report.json" > "$src/tests/golden/$name.json"
  else  # without jq the wall block stays (diff ignores it); the file just churns more
    cp "$tmp/$name/report.json" "$src/tests/golden/$name.json"
  fi
  echo "wrote tests/golden/$name.json"
done
