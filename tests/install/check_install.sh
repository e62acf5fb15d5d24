#!/usr/bin/env bash
# `cmake --install` into a scratch prefix, then: the binary runs, the manual page renders
# without warnings and documents every option `paddock run --help` lists, the bash completion
# completes subcommands and options, and the zsh completion parses (and loads, with zsh).
set -euo pipefail
build=${1:?usage: check_install.sh BUILD_DIR}
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
fail() { echo "check_install: $*" >&2; exit 1; }

bin=$prefix/bin/paddock
man=$prefix/share/man/man1/paddock.1
bashc=$prefix/share/bash-completion/completions/paddock
zshc=$prefix/share/zsh/site-functions/_paddock
for f in "$bin" "$man" "$bashc" "$zshc"; do [[ -f $f ]] || fail "not installed: $f"; done
"$bin" --version | grep -q '^paddock ' || fail "installed binary does not run"

if command -v man >/dev/null; then
  warnings=$(MANWIDTH=80 man --warnings -l "$man" 2>&1 >/dev/null || true)
  [[ -z $warnings ]] || fail "manual page warnings: $warnings"
fi
# Every long option of `run` and `policy` is in the manual page and the completions.
for sub in run policy; do
  for opt in $("$bin" "$sub" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
    [[ $opt == --help ]] && continue
    grep -q -- "${opt//-/\\\\-}" "$man" || grep -q -- "$opt" "$man" || fail "$opt not in paddock.1"
    grep -q -- "$opt" "$bashc" || fail "$opt not in the bash completion"
    grep -q -- "$opt" "$zshc" || fail "$opt not in the zsh completion"
  done
done

# bash: complete "paddock r" and "paddock run --allow-w".
out=$(bash -c '
  source "$1"
  COMP_WORDS=(paddock r); COMP_CWORD=1; _paddock; echo "${COMPREPLY[*]}"
  COMP_WORDS=(paddock run --allow-w); COMP_CWORD=2; _paddock; echo "${COMPREPLY[*]}"
  COMP_WORDS=(paddock polic); COMP_CWORD=1; _paddock; echo "${COMPREPLY[*]}"
' _ "$bashc")
[[ $(sed -n 1p <<<"$out") == "run reset" ]] || fail "bash completion of 'paddock r': $out"
[[ $(sed -n 2p <<<"$out") == --allow-write ]] || fail "bash completion of --allow-w: $out"
[[ $(sed -n 3p <<<"$out") == policy ]] || fail "bash completion of 'paddock polic': $out"

if command -v zsh >/dev/null; then
  zsh -n "$zshc" || fail "zsh completion does not parse"
  zsh -fc "fpath=($prefix/share/zsh/site-functions \$fpath); autoload -Uz compinit; \
           compinit -u -d $prefix/zcompdump; (( \${+_comps[paddock]} ))" ||
    fail "zsh does not register the completion"
fi
echo "check_install: ok ($prefix)"
