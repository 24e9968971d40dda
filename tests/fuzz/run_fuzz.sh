#!/usr/bin/env bash
# tests/fuzz/run_fuzz.sh — runs the libFuzzer targets of a fuzz build, each
# for a fixed time, one after the other (one process at a time), and prints
# per target: executions, crashes (any artifact: crash, oom, timeout, leak),
# and the corpus size.
#
#   run_fuzz.sh BUILD_DIR SECONDS [TARGET...]      (default: all of them)
#
# BUILD_DIR is a build configured with -DLMZ_FUZZ=ON (clang), see `make fuzz`.
# The checked-in seeds (tests/fuzz/corpus/<t>/) are only read; new inputs go
# to BUILD_DIR/fuzz-corpus/<t>/, artifacts to BUILD_DIR/fuzz-artifacts/<t>/,
# the fuzzer's log to BUILD_DIR/fuzz-logs/<t>.log. A machine-readable line
#   FUZZ | target | seconds | execs | execs/s | crashes | corpus files | result
# per target goes to stdout and to BUILD_DIR/fuzz-results.txt.
# Exit status: 0 when no target crashed.
set -u
build=${1:?usage: run_fuzz.sh BUILD_DIR SECONDS [TARGET...]}
secs=${2:?usage: run_fuzz.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
targets=${*:-frame decompress gguf tokenizer roundtrip lossy layout segment dict bpe}
src=$(cd "$(dirname "$0")/../.." && pwd)

# the library reports allocation failures itself: let ASan return NULL
export ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=1:detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

max_len() {
    case $1 in
    gguf) echo 65536 ;;
    frame | bpe) echo 16384 ;;
    decompress) echo 8192 ;;
    *) echo 4097 ;;
    esac
}

results=$build/fuzz-results.txt
: >"$results"
status=0
for t in $targets; do
    bin=$build/fuzz/fuzz_$t
    if [ ! -x "$bin" ]; then
        echo "run_fuzz: $bin missing (configure with -DLMZ_FUZZ=ON and clang, build target fuzz_all)" >&2
        exit 2
    fi
    work=$build/fuzz-corpus/$t
    art=$build/fuzz-artifacts/$t
    log=$build/fuzz-logs/$t.log
    mkdir -p "$work" "$art" "$(dirname "$log")"
    before=$(ls "$art" | wc -l)
    start=$(date +%s)
    "$bin" "$work" "$src/tests/fuzz/corpus/$t" -max_total_time="$secs" -max_len="$(max_len "$t")" \
        -timeout=30 -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix="$art/" >"$log" 2>&1
    rc=$?
    took=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -1)
    [ -n "$execs" ] || execs=0
    crashes=$(($(ls "$art" | wc -l) - before))
    corpus=$(ls "$work" | wc -l)
    rate=$((execs / (took > 0 ? took : 1)))
    if [ "$rc" -eq 0 ] && [ "$crashes" -eq 0 ]; then
        result=ok
    else
        result="FAILED (exit $rc; see $log)"
        status=1
        grep -m3 -E "ERROR|FUZZ ASSERTION|runtime error|out-of-memory|deadly signal|leak" "$log" | sed 's/^/    /' >&2
    fi
    line="FUZZ | $t | $took | $execs | $rate | $crashes | $corpus | $result"
    echo "$line"
    echo "$line" >>"$results"
done
exit $status
