#!/usr/bin/env bash
# Set-up on a fresh Debian 12: installs what the build lacks (apt-get;
# scripts/deps/build.txt), configures in Release into build/ and builds.
# Idempotent: a second run only rebuilds what changed.
#
#   setup.sh          gw502-logs only: what run-sample.sh needs
#   setup.sh --all    every target (nginx module, Caddy bridge, tests);
#                     test.sh installs the test packages first
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
# gw502_docs: the man page and completions that `cmake --install build` installs
target=(--target gw502-logs gw502_docs)
if [ "${1:-}" = "--all" ]; then target=(); fi

"$here/scripts/apt-deps.sh" build

jobs=$(nproc 2>/dev/null || echo 2)
# Configure every time (a second of work): tools installed since the last
# run, such as nginx-dev for the module, are then picked up.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$jobs" "${target[@]}" >/dev/null
