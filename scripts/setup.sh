#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks, then configures and builds
# gw502 in Release into build/. Idempotent: a second run only rebuilds.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

# Packages the build, the tests and the real-proxy lab need (all Debian's).
pkgs=(cmake g++ make pkg-config libre2-dev libsimdjson-dev libzstd-dev zlib1g-dev
      libboost-program-options-dev catch2 python3 zstd gzip openssl
      nginx nginx-dev caddy curl valgrind strace)
# Hyperscan makes the literal prefilter faster; Debian builds it for amd64 only.
[ "$(dpkg --print-architecture)" = amd64 ] && pkgs+=(libhyperscan-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  # nginx's package starts a service on port 80; the tests never use it.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if command -v systemctl >/dev/null && systemctl is-active -q nginx 2>/dev/null; then $sudo systemctl stop nginx || true; fi
fi

jobs=$(nproc 2>/dev/null || echo 2)
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build build -j "$jobs" >/dev/null
