#!/usr/bin/env bash
# Installs every Debian package hostwire's build, tests and reports need (only what is
# missing; quiet when all is there), then configures and builds in build/.
set -euo pipefail
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1  # test discovery runs SystemC binaries during the build
cd "$(dirname "$0")/.."

PACKAGES=(
  g++ cmake ninja-build pkg-config
  libsystemc-dev libboost-program-options-dev libyaml-cpp-dev libfmt-dev nlohmann-json3-dev libpcap-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  tshark gtkwave python3 hyperfine
  clang libclang-rt-14-dev
  chromium jq libjs-dygraphs
  slurm-wlm munge
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # tshark asks whether non-root users may capture; the answer does not matter here.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

BUILD_DIR=${BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo ${CMAKE_ARGS:-} >/dev/null
fi
# Quiet progress lines, keep warnings and errors; a failed build fails setup.
status=0
cmake --build "$BUILD_DIR" -j "$(nproc)" > "$BUILD_DIR/build.log" 2>&1 || status=$?
grep -vE '^\[[0-9]+/[0-9]+\] (Building|Linking)' "$BUILD_DIR/build.log" || true
exit $status
