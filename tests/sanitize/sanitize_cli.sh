#!/usr/bin/env bash
# gw502-logs and the Caddy bridge built with clang, ASan and UBSan
# (tests/sanitize/clang_build.sh), then the CLI golden tests, the labelled
# corpus, a follow-mode test (rotation back and loss, D5/D6) and the bridge's
# unit tests run against those builds: any sanitizer report fails.
# Exit 77 (skipped) without clang.
#   sanitize_cli.sh SRC DIR
set -uo pipefail
src=$1 dir=$2
here=$(cd "$(dirname "$0")" && pwd)
targets=(gw502-logs)
grep -q '^GW502_HAVE_BEAST:INTERNAL=1' "$dir/CMakeCache.txt" 2>/dev/null && targets+=(caddy_bridge_unit_tests)
"$here/clang_build.sh" "$src" "$dir" "${targets[@]}"
rc=$?
[ $rc -eq 0 ] || exit $rc
# A report goes to the log and fails the run (exit 99), whoever catches it.
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:exitcode=99:log_path=$dir/sanitize-cli
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$dir/sanitize-cli
rm -f "$dir"/sanitize-cli.*
bin=$dir/bin/gw502-logs
fail=0
step() {
  echo "== $*"
  "$@" > "$dir/sanitize-cli-step.out" 2>&1 || { tail -n 30 "$dir/sanitize-cli-step.out"; fail=1; }
}
step python3 "$src/tests/cli/run_golden.py" "$bin" "$src/tests/cli"
step python3 "$src/tests/corpus_check.py" "$bin" "$src/corpus"
step python3 "$src/tests/integration/follow/test_back_and_lost.py" "$bin"
[ -x "$dir/bin/caddy_bridge_unit_tests" ] && step "$dir/bin/caddy_bridge_unit_tests"
if ls "$dir"/sanitize-cli.* >/dev/null 2>&1; then
  echo "sanitizer reports:"
  head -n 60 "$dir"/sanitize-cli.*
  fail=1
fi
[ $fail -eq 0 ] && echo "sanitize_cli: goldens, corpus, follow and bridge tests clean under ASan+UBSan"
exit $fail
