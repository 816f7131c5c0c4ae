#!/usr/bin/env bash
# Follow mode (-f) under ASan+UBSan: gw502-logs built with clang
# (tests/sanitize/clang_build.sh), then the follow integration tests
# (rotation, CLI, delete and re-create) and a short stress of each rotation
# style (stress.py --check: no line twice, no silent loss) run against it.
# Any sanitizer report fails. The loss tests of D5/D6 run in sanitize_cli.
# Exit 77 (skipped) without clang.
#   sanitize_follow.sh SRC DIR
set -uo pipefail
src=$1 dir=$2
here=$(cd "$(dirname "$0")" && pwd)
"$here/clang_build.sh" "$src" "$dir" gw502-logs
rc=$?
[ $rc -eq 0 ] || exit $rc
# A report goes to the log and fails the run (exit 99), whoever catches it.
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:exitcode=99:log_path=$dir/sanitize-follow
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$dir/sanitize-follow
rm -f "$dir"/sanitize-follow.*
bin=$dir/bin/gw502-logs
follow=$src/tests/integration/follow
fail=0
step() {
  echo "== $*"
  local t0=$SECONDS
  "$@" > "$dir/sanitize-follow-step.out" 2>&1 || { tail -n 30 "$dir/sanitize-follow-step.out"; fail=1; }
  echo "   $((SECONDS - t0)) s"
}
step python3 "$follow/test_rotation.py" "$bin"
step python3 "$follow/test_cli.py" "$bin"
step python3 "$follow/test_deleted.py" "$bin"
# A modest rate: the sanitized binary is several times slower; what is
# checked here is memory and UB under rotation, and that nothing is lost
# silently or read twice.
step python3 "$follow/stress.py" "$bin" --check --rate 5000 --seconds 4 --period 0.5
if ls "$dir"/sanitize-follow.* >/dev/null 2>&1; then
  echo "sanitizer reports:"
  head -n 60 "$dir"/sanitize-follow.*
  fail=1
fi
[ $fail -eq 0 ] && echo "sanitize_follow: follow tests and stress clean under ASan+UBSan"
exit $fail
