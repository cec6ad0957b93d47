#!/usr/bin/env bash
# run.sh KM_BENCH_HOST MIMALLOC_SO JEMALLOC_SO RESULTS.csv [suite options]: the native suite.
# kernel32_mem_core and glibc run in one process; mimalloc and jemalloc each in a process of
# their own, preloaded so that they replace malloc (an empty library path skips one). The rows
# are then grouped by workload, kernel32_mem_core first. The core's system calls (its page
# requests, counted by the host page provider) go beside RESULTS.csv in RESULTS.system_calls.csv.
set -euo pipefail

program=$1 mimalloc=$2 jemalloc=$3 csv=$4
shift 4
parts=$(mktemp -d)
trap 'rm -rf "$parts"' EXIT

# Each process prints its own table; the merged one (report.sh --print) is the one to read.
"$program" --malloc-name glibc --csv "$parts/glibc.csv" "$@" >/dev/null
for preload in "mimalloc:$mimalloc" "jemalloc:$jemalloc"; do
    name=${preload%%:*} library=${preload#*:}
    if [ -z "$library" ] || [ "${library%NOTFOUND}" != "$library" ]; then
        echo "[bench] $name is not installed (Debian: lib$name-dev): its rows are missing" >&2
        continue
    fi
    LD_PRELOAD=$library "$program" --malloc-name "$name" --without-core \
        --csv "$parts/$name.csv" "$@" >/dev/null
done

head -1 "$parts/glibc.csv" >"$csv"
# Workloads in the order the program ran them; within each, the files' order.
workloads=$(tail -n +2 "$parts/glibc.csv" | cut -d, -f1 | uniq)
for workload in $workloads; do
    for part in "$parts"/glibc.csv "$parts"/mimalloc.csv "$parts"/jemalloc.csv; do
        [ -f "$part" ] && awk -F, -v w="$workload" 'NR > 1 && $1 == w' "$part" >>"$csv"
    done
done
system_calls=${csv%.csv}.system_calls.csv
rm -f "$system_calls"
if [ -f "$parts/glibc.system_calls.csv" ]; then
    cp "$parts/glibc.system_calls.csv" "$system_calls"
    echo "wrote $csv and $system_calls"
else
    echo "wrote $csv"
fi
