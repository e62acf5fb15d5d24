#!/usr/bin/env bash
# Installs paddock's build and test dependencies from Debian 12 packages, only when missing.
set -euo pipefail
pkgs=(build-essential cmake pkg-config nlohmann-json3-dev libcli11-dev libseccomp-dev libpsl-dev
      libidn2-dev libunistring-dev libgtest-dev libgmock-dev libbenchmark-dev python3 python3-pytest curl git
      iproute2 passwd util-linux openssh-client python3-paramiko zsh man-db ccache)
if [[ "${PADDOCK_FUZZ:-1}" == 1 ]]; then pkgs+=(clang libclang-rt-14-dev); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || apt-get update
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
