#!/usr/bin/env bash
# Builds targets of this source tree with Debian's clang, ASan+UBSan and
# libFuzzer's coverage hooks (-DGW502_FUZZ=ON) into one build directory that
# the clang checks share: clang_build (D14: the library builds with clang),
# sanitize_unit and fuzz_smoke. Incremental, and serialised with a lock, so
# that the checks build it once between them.
#   clang_build.sh SRC DIR TARGET...   exit 77 (skipped) when clang is absent
set -euo pipefail
src=$1 dir=$2
shift 2
if ! command -v clang++ >/dev/null || ! command -v clang >/dev/null; then
  echo "clang is not installed (scripts/setup.sh installs it): skipped" >&2
  exit 77
fi
mkdir -p "$dir"
exec 9>"$dir.lock"
flock 9
jobs=$(nproc 2>/dev/null || echo 2)
# Configured every time (seconds): new targets and options are picked up.
{
  # -O1 with line tables: readable stacks at a fraction of -O2 -g's compile time.
  # NGINX_SRC=/nonexistent: the nginx module cannot load into a non-ASan nginx.
  CC=clang CXX=clang++ cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_C_FLAGS_DEBUG="-O1 -gline-tables-only" -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" \
    -DGW502_FUZZ=ON -DNGINX_SRC=/nonexistent >"$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log" >&2; exit 1; }
}
if ! cmake --build "$dir" -j "$jobs" --target "$@" >"$dir.build.log" 2>&1; then
  echo "clang build of $* failed:" >&2
  grep -A6 "error:" "$dir.build.log" | head -80 >&2
  exit 1
fi
echo "clang build of $*: OK" >&2
