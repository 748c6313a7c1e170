#!/bin/sh
# Runs one scenario the way the regression baselines are made: from the source root, with the
# scenario path relative to it and a short duration. Used by regenerate.sh and check.sh alike.
#   run_scenario.sh HOSTWIRE SOURCE_DIR NAME OUT_DIR
set -e
hostwire=$1 src=$2 name=$3 out=$4
cd "$src"
SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 "$hostwire" run "scenarios/$name.yaml" --set duration=2ms --out "$out" >/dev/null
