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
# As root and as an unprivileged user (scripts/it.sh creates it), from a copy readable by both.
bash scripts/it.sh
