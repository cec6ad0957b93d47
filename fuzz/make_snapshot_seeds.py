#!/usr/bin/env python3
"""Writes the seed corpus fuzz/corpus/snapshot_reader/: small snapshots for km-heap's reader.

    make_snapshot_seeds.py SNAPSHOT [OUT_DIR]

SNAPSHOT is a real one (build/host/tools/km_heap/tests/kh_fixture snapshot s.json writes one).
Each run keeps its first three blocks so that the seeds stay under the fuzzer's 16 KiB; variants
change one thing each: a 32-bit header, no handles, a free group that breaks the tiling, a
quarantined block, a heap with totals only.
"""
import copy
import json
import os
import sys


def trim(snapshot):
    s = copy.deepcopy(snapshot)
    for heap in s["heaps"]:
        for segment in heap["segments"]:
            for group in segment["groups"]:
                if group["kind"] == "run":
                    group["blocks"] = group["blocks"][:3]
    return s


def shift(value, delta):
    return hex(int(value, 16) + delta)


def main():
    source = json.load(open(sys.argv[1]))
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__),
                                                             "corpus", "snapshot_reader")
    os.makedirs(out, exist_ok=True)
    base = trim(source)
    seeds = {"snapshot": base}
    one = copy.deepcopy(base)
    one["heaps"] = one["heaps"][1:]
    seeds["one_heap"] = one
    empty = copy.deepcopy(base)
    empty["heaps"], empty["handles"] = [], []
    seeds["empty"] = empty
    narrow = copy.deepcopy(one)
    narrow["pointer_bits"] = 32
    delta = -(int(narrow["heaps"][0]["handle"], 16) & ~0xffffff) + 0x10000000
    heap = narrow["heaps"][0]
    heap["handle"] = shift(heap["handle"], delta)
    for segment in heap["segments"]:
        segment["base"] = shift(segment["base"], delta)
        for group in segment["groups"]:
            group["address"] = shift(group["address"], delta)
            if group["kind"] == "run":
                group["first_block"] = shift(group["first_block"], delta)
                for block in group["blocks"]:
                    block["address"] = shift(block["address"], delta)
    seeds["pointer_bits_32"] = narrow
    broken = copy.deepcopy(one)
    broken["heaps"][0]["segments"][0]["groups"][-1]["count"] += 1
    seeds["not_tiling"] = broken
    held = copy.deepcopy(one)
    run = next(g for g in held["heaps"][0]["segments"][0]["groups"] if g["kind"] == "run")
    run["free_count"] -= 1
    run["quarantined_count"] += 1
    run["blocks"][-1]["state"] = "quarantined"
    held["heaps"][0]["quarantine"] = {"limit": 65536, "bytes": run["block_size"], "blocks": 1}
    seeds["quarantined"] = held
    totals = copy.deepcopy(base)
    totals["heaps"][1]["complete"] = False
    totals["heaps"][1]["segments"] = []
    seeds["totals_only"] = totals
    for name, seed in seeds.items():
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump(seed, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
