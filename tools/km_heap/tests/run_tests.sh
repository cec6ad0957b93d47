#!/usr/bin/env bash
# km-heap's shell-driven tests, one group per ctest:
#   run_tests.sh GROUP KM_HEAP KH_FIXTURE PYTHON WORK_DIR
# Each group makes its files with kh_fixture (from real heaps of the core), runs km-heap on them
# and checks the answers; any sanitizer report on standard error fails the group.
set -uo pipefail
group=$1 km_heap=$2 fixture=$3 python=$4 work=$5
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
failures=0

fail() {
    echo "FAILED: $*"
    failures=$((failures + 1))
}

# run NAME EXPECTED_EXIT ARGS...: runs km-heap, keeping its output in NAME.out and NAME.err.
run() {
    local name=$1 expected=$2
    shift 2
    "$km_heap" "$@" >"$name.out" 2>"$name.err"
    local status=$?
    if [ "$status" -ne "$expected" ]; then
        fail "$name: km-heap $* exited $status, not $expected"
        sed 's/^/    /' "$name.err" | head -20
    fi
    if grep -qE 'Sanitizer|runtime error' "$name.err"; then
        fail "$name: a sanitizer report"
        head -30 "$name.err"
    fi
}

# expect NAME PATTERN: NAME.out has a line matching PATTERN (grep -E).
expect() {
    grep -qE -- "$2" "$1.out" || { fail "$1: no line matching '$2' in:"; sed 's/^/    /' "$1.out" | head -30; }
}

# A bad input: exit 2 and one message starting km-heap:.
expect_refused() {
    local name=$1
    shift
    run "$name" 2 "$@"
    if ! grep -q '^km-heap: ' "$name.err"; then
        fail "$name: no 'km-heap:' message"
    fi
    echo "ok  $name: $(head -n 1 "$name.err")"
}

case "$group" in
stats)
    "$fixture" snapshot s.json || exit 1
    run stats 0 stats s.json
    expect stats '^3 heaps: reserved'
    expect stats 'maximum 1.00 MiB, 4096-byte slots'
    expect stats '^Heap 0x[0-9a-f]+ \(process heap\)'
    expect stats 'debug tail'
    expect stats '^ +1 +32 +1 '
    expect stats '^ +spans +- +1 .* 100000 '
    expect stats '^ +large +- +1 .* 3145728 '
    expect stats 'fragmentation: [0-9]+ free of [0-9]+ committed bytes'
    expect stats 'largest free: committed .* overall '
    expect stats '^Handle table: 1 entries in use \(1 moveable'
    ;;
where)
    "$fixture" snapshot s.json || exit 1
    # One address of each kind, picked from the snapshot itself.
    "$python" - s.json >addresses <<'PY' || exit 1
import json, sys
s = json.load(open(sys.argv[1]))
heap = s["heaps"][0]
groups = heap["segments"][0]["groups"]
def at(text, offset=0): return hex(int(text, 16) + offset)
run = next(g for g in groups if g["kind"] == "run" and any(b["state"] == "free" for b in g["blocks"]))
busy = next(b for b in run["blocks"] if b["state"] == "busy")
free = next(b for b in run["blocks"] if b["state"] == "free")
span = next(g for g in groups if g["kind"] == "span")
free_slot = next(g for g in groups if g["kind"] == "free")
print("busy", at(busy["address"], 5), busy["address"], busy["requested"])
print("free", at(free["address"], 1), free["address"], 0)
print("span", at(span["block"]["address"], 4096), span["block"]["address"], span["block"]["requested"])
print("large", at(heap["large"][0]["address"], 1000), heap["large"][0]["address"], heap["large"][0]["requested"])
print("meta", at(groups[0]["address"], 256), groups[0]["address"], 0)
print("free_slot", at(free_slot["address"], 300), free_slot["address"], 0)
print("handle", s["handles"][0]["handle"], s["handles"][0]["pointer"], 40)
PY
    while read -r kind address block requested; do
        run "where_$kind" 0 where s.json "$address"
        case "$kind" in
        busy) expect where_busy "block $block \+ 5 \(0x5\): busy, requested $requested," ;;
        free) expect where_free "block $block \+ 1 \(0x1\): free," ;;
        span) expect where_span "in a span group" && expect where_span "block $block \+ 4096 .*busy, requested $requested" ;;
        large) expect where_large "large block $block .*requested $requested" && expect where_large "offset 1000 \(0x3e8\) in the block" ;;
        meta) expect where_meta "in a meta group" && expect where_meta "metadata" ;;
        free_slot) expect where_free_slot "in a free group" && expect where_free_slot "a free slot" ;;
        handle) expect where_handle "Global handle $address: data $block, 40 bytes" ;;
        esac
        echo "ok  where $kind $address: $(sed -n 2p "where_$kind.out" | sed 's/^ *//')"
    done <addresses
    run where_outside 1 where s.json 0x10
    expect where_outside 'in no heap of the snapshot'
    ;;
map)
    "$fixture" snapshot s.json || exit 1
    run map 0 map s.json -o map.svg
    "$python" - map.svg s.json <<'PY' || fail "map: the SVG"
import json, sys
import xml.etree.ElementTree as ET
svg = ET.parse(sys.argv[1]).getroot()
snapshot = json.load(open(sys.argv[2]))
ns = "{http://www.w3.org/2000/svg}"
bands = [g for g in svg.iter(ns + "g") if g.get("class") == "segment"]
segments = sum(len(h["segments"]) for h in snapshot["heaps"])
large = [g for g in svg.iter(ns + "g") if g.get("class") == "large"]
assert len(bands) == segments, f"{len(bands)} bands for {segments} segments"
assert len(large) == 1, f"{len(large)} large-block bands"
assert svg.find(ns + "defs/" + ns + "pattern") is not None, "no hatch pattern"
print(f"ok  map: well-formed, {len(bands)} bands for {segments} segments")
PY
    # A heap of 100 MiB (1,600 slots and more) in a hand-made snapshot: cells aggregate slots.
    "$python" - big.json <<'PY' || exit 1
import json, sys
slot = 65536
base = 0x7f0000000000
count = 1700
groups = [{"kind": "meta", "first": 0, "count": 2, "address": hex(base), "committed": 2 * slot}]
first = 2
while first < count:
    n = min(3, count - first)
    kind = ["run", "span", "free"][first % 3]
    g = {"kind": kind, "first": first, "count": n, "address": hex(base + first * slot),
         "committed": n * slot // 2}
    if kind == "run":
        g.update({"class": 10, "block_size": 176, "block_count": 1000, "busy_count": first % 1000,
                  "free_count": 1000 - first % 1000, "quarantined_count": 0,
                  "first_block": hex(base + first * slot + 16), "blocks": []})
    if kind == "span":
        g["block"] = {"address": hex(base + first * slot + 16), "size": n * slot - 16,
                      "requested": n * slot - 100, "state": "busy", "seal": "none"}
    groups.append(g)
    first += n
doc = {"format": "kernel32_mem.snapshot", "version": 1, "producer": "test <&> \"big\"",
       "reason": "request", "pid": 1, "pointer_bits": 64, "page_size": 4096, "slot_size": slot,
       "heaps": [{"handle": hex(base), "process_heap": True, "flags": [], "debug": [],
                  "maximum": 0, "reserved": count * slot, "committed": count * slot // 2,
                  "requested": 1, "quarantine": {"limit": 0, "bytes": 0, "blocks": 0},
                  "segments": [{"index": 0, "base": hex(base), "size": count * slot,
                                "slot_count": count, "committed": count * slot // 2,
                                "groups": groups}], "large": []}],
       "handles": []}
json.dump(doc, open(sys.argv[1], "w"))
PY
    run map_big 0 map big.json -o big.svg
    "$python" - big.svg <<'PY' || fail "map: the big SVG"
import sys
import xml.etree.ElementTree as ET
svg = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
cells = [g for g in svg.iter(ns + "g") if (g.get("class") or "").startswith("cell")]
assert len(cells) <= 512, f"{len(cells)} cells"
assert any("4 slots per cell" in (g.findtext(ns + "title") or "") for g in cells), "no aggregation"
print(f"ok  map: 1,700 slots drawn as {len(cells)} cells")
PY
    ;;
diff)
    "$fixture" diff old.json new.json expected || exit 1
    run diff 0 diff old.json new.json --svg diff.svg
    sed -n 's/^\(0x[0-9a-f]*\) .*/\1/p' diff.out | sort >listed
    sort expected >expected.sorted
    if ! cmp -s listed expected.sorted; then
        fail "diff: the new blocks listed are not the ones made"
        diff listed expected.sorted | head
    fi
    expect diff "^$(wc -l <expected) blocks new and still live"
    expect diff '^ +busy +[0-9]+ -> [0-9]+ +\(\+[0-9]+\)'
    "$python" -c "
import sys, xml.etree.ElementTree as ET
svg = ET.parse('diff.svg').getroot()
new = [r for r in svg.iter('{http://www.w3.org/2000/svg}rect') if r.get('class') == 'new']
assert new, 'no highlighted block'
print(f'ok  diff: {len(new)} cells highlighted')" || fail "diff: the SVG"
    echo "ok  diff: $(tail -n 1 diff.out)"
    ;;
replay)
    "$fixture" trace trace.jsonl || exit 1
    run replay 0 replay trace.jsonl --snapshot replayed.json
    expect replay '^replayed [0-9]+ calls: 2 heaps, [0-9]+ live blocks, 0 mismatches'
    run replay_stats 0 stats replayed.json
    expect replay_stats 'by km-heap replay \(replay\)'
    echo "ok  replay: $(tail -n 1 replay.out)"
    "$fixture" double-free double_free.jsonl || exit 1
    run double_free 0 replay double_free.jsonl
    expect double_free 'HeapFree .*double free'
    expect double_free ': 1 heaps, 1 live blocks, 0 mismatches; failed calls: 1 double frees'
    echo "ok  replay: $(head -n 1 double_free.out)"
    # A trace whose recorded outcome the replay cannot match is reported.
    sed 's/"export":"HeapFree","heap":\("[^"]*"\),"args":{"flags":0,"block":\("[^"]*"\)},"result":0/"export":"HeapFree","heap":\1,"args":{"flags":0,"block":\2},"result":1/' \
        double_free.jsonl >mismatch.jsonl
    run mismatch 1 replay mismatch.jsonl
    expect mismatch 'mismatch: traced success, replayed double free'
    # A size from 2^63 up is written as a negative number (the DLL's format) and fails as the
    # traced call did.
    printf '%s\n' '{"format":"kernel32_mem.trace","version":1,"pid":1,"pointer_bits":64}' \
        '{"seq":1,"time_ns":1,"thread":1,"export":"HeapAlloc","heap":"0x10","args":{"flags":0,"size":-64},"result":"0x0","error":8}' \
        '{"seq":2,"time_ns":2,"thread":1,"export":"HeapSize","heap":"0x10","args":{"flags":0,"block":"0x20"},"result":-1,"error":87}' \
        >huge_size.jsonl
    run huge_size 0 replay huge_size.jsonl
    expect huge_size ': 1 heaps, 0 live blocks, 0 mismatches'
    ;;
bad_input)
    "$fixture" snapshot s.json || exit 1
    head -c 3000 s.json >truncated.json
    echo 'this is not json' >not_json.json
    echo '{"hello": [1, 2, 3]}' >other.json
    sed 's/"version":1/"version":2/' s.json >version.json
    sed 's/"format":"kernel32_mem.snapshot"/"format":"something.else"/' s.json >format.json
    # The second group of the first segment starts one slot late: the groups do not tile.
    "$python" - s.json <<'PY' || exit 1
import json, sys
s = json.load(open(sys.argv[1]))
g = s["heaps"][0]["segments"][0]["groups"][1]
g["first"] += 1
json.dump(s, open("gap.json", "w"))
s = json.load(open(sys.argv[1]))
del s["heaps"][0]["segments"][0]["slot_count"]
json.dump(s, open("missing.json", "w"))
s = json.load(open(sys.argv[1]))
s["heaps"][0]["reserved"] = "lots"
json.dump(s, open("type.json", "w"))
s = json.load(open(sys.argv[1]))
r = next(g for g in s["heaps"][0]["segments"][0]["groups"] if g["kind"] == "run")
r["busy_count"] += 1
json.dump(s, open("counts.json", "w"))
PY
    expect_refused truncated stats truncated.json
    expect_refused not_json stats not_json.json
    expect_refused not_snapshot where other.json 0x1000
    expect_refused version map version.json -o v.svg
    expect_refused format stats format.json
    expect_refused gap stats gap.json
    expect_refused missing diff s.json missing.json
    expect_refused type stats type.json
    expect_refused counts stats counts.json
    expect_refused missing_file stats no_such_file.json
    expect_refused unknown_command frobnicate s.json
    expect_refused no_command
    expect_refused stats_no_args stats
    expect_refused where_no_address where s.json
    expect_refused where_bad_address where s.json 0xnothex
    expect_refused map_no_output map s.json
    expect_refused diff_one diff s.json
    expect_refused replay_no_args replay
    head -c 200 s.json >trace_truncated.jsonl
    expect_refused trace_not_trace replay trace_truncated.jsonl
    printf '%s\n' '{"format":"kernel32_mem.trace","version":1,"pid":1,"pointer_bits":64}' \
        '{"seq":1,"time_ns":1,"thread":1,"export":"HeapAlloc","heap":"0x10","args":{"flags":0,"size":8},"result":"0x20","error":0}' \
        '{"seq":2,"time_ns":2,"thread":1,"export":"HeapFree","heap":"0x10","args":{"flags":0,' >trace_cut.jsonl
    expect_refused trace_cut replay trace_cut.jsonl
    # Two calls with one seq: a trace written twice over.
    printf '%s\n' '{"format":"kernel32_mem.trace","version":1,"pid":1,"pointer_bits":64}' \
        '{"seq":1,"time_ns":1,"thread":1,"export":"HeapAlloc","heap":"0x10","args":{"flags":0,"size":8},"result":"0x20","error":0}' \
        '{"seq":1,"time_ns":1,"thread":1,"export":"HeapAlloc","heap":"0x10","args":{"flags":0,"size":8},"result":"0x20","error":0}' \
        >trace_twice.jsonl
    expect_refused trace_twice replay trace_twice.jsonl
    ;;
*)
    echo "run_tests.sh: unknown group '$group'" >&2
    exit 2
    ;;
esac

if [ "$failures" -ne 0 ]; then
    echo "$failures failures in km_heap.$group"
    exit 1
fi
echo "km_heap.$group: all checks passed"
