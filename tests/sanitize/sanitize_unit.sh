#!/usr/bin/env bash
# The unit tests built with clang, ASan and UBSan (tests/sanitize/clang_build.sh)
# and run: any sanitizer report fails the test. Exit 77 (skipped) without clang.
#   sanitize_unit.sh SRC DIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/clang_build.sh" "$1" "$2" unit_tests
rc=$?
[ $rc -eq 0 ] || exit $rc
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99
"$2/bin/unit_tests" 2>&1 | tail -n 40
exit "${PIPESTATUS[0]}"
