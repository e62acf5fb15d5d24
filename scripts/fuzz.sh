#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each on its seed corpus for N seconds
# (default 10). Longer by hand: scripts/fuzz.sh 600
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPADDOCK_FUZZ=ON \
  -DPADDOCK_TESTS=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" >/dev/null
shopt -s nullglob
for f in build-fuzz/tests/fuzz/fuzz_*; do
  [[ -x $f ]] || continue
  name=$(basename "$f")
  corpus=tests/fuzz/corpus/${name#fuzz_}
  work=$(mktemp -d)
  [[ -d $corpus ]] && cp -r "$corpus"/. "$work"/
  out=$("$f" -max_total_time="$secs" -print_final_stats=1 "$work" 2>&1) || {
    echo "$out" | tail -40
    echo "fuzz: $name FAILED" >&2
    rm -rf "$work"
    exit 1
  }
  execs=$(echo "$out" | grep -o 'stat::number_of_executed_units: *[0-9]*' | grep -o '[0-9]*$' || echo '?')
  echo "fuzz: $name ok, $execs executions in ${secs}s"
  if [[ $name == fuzz_git_config ]] && command -v git >/dev/null; then
    # The corpus the fuzzing grew, checked against git itself: one git process per file, so
    # at most PADDOCK_FUZZ_DIFF_MAX files (default 1000, a few seconds).
    mapfile -t files < <(find "$work" -type f | sort | head -n "${PADDOCK_FUZZ_DIFF_MAX:-1000}")
    out=$(PADDOCK_GIT_DIFFERENTIAL=1 "$f" "${files[@]}" 2>&1) || {
      echo "$out" | tail -40
      echo "fuzz: $name differs from git config --list (see above)" >&2
      rm -rf "$work"
      exit 1
    }
    echo "fuzz: $name: ${#files[@]} corpus files read exactly as git config --list reads them"
  fi
  rm -rf "$work"
done
