#!/usr/bin/env bash
# check_smoke.sh windows|host OUTDIR COMMAND...: runs the suite at its smallest scale and checks
# that it completes and writes well-formed rows (figures are never judged here).
#   windows: COMMAND is the emulator and km_bench; host: COMMAND is run.sh with its program.
set -euo pipefail

kind=$1 out=$2
shift 2
mkdir -p "$out"
csv=$out/results.csv
rm -f "$csv"
if [ "$kind" = windows ]; then
    "$@" --scale smoke --csv "$csv" >"$out/table.txt"
    allocators="kernel32_mem system_heap msvcrt mimalloc"
    expected="churn:kernel32_mem churn:system_heap churn:msvcrt small_lifo:kernel32_mem
              realloc_grow:kernel32_mem large:kernel32_mem threads2:kernel32_mem
              threads2:system_heap moveable:kernel32_mem moveable:system_heap
              virtual:kernel32_mem virtual:system_heap mapping:kernel32_mem mapping:system_heap"
else
    "$@" "$csv" --scale smoke >"$out/table.txt"
    allocators="kernel32_mem_core glibc mimalloc jemalloc"
    expected="churn:kernel32_mem_core churn:glibc small_lifo:kernel32_mem_core
              realloc_grow:kernel32_mem_core large:kernel32_mem_core threads2:kernel32_mem_core
              threads2:glibc"
fi

header=workload,allocator,threads,ns_per_op,ns_per_op_min,ns_per_op_max,peak_committed_bytes,peak_live_bytes
[ "$(head -1 "$csv")" = "$header" ] || { echo "bad header: $(head -1 "$csv")"; exit 1; }

awk -F, -v allocators="$allocators" '
BEGIN { split(allocators, names, " "); for (i in names) known[names[i]] = 1 }
NR == 1 { next }
NF != 8 { print "line " NR ": " NF " fields"; bad = 1; next }
!($2 in known) { print "line " NR ": unknown allocator " $2; bad = 1 }
$3 !~ /^[12]$/ { print "line " NR ": threads " $3; bad = 1 }
$4 !~ /^[0-9]+\.[0-9]$/ || $5 !~ /^[0-9]+\.[0-9]$/ || $6 !~ /^[0-9]+\.[0-9]$/ {
    print "line " NR ": ns_per_op fields are not numbers"; bad = 1 }
$4 + 0 <= 0 || $5 + 0 > $4 + 0 || $4 + 0 > $6 + 0 {
    print "line " NR ": expected 0 < min <= median <= max"; bad = 1 }
$7 !~ /^[0-9]+$/ || $8 !~ /^[0-9]+$/ { print "line " NR ": byte counts are not integers"; bad = 1 }
END { exit bad }' "$csv"

for pair in $expected; do
    grep -q "^${pair%%:*},${pair#*:}," "$csv" || { echo "missing row $pair"; exit 1; }
done
echo "$(($(wc -l <"$csv") - 1)) well-formed rows in $csv"
