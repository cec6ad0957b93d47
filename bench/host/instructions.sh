#!/usr/bin/env bash
# instructions.sh KM_BENCH_HOST MIMALLOC_SO JEMALLOC_SO OUT.csv [suite options]: instructions
# per operation, a figure that does not move with the machine's noise. Each allocator's process
# (as run.sh makes them) runs under callgrind, which counts only the timed chunks
# (bench_count_instructions: not a population's set-up, not churn's warm-up) and dumps each
# run's count labelled with its workload, allocator, threads and timed operations
# (bench_dump_instructions). Two passes: every workload with the given options (the smoke
# scale, callgrind being some fifty times slower), then churn alone at the short scale, whose
# population is the full one (100,000 live blocks; only its timed pairs are fewer, 200,000
# instead of 2,000,000, which moves the count per pair by under 0.5%); its churn rows replace
# the first pass's. Writes workload,allocator,threads,instructions_per_op, grouped by workload
# as results.csv is. threads2 and threads4_shared are left out (callgrind runs one thread at a
# time, so it would count the threads' waiting for each other), and so is aging (one count per
# run cannot be split between its two rows).
set -euo pipefail

program=$1 mimalloc=$2 jemalloc=$3 csv=$4
shift 4
rm -f "$csv"
if ! command -v valgrind >/dev/null; then
    echo "[bench] valgrind is not installed: no instruction counts" >&2
    exit 0
fi
dumps=$(mktemp -d)
trap 'rm -rf "$dumps"' EXIT

options=("$@")
count() { # pass, name, library to preload (or nothing), then the program's own arguments
    local pass=$1 name=$2 preload=$3
    shift 3
    LD_PRELOAD=$preload valgrind --tool=callgrind --collect-atstart=no \
        --callgrind-out-file="$dumps/$pass-$name.%p" "$program" "$@" --repetitions 1 \
        >/dev/null 2>"$dumps/$pass-$name.log" || { cat "$dumps/$pass-$name.log" >&2; exit 1; }
}
for pass in 1 2; do
    if [ $pass = 1 ]; then pass_options=("${options[@]}"); else
        pass_options=("${options[@]}" --workload churn --scale short); fi
    count $pass 1-glibc "" --malloc-name glibc "${pass_options[@]}"
    for preload in "2-mimalloc:$mimalloc" "3-jemalloc:$jemalloc"; do
        name=${preload%%:*} library=${preload#*:}
        if [ -z "$library" ] || [ "${library%NOTFOUND}" != "$library" ]; then
            continue
        fi
        count $pass "$name" "$library" --malloc-name "${name#*-}" --without-core \
            "${pass_options[@]}"
    done
done

echo "workload,allocator,threads,instructions_per_op" >"$csv"
# Every dump: "desc: Trigger: Client Request: <workload> <allocator> <threads> <operations>",
# then "summary: <instructions>". A later dump of the same workload and allocator (the second
# pass) replaces an earlier one.
awk '
/^desc: Trigger: Client Request: / { split(substr($0, 32), label, " "); next }
/^summary: / && label[1] != "" && label[3] == 1 {
    key = label[1] "," label[2]
    if (!(key in row)) {
        if (!(label[1] in seen)) { seen[label[1]] = 1; order[++workloads] = label[1] }
        allocators[label[1]] = allocators[label[1]] " " label[2]
    }
    row[key] = sprintf("%s,%s,%s,%.1f", label[1], label[2], label[3], $2 / label[4])
    delete label
}
END {
    for (w = 1; w <= workloads; w++) {
        n = split(allocators[order[w]], names, " ")
        for (a = 1; a <= n; a++) print row[order[w] "," names[a]]
    }
}
 ' $(ls -v "$dumps" | grep -v '\.log$' | sed "s|^|$dumps/|") >>"$csv"
echo "wrote $csv"
