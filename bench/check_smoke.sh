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
              virtual:kernel32_mem virtual:system_heap mapping:kernel32_mem mapping:system_heap
              threads4_shared:kernel32_mem threads4_shared:system_heap threads4_shared:msvcrt
              aging_early:kernel32_mem aging_late:kernel32_mem aging_early:msvcrt
              aging_late:msvcrt"
else
    "$@" "$csv" --scale smoke >"$out/table.txt"
    allocators="kernel32_mem_core glibc mimalloc jemalloc"
    expected="churn:kernel32_mem_core churn:glibc small_lifo:kernel32_mem_core
              realloc_grow:kernel32_mem_core large:kernel32_mem_core threads2:kernel32_mem_core
              threads2:glibc threads4_shared:kernel32_mem_core threads4_shared:glibc
              aging_early:kernel32_mem_core aging_late:kernel32_mem_core aging_early:glibc
              aging_late:glibc"
fi

header=workload,allocator,threads,ns_per_op,ns_per_op_min,ns_per_op_max,peak_committed_bytes,peak_live_bytes
[ "$(head -1 "$csv")" = "$header" ] || { echo "bad header: $(head -1 "$csv")"; exit 1; }

awk -F, -v allocators="$allocators" '
BEGIN { split(allocators, names, " "); for (i in names) known[names[i]] = 1 }
NR == 1 { next }
NF != 8 { print "line " NR ": " NF " fields"; bad = 1; next }
!($2 in known) { print "line " NR ": unknown allocator " $2; bad = 1 }
$3 !~ /^[124]$/ { print "line " NR ": threads " $3; bad = 1 }
$4 !~ /^[0-9]+\.[0-9]$/ || $5 !~ /^[0-9]+\.[0-9]$/ || $6 !~ /^[0-9]+\.[0-9]$/ {
    print "line " NR ": ns_per_op fields are not numbers"; bad = 1 }
$4 + 0 <= 0 || $5 + 0 > $4 + 0 || $4 + 0 > $6 + 0 {
    print "line " NR ": expected 0 < min <= median <= max"; bad = 1 }
$7 !~ /^[0-9]+$/ || $8 !~ /^[0-9]+$/ { print "line " NR ": byte counts are not integers"; bad = 1 }
END { exit bad }' "$csv"

for pair in $expected; do
    grep -q "^${pair%%:*},${pair#*:}," "$csv" || { echo "missing row $pair"; exit 1; }
done
# The native suite counts the core's system calls beside the CSV.
if [ "$kind" = host ]; then
    calls=${csv%.csv}.system_calls.csv
    [ "$(head -1 "$calls" 2>/dev/null)" = workload,allocator,threads,system_calls_per_10k_ops ] ||
        { echo "missing or bad $calls"; exit 1; }
    grep -Eq '^churn,kernel32_mem_core,1,[0-9]+\.[0-9]$' "$calls" ||
        { echo "no churn row in $calls"; exit 1; }
fi
echo "$(($(wc -l <"$csv") - 1)) well-formed rows in $csv"
