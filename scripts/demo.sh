#!/usr/bin/env bash
# The README's first command: sets the machine up, builds kernel32_mem.dll for x86_64 and i686,
# runs km_demo.exe under Wine, calling each implemented export through kernel32_mem.dll, then
# snapshots of a demo heap and of a side-loaded cmd.exe drawn by km-heap, then a short run of the
# benchmark suite.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

bash scripts/setup.sh
for preset in win64 win32; do
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset" >/dev/null
    echo "built build/$preset/bin/kernel32_mem.dll"
done

export WINEPREFIX="$root/build/win64/wineprefix" WINEDEBUG=-all WINEARCH=win64 WINEDLLOVERRIDES=mscoree,mshtml=
tests/tools/wine_session.sh start
trap 'tests/tools/wine_session.sh stop' EXIT
echo
echo "wine build/win64/bin/km_demo.exe"
wine build/win64/bin/km_demo.exe

# The heap inspector (README, "Inspecting a heap"): km_demo.exe lays out a heap and writes its
# snapshot; a real program, Wine's cmd.exe side-loaded onto kernel32_mem, writes one at exit
# (KM_SNAPSHOT); km-heap, built natively, sums each up and draws its map.
mkdir -p build/demo
rm -f build/demo/*.json
winpath() { printf 'Z:%s' "$1" | tr / '\\'; }
cmake --preset host >/dev/null
cmake --build --preset host --target km-heap >/dev/null
km_heap=build/host/tools/km_heap/km-heap
echo
echo "wine build/win64/bin/km_demo.exe --snapshot build/demo/demo-heap.json"
wine build/win64/bin/km_demo.exe --snapshot "$(winpath "$root/build/demo/demo-heap.json")"
echo "$km_heap stats build/demo/demo-heap.json"
"$km_heap" stats build/demo/demo-heap.json
"$km_heap" map build/demo/demo-heap.json -o build/demo/demo-heap.svg
echo "$km_heap map build/demo/demo-heap.json -o build/demo/demo-heap.svg"
echo
echo "KM_SNAPSHOT=build/demo/cmd-%p.json wine build/win64/bin/km_sideload.exe run cmd.exe /c ..."
KM_SNAPSHOT="$(winpath "$root/build/demo/cmd-%p.json")" wine build/win64/bin/km_sideload.exe run \
    'C:\windows\system32\cmd.exe' /c 'for /L %i in (1,1,200) do @set v%i=value%i' >/dev/null
cmd_snapshot=$(ls build/demo/cmd-*.json | head -n 1)
"$km_heap" map "$cmd_snapshot" -o build/demo/cmd-heap.svg
echo "$km_heap map $cmd_snapshot -o build/demo/cmd-heap.svg"
"$km_heap" stats "$cmd_snapshot" | sed -n 1,2p

# A short run of the benchmark suite (about half a minute); the full one is
# `cmake --build --preset win64 --target bench`.
echo
echo "cmake --build --preset win64 --target bench_short"
cmake --build --preset win64 --target bench_short 2>&1 | grep -v -e '^\[bench\]' -e '^\[[ 0-9]*%\]' -e 'Built target'
