#!/usr/bin/env bash
# Runs (part of) the integration suite against the current build, as root and as the
# unprivileged test user. scripts/test.sh (what CI runs) runs it whole after the build.
#   bash scripts/it.sh                          the whole suite, both users
#   bash scripts/it.sh -k chmod test_writes.py  pytest arguments (files relative to tests/integration)
#   PADDOCK_IT_AS=root bash scripts/it.sh ...   one user only (root or user)
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x build/paddock ]] || { echo "it.sh: build/paddock missing: build first" >&2; exit 2; }
stage=$(mktemp -d /tmp/paddock-it.XXXXXX)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin"
cp build/paddock "$stage/bin/"
cp build/tests/probes/probe_* "$stage/bin/" 2>/dev/null || true
cp -r tests/integration "$stage/integration"
chmod -R a+rX "$stage"
user=paddock-test
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"

args=()
for a in "$@"; do
  if [[ "$a" == test_*.py* ]]; then args+=("$stage/integration/$a"); else args+=("$a"); fi
done
has_path=0
for a in "${args[@]+"${args[@]}"}"; do [[ "$a" == "$stage"/* ]] && has_path=1; done
((has_path)) || args+=("$stage/integration")

rc=0
run() {
  local who=$1
  shift
  echo "-- integration as $who"
  "$@" env PADDOCK_BIN="$stage/bin/paddock" PADDOCK_PROBES="$stage/bin" PADDOCK_TEST_AS="$who" \
    /usr/bin/python3 -m pytest -q -p no:cacheprovider "${args[@]}" || rc=1
}
case "${PADDOCK_IT_AS:-both}" in
  root) run root ;;
  user) run "$user" runuser -u "$user" -- ;;
  *) run root; run "$user" runuser -u "$user" -- ;;
esac
exit $rc
