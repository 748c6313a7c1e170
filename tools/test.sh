#!/usr/bin/env bash
# Sets up (packages, build) and runs every test through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
cd build
ctest --output-on-failure -j "$(nproc)" "$@"
