#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) in build-fuzz/ (or FUZZ_BUILD_DIR) and runs each for a
# bounded time on its seed corpus (tests/fuzz/corpus/<target>, never written to). A crash,
# leak, timeout or sanitizer report fails the run; the input is kept in
# build-fuzz/artifacts/<target>/ — copy it into tests/fuzz/regressions/<target>/ once fixed.
#   tools/fuzz.sh [SECONDS_PER_TARGET=30] [TARGET...]
# FUZZ_BUILD_DIR picks another instrumented build (tools/test.sh uses its sanitizer build).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
targets=("$@")
dir=${FUZZ_BUILD_DIR:-build-fuzz}
[ ${#targets[@]} -gt 0 ] || targets=(scenario quantity packet pcap framer_length_prefix framer_delimiter framer_http framer_tls http_request)

if [ ! -f "$dir/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOSTWIRE_FUZZ=ON >/dev/null
fi
build_status=0
cmake --build "$dir" --target fuzz_targets -j "$(nproc)" > "$dir/build.log" 2>&1 || build_status=$?
grep -vE '^\[[0-9]+/[0-9]+\] (Building|Linking)' "$dir/build.log" || true
[ $build_status -eq 0 ] || { echo "fuzz: build failed"; exit $build_status; }

# The targets run side by side (one process each; the machine's cores share them), then
# each is judged from its log.
run_one() {
  local t=$1 work
  work=$(mktemp -d)
  mkdir -p "$dir/artifacts/$t"
  # -rss_limit_mb bounds memory; -timeout flags any single input slower than 10 s.
  "$dir"/tests/fuzz/fuzz_"$t" "$work" "tests/fuzz/corpus/$t" -max_total_time="$seconds" -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=1 -artifact_prefix="$dir/artifacts/$t/" >"$dir/artifacts/$t.log" 2>&1
  local rc=$?
  ls "$work" | wc -l >"$dir/artifacts/$t.new"
  rm -rf "$work"
  return $rc
}
declare -A pid
for t in "${targets[@]}"; do
  run_one "$t" &
  pid[$t]=$!
done
status=0
for t in "${targets[@]}"; do
  log="$dir/artifacts/$t.log"
  if wait "${pid[$t]}"; then
    execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
    echo "fuzz $t: ok, ${execs:-?} inputs in ${seconds}s, $(cat "$dir/artifacts/$t.new") new corpus entries"
  else
    echo "fuzz $t: FAILED (see $log)"
    grep -E 'ERROR|SUMMARY|property violated' "$log" | head -5
    status=1
  fi
done
exit $status
