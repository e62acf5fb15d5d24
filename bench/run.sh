#!/usr/bin/env bash
# paddock's benchmark suite, in one command: bash bench/run.sh [--quick] [--only FIGURES]
# Builds paddock (Release) when build/paddock or build/proxy_standalone is missing, then runs
# bench/suite.py, which installs the baselines it needs (Debian packages when root, srt from npm
# into bench/.peers/srt), prints a table and writes bench/results/latest.json plus a dated copy.
# It measures and reports; it asserts nothing and is not part of the test command.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x build/paddock || ! -x build/proxy_standalone ]] || ! command -v python3 >/dev/null; then
  echo "bench: building paddock (Release)" >&2
  PADDOCK_FUZZ=0 bash scripts/install-deps.sh
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build -j"$(nproc)" --target paddock proxy_standalone
fi
exec python3 bench/suite.py "$@"
