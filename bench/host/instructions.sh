#!/usr/bin/env bash
# instructions.sh KM_BENCH_HOST MIMALLOC_SO JEMALLOC_SO OUT.csv [suite options]: instructions
# per operation, a figure that does not move with the machine's noise. Each allocator's process
# (as run.sh makes them) runs once under callgrind, which counts only the timed chunks
# (bench_count_instructions) and dumps each run's count labelled with its workload, allocator,
# threads and operations (bench_dump_instructions). Writes workload,allocator,threads,
# instructions_per_op, grouped by workload as results.csv is. threads2 is left out: callgrind
# runs one thread at a time, so it would count the threads' waiting for each other.
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
count() { # name, library to preload (or nothing), then the program's own arguments
    local name=$1 preload=$2
    shift 2
    LD_PRELOAD=$preload valgrind --tool=callgrind --collect-atstart=no \
        --callgrind-out-file="$dumps/$name.%p" "$program" "$@" "${options[@]}" --repetitions 1 \
        >/dev/null 2>"$dumps/$name.log" || { cat "$dumps/$name.log" >&2; exit 1; }
}
count 1-glibc "" --malloc-name glibc
for preload in "2-mimalloc:$mimalloc" "3-jemalloc:$jemalloc"; do
    name=${preload%%:*} library=${preload#*:}
    if [ -z "$library" ] || [ "${library%NOTFOUND}" != "$library" ]; then
        continue
    fi
    count "$name" "$library" --malloc-name "${name#*-}" --without-core
done

echo "workload,allocator,threads,instructions_per_op" >"$csv"
# Every dump: "desc: Trigger: Client Request: <workload> <allocator> <threads> <operations>",
# then "summary: <instructions>".
awk '
/^desc: Trigger: Client Request: / { split(substr($0, 32), label, " "); next }
/^summary: / && label[1] != "" && label[3] == 1 {
    row = sprintf("%s,%s,%s,%.1f", label[1], label[2], label[3], $2 / label[4])
    if (!(label[1] in seen)) { seen[label[1]] = 1; order[++workloads] = label[1] }
    rows[label[1]] = rows[label[1]] row "\n"
    delete label
}
END { for (w = 1; w <= workloads; w++) printf "%s", rows[order[w]] }
 ' $(ls -v "$dumps" | grep -v '\.log$' | sed "s|^|$dumps/|") >>"$csv"
echo "wrote $csv"
