#!/usr/bin/env bash
# Sets up (packages, build) and runs a scenario, the quick start by default:
#   tools/run.sh [SCENARIO] [hostwire run options...]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
scenario=${1:-scenarios/quickstart.yaml}
[ $# -gt 0 ] && shift
exec build/hostwire run "$scenario" "$@"
