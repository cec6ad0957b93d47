#!/usr/bin/env bash
# Runs the core's fuzzer (for ctest and scripts/fuzz.sh):
#   run.sh FUZZER BUILD_DIR replay        each input in fuzz/regressions/ and the seed corpus once
#   run.sh FUZZER BUILD_DIR fuzz SECONDS  fuzzes for SECONDS from the seed corpus and what earlier
#                                         runs found (BUILD_DIR/corpus/NAME/, where new
#                                         inputs go; the committed corpus is only read), then
#                                         prints executions, speed, coverage and corpus size
# NAME is the fuzzer's file name (core_ops, snapshot_reader); its seeds are fuzz/corpus/NAME/.
# A crash or a model mismatch is saved as BUILD_DIR/artifacts/crash-*; the full log of a fuzzing
# run is BUILD_DIR/fuzz.log (core_ops) or BUILD_DIR/fuzz_NAME.log. KM_FUZZ_MAX_LEN overrides the
# longest input (4096 bytes).
set -euo pipefail
fuzzer=$1 build=$2 mode=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
name=$(basename "$fuzzer")
seeds="$here/corpus/$name"
artifacts="$build/artifacts"
mkdir -p "$artifacts"

case "$mode" in
replay)
    log="$build/replay.log"
    failed=0
    # Given files rather than a directory, libFuzzer runs each once and stops at a failure.
    for input in "$here"/regressions/*; do
        case "$input" in *.md | *'*') continue ;; esac
        if "$fuzzer" -artifact_prefix="$artifacts/" "$input" >"$log" 2>&1; then
            echo "ok      regression $(basename "$input")"
        else
            echo "FAILED  regression $(basename "$input"):"
            tail -n 40 "$log"
            failed=1
        fi
    done
    seed_files=("$seeds"/*)
    if "$fuzzer" -artifact_prefix="$artifacts/" "${seed_files[@]}" >"$log" 2>&1; then
        echo "ok      the ${#seed_files[@]} seeds of fuzz/corpus/$name/"
    else
        echo "FAILED  a seed of fuzz/corpus/$name/:"
        tail -n 40 "$log"
        failed=1
    fi
    exit "$failed"
    ;;
fuzz)
    seconds=${4:-600}
    # libFuzzer reads 0 as no limit at all.
    if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
        echo "run.sh: SECONDS must be a positive number, not '$seconds'" >&2
        exit 2
    fi
    corpus="$build/corpus/$name"
    log="$build/fuzz.log"
    [ "$name" = core_ops ] || log="$build/fuzz_$name.log"
    mkdir -p "$corpus"
    echo "fuzzing for $seconds s: new inputs in $corpus, log in $log"
    status=0
    "$fuzzer" -max_total_time="$seconds" -timeout=10 -max_len="${KM_FUZZ_MAX_LEN:-4096}" -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "$corpus" "$seeds" >"$log" 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then
        echo "the fuzzer failed (exit $status); the end of $log:"
        tail -n 60 "$log"
        exit "$status"
    fi
    # libFuzzer's last status line and its final statistics.
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
    stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
    echo "executions: $(stat number_of_executed_units) ($(stat average_exec_per_sec)/s)"
    echo "coverage:   $(grep -o 'cov: [0-9]*' <<<"$done_line") $(grep -o 'ft: [0-9]*' <<<"$done_line")"
    corpus=$(grep -o 'corp: [^ ]*' <<<"$done_line" | cut -d' ' -f2)
    echo "corpus:     ${corpus%/*} inputs, ${corpus#*/} ($(stat new_units_added) added this run)," \
         "peak RSS $(stat peak_rss_mb) MB"
    ;;
*)
    echo "usage: run.sh FUZZER BUILD_DIR replay|fuzz [SECONDS]" >&2
    exit 2
    ;;
esac
