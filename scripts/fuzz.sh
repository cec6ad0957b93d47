#!/usr/bin/env bash
# Fuzzes the heap core for SECONDS (default 600) with core_ops (fuzz/core_ops.c), on one core:
# builds the fuzz preset (clang, libFuzzer, ASan, UBSan), replays fuzz/regressions/, then fuzzes
# from the seed corpus fuzz/corpus/core_ops/ and what earlier runs found in
# build/fuzz/corpus/core_ops/ (where new inputs go), and prints executions, speed, coverage and
# corpus size. A crash or model mismatch is saved as build/fuzz/artifacts/crash-*; to read one:
#   KM_FUZZ_TRACE=1 build/fuzz/fuzz/core_ops build/fuzz/artifacts/crash-...
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

seconds=${1:-600}
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
    echo "usage: scripts/fuzz.sh [SECONDS], SECONDS a positive number" >&2
    exit 2
fi
if ! command -v clang >/dev/null; then
    echo "fuzz.sh: clang is missing; scripts/setup.sh installs it (clang, libclang-rt-14-dev)" >&2
    exit 2
fi

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz >/dev/null
bash fuzz/run.sh build/fuzz/fuzz/core_ops build/fuzz replay
bash fuzz/run.sh build/fuzz/fuzz/core_ops build/fuzz fuzz "$seconds"
