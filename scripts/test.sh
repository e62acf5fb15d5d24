#!/usr/bin/env bash
# Builds paddock and runs every test: unit tests, fuzz smoke runs, and the integration suite
# twice, as root and as an unprivileged user this script creates. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
root_dir=$(pwd)

bash scripts/install-deps.sh

echo "== build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"

echo "== unit tests"
ctest --test-dir build --output-on-failure -j"$(nproc)"

if [[ "${PADDOCK_SKIP_FUZZ:-0}" != 1 ]]; then
  echo "== fuzz smoke (libFuzzer, seed corpora)"
  bash scripts/fuzz.sh "${PADDOCK_FUZZ_SECONDS:-10}"
fi

echo "== integration tests"
# The suite runs from a copy readable by the unprivileged user (the checkout may sit in /root).
stage=$(mktemp -d /tmp/paddock-it.XXXXXX)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin"
cp build/paddock "$stage/bin/"
cp build/tests/probes/probe_* "$stage/bin/" 2>/dev/null || true
cp -r tests/integration "$stage/integration"
chmod -R a+rX "$stage"

user=paddock-test
if ! id "$user" >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash "$user"
fi

run_suite() {
  local who=$1
  shift
  echo "-- integration as $who"
  "$@" env PADDOCK_BIN="$stage/bin/paddock" PADDOCK_PROBES="$stage/bin" PADDOCK_TEST_AS="$who" \
    /usr/bin/python3 -m pytest -q -p no:cacheprovider "$stage/integration"
}
run_suite root
run_suite "$user" runuser -u "$user" --
