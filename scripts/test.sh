#!/usr/bin/env bash
# Set-up, then every test through ctest.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh"
cd "$here/build"
ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" "$@"
