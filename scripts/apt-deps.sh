#!/usr/bin/env bash
# Installs the Debian packages of the named lists in scripts/deps/ (build,
# test) that are missing, with apt-get (apt-get update first). Root or sudo.
# Services that a package starts on installation (nginx on port 80,
# prometheus on 9090) are stopped again: nothing here uses them.
#
#   apt-deps.sh build [test ...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
arch=$(dpkg --print-architecture)
pkgs=()
for list in "$@"; do
  f="$here/deps/$list.txt"
  [ -f "$f" ] || { echo "apt-deps.sh: no list $f" >&2; exit 2; }
  while read -r name only _; do
    case "$name" in ''|'#'*) continue ;; esac
    if [ -n "${only:-}" ] && [ "$only" != "[$arch]" ]; then continue; fi
    pkgs+=("$name")
  done < "$f"
done
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
((${#missing[@]})) || exit 0
echo "setup: installing ${missing[*]}" >&2
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if command -v systemctl >/dev/null; then
  for svc in nginx prometheus; do
    case " ${missing[*]} " in *" $svc "*) ;; *) continue ;; esac
    if systemctl is-active -q "$svc" 2>/dev/null; then $sudo systemctl stop "$svc" || true; fi
  done
fi
