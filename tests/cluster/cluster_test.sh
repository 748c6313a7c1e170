#!/usr/bin/env bash
# `hostwire sweep --slurm --submit` against a real single-node Slurm (slurm-wlm + munge),
# started here under a temporary folder and stopped at the end, whatever happens.
#   tests/cluster/cluster_test.sh HOSTWIRE_BIN SOURCE_DIR
# Checks: a 4-point sweep run as a Slurm array gives the same sweep.csv as a local sweep, and
# the same report.json per point apart from "wall" and "provenance"; --collect exits non-zero while points are
# missing and names their Slurm state and log; a second --slurm --submit resubmits only the
# missing points (--array=1,3%2); a point that fails is listed as failed with Slurm's state.
# Exit 77 (skipped) when Slurm is not installed, unless CI=true, where that is a failure.
set -euo pipefail
hostwire=$(realpath "$1")
src=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1

# shellcheck source=slurm_cluster.sh
source "$here/slurm_cluster.sh"

missing=$(cluster_missing_binaries)
if [ -n "$missing" ]; then
  msg="Slurm test cluster: not installed: $missing (tools/setup.sh installs slurm-wlm and munge)"
  if [ "${CI:-}" = true ]; then
    echo "FAIL: $msg" >&2
    exit 1
  fi
  echo "SKIP: $msg" >&2
  exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hostwire-cluster.XXXXXX")
chmod 755 "$tmp"
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  cluster_stop
  if [ "$rc" -eq 0 ]; then
    rm -rf "$tmp"
  else
    echo "FAILED (exit $rc); the cluster's logs and the sweeps are kept in $tmp" >&2
    for f in "$tmp"/cluster/log/*; do
      [ -f "$f" ] && { echo "--- $f (last lines)" >&2; tail -n 15 "$f" >&2; }
    done
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
step() { echo "== $*"; }

t0=$(date +%s.%N)
cluster_start "$tmp/cluster" || fail "the test cluster did not start"
step "cluster ready in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"
sinfo

# Waits until squeue shows none of the given job's tasks (at most $2 seconds).
wait_job() {
  local job=$1 limit=${2:-180} i
  for ((i = 0; i < limit * 5; i++)); do
    [ -z "$(squeue -h -j "$job" -o %i 2>/dev/null)" ] && return 0
    sleep 0.2
  done
  squeue -j "$job" >&2 || true
  fail "job $job still queued after $limit s"
}

# Same report apart from the wall-clock and provenance blocks (command line, host, date).
same_report() {
  python3 - "$1" "$2" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for r in (a, b):
    r.pop("wall", None)
    r.pop("provenance", None)
if a != b:
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            print(f"differs at '{k}'", file=sys.stderr)
    sys.exit(1)
EOF
}

job_of() { sed -n 's/^submitted Slurm job \([0-9][0-9]*\):.*/\1/p' "$1"; }

cd "$tmp"
scenario=$src/scenarios/quickstart.yaml
grid=(--grid link0.rate=1Gbps,10Gbps --grid workloads.blast.frame_size=64B,1518B --set duration=1ms)

step "local sweep"
"$hostwire" sweep "$scenario" "${grid[@]}" -j 2 --out local >local.out 2>&1 || { cat local.out; fail "local sweep"; }

step "the same sweep as a Slurm array job"
out="slurm sweep"  # a space in the path: quoting in #SBATCH lines and in the script
"$hostwire" sweep "$scenario" "${grid[@]}" --slurm --submit --max-parallel 2 --time 10 --out "$out" >submit1.out 2>&1 ||
  { cat submit1.out; fail "--slurm --submit"; }
cat submit1.out
job=$(job_of submit1.out)
[ -n "$job" ] || fail "no job id printed"
grep -qx '#SBATCH --array=0-3%2' "$out/sweep.sbatch" || fail "sweep.sbatch: expected --array=0-3%2"
grep -qx '#SBATCH --time=10' "$out/sweep.sbatch" || fail "sweep.sbatch: expected --time=10"
grep -q '^#SBATCH --partition' "$out/sweep.sbatch" && fail "sweep.sbatch: --partition written though not given"
wait_job "$job"

step "collect"
"$hostwire" sweep --collect "$out" >collect1.out 2>&1 || { cat collect1.out; fail "--collect after the job ended"; }
cat collect1.out
cmp local/sweep.csv "$out/sweep.csv" || { diff local/sweep.csv "$out/sweep.csv" >&2; fail "sweep.csv differs from the local sweep's"; }
for k in 0 1 2 3; do
  same_report "local/points/$k/report.json" "$out/points/$k/report.json" || fail "point $k: report.json differs"
  [ -f "$out/points/$k/slurm-${job}_$k.out" ] || fail "point $k: no Slurm log slurm-${job}_$k.out"
  grep -q "\"slurm_array_job_id\": \"$job\"" "$out/points/$k/status.json" || fail "point $k: status.json lacks the job id"
  grep -q '"status": "ok"' "$out/points/$k/status.json" || fail "point $k: status.json not ok"
done

step "nothing to resubmit while every point is ok"
"$hostwire" sweep "$scenario" "${grid[@]}" --slurm --submit --max-parallel 2 --out "$out" >submit-none.out 2>&1 ||
  { cat submit-none.out; fail "--slurm --submit with every point ok"; }
grep -q "nothing to submit" submit-none.out || { cat submit-none.out; fail "expected nothing to submit"; }
[ -z "$(job_of submit-none.out)" ] || fail "submitted although every point was ok"

step "points 1 and 3 lost: --collect fails and names them, resubmission runs only them"
rm -f "$out"/points/{1,3}/report.json "$out"/points/{1,3}/status.json
set +e
"$hostwire" sweep --collect "$out" >collect2.out 2>&1
rc=$?
set -e
cat collect2.out
[ "$rc" -eq 1 ] || fail "--collect with missing points: exit $rc, expected 1"
grep -q "^missing: point 1 " collect2.out || fail "--collect does not list point 1 as missing"
grep -q "^missing: point 3 " collect2.out || fail "--collect does not list point 3 as missing"
grep -q "slurm: job ${job}_1 .*; log .*/points/1/slurm-${job}_1.out" collect2.out || fail "--collect: no Slurm state/log for point 1"
grep -q "^missing: point [02] " collect2.out && fail "--collect lists an ok point as missing"
grep -q -- "--slurm --submit" collect2.out || fail "--collect does not say how to resubmit"

"$hostwire" sweep "$scenario" "${grid[@]}" --slurm --submit --max-parallel 2 --out "$out" >submit2.out 2>&1 ||
  { cat submit2.out; fail "resubmission"; }
cat submit2.out
job2=$(job_of submit2.out)
[ -n "$job2" ] && [ "$job2" != "$job" ] || fail "resubmission: no new job id"
grep -qx '#SBATCH --array=1,3%2' "$out/sweep.sbatch" || fail "resubmission: expected --array=1,3%2, got $(grep -- --array "$out/sweep.sbatch")"
grep -q "array 1,3%2 (2 points)" submit2.out || fail "resubmission: expected 'array 1,3%2 (2 points)'"
wait_job "$job2"
"$hostwire" sweep --collect "$out" >collect3.out 2>&1 || { cat collect3.out; fail "--collect after resubmission"; }
cmp local/sweep.csv "$out/sweep.csv" || fail "sweep.csv differs from the local sweep's after resubmission"
for k in 1 3; do
  same_report "local/points/$k/report.json" "$out/points/$k/report.json" || fail "point $k (resubmitted): report.json differs"
  [ -f "$out/points/$k/slurm-${job2}_$k.out" ] || fail "point $k: no log of the resubmission"
done
[ -f "$out/points/0/slurm-${job2}_0.out" ] && fail "point 0 ran again in the resubmission"

step "a point that fails (frame larger than the MTU) is failed, with Slurm's state"
fgrid=(--grid workloads.blast.frame_size=64B,9000B --set duration=1ms)
"$hostwire" sweep "$scenario" "${fgrid[@]}" --slurm --submit --out failing >submit3.out 2>&1 || { cat submit3.out; fail "submit"; }
job3=$(job_of submit3.out)
wait_job "$job3"
set +e
"$hostwire" sweep --collect failing >collect4.out 2>&1
rc=$?
set -e
cat collect4.out
[ "$rc" -eq 1 ] || fail "--collect with a failed point: exit $rc, expected 1"
grep -q "^failed: point 1 " collect4.out || fail "point 1 not listed as failed"
grep -q "slurm: job ${job3}_1 FAILED" collect4.out || fail "point 1: Slurm state FAILED not shown"
grep -q '"exit_code": 2' failing/points/1/status.json || fail "point 1: status.json exit_code 2 expected"

step "ok"
