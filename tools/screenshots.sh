#!/usr/bin/env bash
# Regenerates the page screenshots in docs/img/ (shown in docs/outputs.md): report.html and
# sweep.html of scenarios/rx_scaling.yaml and scenarios/bulk_tcp.yaml, from short runs and small
# sweeps, photographed by headless Chromium.
#   tools/screenshots.sh [BUILD_DIR]        (default build; needs chromium, see tools/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
hostwire="$build/hostwire"
[ -x "$hostwire" ] || { echo "screenshots: $hostwire not built" >&2; exit 2; }
command -v chromium >/dev/null || { echo "screenshots: chromium not installed (tools/setup.sh)" >&2; exit 2; }
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

shot() {  # PAGE PNG HEIGHT
  chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --hide-scrollbars --user-data-dir="$work/profile" \
    --window-size=1100,"$3" --screenshot="$2" "file://$1" >/dev/null 2>&1
  echo "wrote $2"
}

"$hostwire" run scenarios/rx_scaling.yaml --set duration=5ms --set outputs.timeseries_interval=100us \
  --out "$work/rx_run" >/dev/null
"$hostwire" sweep scenarios/rx_scaling.yaml --grid host_b.cpu.cores=1,2,4 --grid host_b.nic.rings_per_vnic=1,4 \
  --set duration=2ms -j 2 --out "$work/rx_sweep" >/dev/null
"$hostwire" run scenarios/bulk_tcp.yaml --set duration=10ms --set outputs.timeseries_interval=200us \
  --out "$work/bulk_run" >/dev/null
"$hostwire" sweep scenarios/bulk_tcp.yaml --set duration=5ms -j 2 --out "$work/bulk_sweep" >/dev/null

shot "$work/rx_run/report.html" docs/img/rx_scaling_report.png 2400
shot "$work/rx_sweep/sweep.html" docs/img/rx_scaling_sweep.png 2000
shot "$work/bulk_run/report.html" docs/img/bulk_tcp_report.png 2400
shot "$work/bulk_sweep/sweep.html" docs/img/bulk_tcp_sweep.png 1400
