#!/usr/bin/env bash
# report.sh RESULTS.csv [--print]: beside the CSV, writes results.md (a Markdown table: each
# workload's allocators with the ratio of their time to kernel32_mem's, or kernel32_mem_core's)
# and, when gnuplot is installed, chart.svg and chart.png (ns per operation per workload and
# allocator, log scale). Where RESULTS.instructions.csv exists (the native suite, counted under
# callgrind), the table gains an instructions-per-operation column, and where
# RESULTS.system_calls.csv does (the native suite's core), a system-calls-per-10,000-operations
# column. --print also prints the table.
set -euo pipefail

csv=$1
dir=$(dirname "$csv")
instructions=${csv%.csv}.instructions.csv
[ -f "$instructions" ] || instructions=/dev/null
system_calls=${csv%.csv}.system_calls.csv
[ -f "$system_calls" ] || system_calls=/dev/null
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

awk -F, '
FILENAME == ARGV[1] { if (FNR > 1) { counted[$1 "," $2] = $4; with_counts = 1 } next }
FILENAME == ARGV[2] { if (FNR > 1) { calls[$1 "," $2] = $4; with_calls = 1 } next }
FNR == 1 { next }
{
    line[FNR] = $0
    if ($2 ~ /^kernel32_mem/) reference[$1] = $4
    last = FNR
}
END {
    printf "| workload | allocator | threads | ns/op (median) | min - max | vs kernel32_mem | peak committed bytes | committed / live |%s%s\n", with_counts ? " instructions/op |" : "", with_calls ? " system calls / 10k ops |" : ""
    printf "|---|---|---:|---:|---:|---:|---:|---:|%s%s\n", with_counts ? "---:|" : "", with_calls ? "---:|" : ""
    for (i = 2; i <= last; i++) {
        split(line[i], f, ",")
        ratio = reference[f[1]] + 0 > 0 ? sprintf("%.2fx", f[4] / reference[f[1]]) : "-"
        overhead = f[8] + 0 >= 1048576 ? sprintf("%.3f", f[7] / f[8]) : "-"
        key = f[1] "," f[2]
        count = !with_counts ? "" : (key in counted ? " " counted[key] " |" : " - |")
        syscalls = !with_calls ? "" : (key in calls ? " " calls[key] " |" : " - |")
        printf "| %s | %s | %s | %.1f | %.1f - %.1f | %s | %d | %s |%s%s\n", f[1], f[2], f[3], f[4], f[5], f[6], ratio, f[7], overhead, count, syscalls
    }
    print ""
    print "A ratio above 1 means slower than kernel32_mem; committed / live is peak committed over peak live bytes, shown where at least 1 MiB was live."
    if (with_calls) print "System calls are the core'"'"'s page requests (reserve, commit, decommit, release: one system call each under the NT backend) while the clock ran, per 10,000 operations."
}' "$instructions" "$system_calls" "$csv" >"$dir/results.md"
[ "${2:-}" = --print ] && cat "$dir/results.md"

# gnuplot wants a matrix: one line per workload, one column per allocator ("NaN" where an
# allocator does not run the workload).
awk -F, '
NR == 1 { next }
{
    if (!($1 in seen)) { seen[$1] = 1; workloads[++nw] = $1 }
    if (!($2 in known)) { known[$2] = 1; allocators[++na] = $2 }
    value[$1, $2] = $4
}
END {
    printf "workload"
    for (a = 1; a <= na; a++) printf " %s", allocators[a]
    print ""
    for (w = 1; w <= nw; w++) {
        printf "%s", workloads[w]
        for (a = 1; a <= na; a++) printf " %s", (workloads[w], allocators[a]) in value ? value[workloads[w], allocators[a]] : "NaN"
        print ""
    }
}' "$csv" >"$dir/results.dat"

if command -v gnuplot >/dev/null; then
    columns=$(head -1 "$dir/results.dat" | awk '{ print NF }')
    for format in svg png; do
        gnuplot -e "data='$dir/results.dat'; output='$dir/chart.$format'; format='$format'; columns=$columns" \
            "$here/chart.gp"
    done
    echo "wrote $dir/results.md, $dir/chart.svg and $dir/chart.png"
else
    echo "wrote $dir/results.md (gnuplot is not installed: no chart)"
fi
