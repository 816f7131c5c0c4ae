#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/sanitize/clang_build.sh: clang, ASan,
# UBSan) and runs each for SECONDS (default 20) from seeds made of corpus/
# and patterns/. Fails on a crash, a sanitizer report, a leak, a timeout or
# a differential mismatch (fuzz_scan). Exit 77 (skipped) without clang.
#   fuzz_smoke.sh SRC DIR [SECONDS] [HARNESS...]
set -uo pipefail
src=$1 dir=$2 secs=${3:-20}
shift 3 2>/dev/null || shift $#
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(classify catalogue scan source bridge)
here=$(cd "$(dirname "$0")" && pwd)
targets=()
for h in "${harnesses[@]}"; do targets+=("fuzz_$h"); done
"$here/../sanitize/clang_build.sh" "$src" "$dir" "${targets[@]}"
rc=$?
[ $rc -eq 0 ] || exit $rc

work="$dir/fuzz-work"
mkdir -p "$work"
seeds() {  # harness -> seed directory
  local d="$work/seeds-$1"
  [ -d "$d" ] && { echo "$d"; return; }
  mkdir -p "$d"
  case $1 in
    classify)  # one line a file: every labelled corpus line
      cat "$src"/corpus/*/*.log "$src"/corpus/wild/*/*.log 2>/dev/null | head -n 3000 |
        split -l 1 -a 4 - "$d/l" ;;
    catalogue) cp "$src"/patterns/*.json "$d/" ;;
    scan)      # whole corpus files, cut to 64 KiB
      for f in "$src"/corpus/*/*.log; do head -c 65536 "$f" > "$d/$(basename "$(dirname "$f")")-$(basename "$f")"; done ;;
    source)    # mode byte, flag byte, then a corpus file's head: plain, gzip, zstd
      local i=0
      for f in "$src"/corpus/*/*.log; do
        for m in 0 1 2; do
          { printf "\\$(printf %o $(( (i * 4 + m) % 256 )))\\$(printf %o $(( i % 2 )))"; head -c 16384 "$f"; } > "$d/s$i-$m"
        done
        i=$((i + 1))
      done
      [ -f "$src/corpus/sample/error.log" ] && gzip -c "$src/corpus/sample/error.log" | head -c 65536 |
        { printf '\0\0'; cat; } > "$d/gz-raw" ;;
    bridge)    # requests as Caddy's handle_errors sends them (the unit tests' shapes)
      printf 'GET /gw502 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Gw502-Err-Message: dial tcp 127.0.0.1:9: connect: connection refused\r\nX-Gw502-Err-Status: 502\r\nX-Gw502-Host: app.example\r\n\r\n' |
        { printf '\0'; cat; } > "$d/refused"
      printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n' | { printf '\2'; cat; } > "$d/metrics"
      printf 'POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello' | { printf '\1'; cat; } > "$d/post" ;;
  esac
  echo "$d"
}
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fail=0
for h in "${harnesses[@]}"; do
  s=$(seeds "$h")
  mkdir -p "$work/corpus-$h" "$work/artifacts-$h"
  # Short runs (CI) start from the seeds alone, in a corpus of their own:
  # libFuzzer runs its whole starting corpus before -max_total_time counts,
  # and the kept corpus of long runs grows (fuzz_scan: 2,000 inputs, 150 s).
  corpus=$work/corpus-$h
  if [ "$secs" -le 120 ]; then
    corpus=$work/smoke-$h
    rm -rf "$corpus" && mkdir -p "$corpus"
  fi
  log="$work/$h.log"
  # Inputs these harnesses found, kept as regression seeds (README.md): run
  # every time, before the fuzzing starts.
  regress=()
  [ -d "$src/tests/fuzz/regress/$h" ] && regress=("$src/tests/fuzz/regress/$h")
  "$dir/bin/fuzz_$h" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2560 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts-$h/" "$corpus" "$s" "${regress[@]}" >"$log" 2>&1
  r=$?
  [ "$corpus" = "$work/corpus-$h" ] || rm -rf "$corpus"
  execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
  if [ $r -ne 0 ]; then
    echo "fuzz_$h: FAILED (exit $r); artifacts in $work/artifacts-$h/" >&2
    grep -E 'ERROR|DIFF|runtime error|SUMMARY|Test unit written' "$log" | head -20 >&2
    fail=1
  else
    echo "fuzz_$h: ${execs:-?} executions in ${secs} s, no crash" >&2
  fi
done
exit $fail
