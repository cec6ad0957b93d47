#!/usr/bin/env bash
# Writes the seed corpus fuzz/corpus/core_ops/: a few dozen short programs for core_ops, each
# reaching one part of the heap core (runs, spans, large blocks, fixed heaps, injected failures,
# bad pointers, locks, several heaps), so that a short fuzzing run starts from every part at
# once. The encoding mirrors core_ops.c's decoder; should that change, these stay valid inputs
# but mean something else, so run this again.
#   fuzz/make_seeds.sh [DIR]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$here/corpus/core_ops}

hex8() { printf '%02x' $(($1 & 255)); }
hex16() { printf '%02x%02x' $(($1 & 255)) $((($1 >> 8) & 255)); }
hex64() { local i; for i in 0 8 16 24 32 40 48 56; do printf '%02x' $((($1 >> i) & 255)); done; }

# Operation codes: the index in core_ops.c's `operations` table, plus the heap slot times 32.
declare -A index=([alloc]=0 [free]=6 [realloc]=10 [size]=15 [validate]=17 [walk]=19
                  [compact]=20 [lock]=21 [unlock]=22 [bogus]=23 [arm]=26 [create]=28
                  [destroy]=29 [alloc_batch]=30 [free_batch]=31)
code() { hex8 $((${index[$1]} + 32 * $2)); }

# Sizes: small N (up to 1024), mid N (up to 65536), span V (65537 + 8 V), large V
# (524289 + 8 V), edge I (the I-th of core_ops.c's boundary_sizes), absurd I (of absurd_sizes).
small() { hex8 0; hex16 "$1"; }
mid() { hex8 9; hex16 "$1"; }
span() { hex8 11; hex16 "$1"; }
large() { hex8 13; hex16 "$1"; }
edge() { hex8 14; hex16 "$1"; }
absurd() { hex8 15; hex16 $((8 * $1)); }

# Call flags: 1 zero, 2 in place only, 28 no serialize.
# The operations, each on heap H (0-2).
create() { code create "$1"; hex8 "$2"; hex8 "$3"; hex8 "$4"; hex8 "${5:-0}"; } # H initial maximum flags
destroy() { code destroy "$1"; }
alloc() { code alloc "$1"; $2 "$3"; hex8 "${4:-0}"; }                       # H kind N flags
alloc_batch() { code alloc_batch "$1"; hex8 "$2"; $3 "$4"; hex8 "${5:-0}"; } # H count kind N flags
free() { code free "$1"; hex16 "$2"; hex8 "${3:-0}"; }                     # H pick flags
free_batch() { code free_batch "$1"; hex8 "$2"; hex16 "$3"; }               # H count pick
realloc() { code realloc "$1"; hex16 "$2"; $3 "$4"; hex8 "${5:-0}"; }       # H pick kind N flags
size() { code size "$1"; hex16 "$2"; }
validate() { code validate "$1"; hex8 "$2"; hex16 "${3:-0}"; }              # H whole pick
walk() { code walk "$1"; }
compact() { code compact "$1"; hex8 "${2:-0}"; }                            # H if_idle
lock() { code lock "$1"; }
unlock() { code unlock "$1"; }
arm() { code arm 0; hex8 "$1"; }                          # the next operation's n-th request fails
bogus() { code bogus "$1"; hex8 "$2"; hex16 "$3"; hex64 "$4"; hex8 "$5"; $6 "$7"; hex8 "${8:-0}"; }
# bogus H kind pick raw action size-kind N flags; kinds: 0 inside, 1 before, 2 freed,
# 3 another heap's, 4 stack, 5 static, 6 heap record, 7 slot start, 8 raw, 9 NULL; actions:
# 0 free, 1 size, 2 validate, 3 realloc.

seed() {
    local name=$1
    shift
    local hex
    hex=$("$@" | tr -d '\n ')
    printf '%b' "$(sed 's/../\\x&/g' <<<"$hex")" >"$out/$name"
}

runs() {
    alloc 0 small 24; alloc 0 small 24; alloc 0 small 100; alloc 0 small 1000; alloc 0 mid 4000
    alloc 0 mid 16376; free 0 1; size 0 2; validate 0 0 3; walk 0; validate 0 1
}
run_churn() {
    alloc_batch 0 100 small 16; free_batch 0 60 3; alloc_batch 0 40 small 16 1; walk 0
    alloc_batch 0 127 small 200; free_batch 0 127 0; compact 0; validate 0 1
}
run_fill() { alloc_batch 0 127 mid 3000; alloc_batch 0 127 mid 3000; walk 0; free_batch 0 100 5; walk 0; }
zeroed() {
    alloc 0 small 500 1; alloc 0 mid 9000 1; alloc 0 span 20000 1; alloc 0 large 100 1
    realloc 0 0 mid 12000 1; realloc 0 1 span 30000 1; realloc 0 3 large 30000 1; validate 0 1
}
spans() {
    alloc 0 span 10000; alloc 0 span 1; realloc 0 0 span 30000; realloc 0 0 span 100
    realloc 0 1 mid 100; walk 0; free 0 0; walk 0; compact 0; validate 0 1
}
span_in_place() {
    alloc 0 span 10000; realloc 0 0 span 20000 2; realloc 0 0 span 2000 2; realloc 0 0 mid 50 2
    alloc 0 span 5000; realloc 0 0 span 60000 2; walk 0
}
larges() {
    alloc 0 large 0; alloc 0 large 65000; realloc 0 0 large 30000; realloc 0 1 span 40000
    realloc 0 0 large 60000 2; walk 0; free 0 0; compact 0; walk 0
}
large_grow() { alloc 0 large 10; realloc 0 0 large 20000; realloc 0 0 large 40000; realloc 0 0 large 65000; size 0 0; }
small_to_large() { alloc 0 small 10; realloc 0 0 mid 10000; realloc 0 0 span 30000; realloc 0 0 large 1000; realloc 0 0 small 3; walk 0; }
fixed_small() { create 0 0 9 0; alloc_batch 0 127 small 300; alloc 0 span 1000; walk 0; free_batch 0 50 1; alloc 0 mid 9000; validate 0 1; }
fixed_one_byte() { create 0 0 8 0; alloc 0 small 10; alloc 0 mid 16000; alloc 0 span 1; walk 0; }
fixed_limit() {
    create 0 0 14 0; alloc 0 edge 25; alloc 0 edge 26; alloc 0 edge 24; realloc 0 0 edge 26
    realloc 0 0 edge 25; alloc_batch 0 127 mid 8000; walk 0; validate 0 1
}
fixed_initial_above_maximum() { create 0 7 9 0; alloc 0 span 40000; alloc 0 large 100; alloc_batch 0 50 mid 16000; walk 0; }
growable_initial() { create 0 6 0 0; alloc_batch 0 20 span 5000; walk 0; compact 0; create 0 5 0 1; alloc 0 small 1; walk 0; }
edges() {
    local i
    for i in $(seq 0 28); do alloc 0 edge "$i"; done
    for i in 0 1 2 3; do alloc 0 absurd "$i"; done
    walk 0
}
edges_fixed() { create 0 0 15 0; local i; for i in 12 13 16 19 20 23 25 26 27 28; do alloc 0 edge "$i"; done; walk 0; }
absurd_realloc() { alloc 0 small 10; alloc 0 span 100; alloc 0 large 5; realloc 0 0 absurd 0; realloc 0 1 absurd 1; realloc 0 2 absurd 3; realloc 0 0 absurd 2 2; }
inject() { # $1: which request fails
    arm "$1"; alloc 0 small 10; arm "$1"; alloc 0 span 20000; arm "$1"; alloc 0 large 100
    arm "$1"; realloc 0 0 mid 12000; arm "$1"; realloc 0 1 span 60000; arm "$1"; realloc 0 2 large 60000
    arm "$1"; alloc_batch 0 60 mid 3000; validate 0 1; walk 0
}
inject_create() { arm "$1"; create 1 "$2" "$3" 0; alloc 1 small 1; arm "$1"; create 2 0 0 0; walk 1; }
inject_segments() { alloc_batch 0 20 span 40000; arm "$1"; alloc_batch 0 30 span 40000; walk 0; free_batch 0 50 0; compact 0; }
bogus_inside() { alloc 0 small 100; alloc 0 span 10000; alloc 0 large 1; bogus 0 0 0 33 0 small 0; bogus 0 0 1 16 1 small 0; bogus 0 0 2 4097 3 small 5; bogus 0 1 0 1 2 small 0; bogus 0 1 1 0 0 small 0; }
bogus_freed() { alloc 0 small 100; alloc 0 span 10000; alloc 0 large 1; free_batch 0 3 0; bogus 0 2 0 0 0 small 0; bogus 0 2 0 1 1 small 0; bogus 0 2 0 2 3 span 10; }
bogus_elsewhere() {
    alloc 0 small 50; alloc 1 small 50; bogus 0 3 0 0 0 small 0; bogus 1 3 0 0 3 small 9; bogus 0 4 0 1 1 small 0
    bogus 0 5 0 2 2 small 0; bogus 0 6 0 1 0 small 0; bogus 0 7 0 3 1 small 0; bogus 0 8 0 0x7fff12345670 0 small 0
    bogus 0 8 0 5 1 small 0; bogus 0 9 0 0 1 small 0
}
locks() { lock 0; lock 0; alloc 0 small 10; compact 0 1; unlock 0; walk 0; unlock 0; unlock 0; compact 0 1; }
no_serialize() { create 0 0 0 1; lock 0; alloc 0 small 10 28; unlock 0; unlock 0; compact 0 1; free 0 0 28; }
executable() { create 0 3 0 6; alloc 0 mid 5000; alloc 0 large 3; walk 0; }
three_heaps() {
    create 0 0 0 0; create 1 0 10 0; create 2 4 0 1; alloc 0 small 10; alloc 1 small 10; alloc 2 span 10
    bogus 1 3 0 0 0 small 0; destroy 1; alloc 1 small 20; walk 1; destroy 0; bogus 2 2 0 0 1 small 0; walk 2
}
recreate() { alloc_batch 0 30 small 64; create 0 2 0 0 7; alloc_batch 0 30 small 64; destroy 0; alloc 0 large 1; create 0 0 12 0; walk 0; }
compact_after_churn() { alloc_batch 0 100 span 100; free_batch 0 100 0; compact 0; walk 0; alloc_batch 0 10 mid 16000; compact 0; walk 0; }

mkdir -p "$out"
rm -f "$out"/*
seed runs runs
seed run_churn run_churn
seed run_fill run_fill
seed zeroed zeroed
seed spans spans
seed span_in_place span_in_place
seed larges larges
seed large_grow large_grow
seed small_to_large small_to_large
seed fixed_small fixed_small
seed fixed_one_byte fixed_one_byte
seed fixed_limit fixed_limit
seed fixed_initial_above_maximum fixed_initial_above_maximum
seed growable_initial growable_initial
seed edges edges
seed edges_fixed edges_fixed
seed absurd_realloc absurd_realloc
for n in 0 1 2 3 5; do seed "inject_$n" inject "$n"; done
seed inject_create_0 inject_create 0 0 0
seed inject_create_1 inject_create 1 6 0
seed inject_create_fixed inject_create 1 0 14
for n in 0 1 2; do seed "inject_segments_$n" inject_segments "$n"; done
seed bogus_inside bogus_inside
seed bogus_freed bogus_freed
seed bogus_elsewhere bogus_elsewhere
seed locks locks
seed no_serialize no_serialize
seed executable executable
seed three_heaps three_heaps
seed recreate recreate
seed compact_after_churn compact_after_churn
written=("$out"/*)
echo "wrote ${#written[@]} seeds to $out"
