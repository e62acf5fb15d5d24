#!/usr/bin/env bash
# Builds paddock and runs its main job on the built-in defaults: a command that tries to read a
# secret in ~/.ssh, write outside the project and plant a git hook, and writes inside the project.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target paddock >/dev/null

mkdir -p build
demo=$(mktemp -d "$PWD/build/demo.XXXXXX")   # not under /tmp: the sandbox has its own /tmp
trap 'rm -rf "$demo"' EXIT
export HOME=$demo/home                       # a demo home with a planted key
mkdir -p "$HOME/.ssh" "$demo/project" "$demo/outside"
echo "-----BEGIN DEMO KEY-----" > "$HOME/.ssh/id_ed25519"
git -C "$demo/project" init -q

cd "$demo/project"
echo "== paddock run -c '...' in $demo/project (HOME=$HOME)"
set +e
"$OLDPWD/build/paddock" run -c '
  echo "-- read ~/.ssh/id_ed25519:";    cat ~/.ssh/id_ed25519 && echo "   LEAKED" || echo "   refused"
  echo "-- ls -a ~:";                    ls -a ~ | tr "\n" " "; echo
  echo "-- write outside the project:";  echo x > '"$demo"'/outside/note && echo "   WROTE" || echo "   refused"
  echo "-- plant .git/hooks/pre-commit:"; echo evil > .git/hooks/pre-commit && echo "   PLANTED" || echo "   refused"
  echo "-- write inside the project:";   echo hello > result.txt && echo "   ok"
  echo "-- network:";                    (exec 3<>/dev/tcp/1.1.1.1/80) 2>/dev/null && echo "   CONNECTED" || echo "   no route"
'
rc=$?
set -e
echo "== paddock exited $rc; on the host afterwards:"
echo "   project/result.txt: $(cat result.txt 2>/dev/null || echo missing)"
echo "   outside/note:       $([[ -e $demo/outside/note ]] && echo PRESENT || echo absent)"
echo "   .git/hooks/pre-commit: $([[ -e .git/hooks/pre-commit ]] && echo PRESENT || echo absent)"
