#!/usr/bin/env bash
# Set-up (the build's packages and the tests' own: scripts/deps/), then
# every test through ctest. Arguments go to ctest (e.g. -R "unit|golden").
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/apt-deps.sh" build test
"$here/scripts/setup.sh" --all
cd "$here/build"
ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" "$@"
