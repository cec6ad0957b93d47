#!/usr/bin/env bash
# The README's first command: sets the machine up, builds kernel32_mem.dll for x86_64 and i686,
# runs km_demo.exe under Wine, calling each implemented export through kernel32_mem.dll, then a
# short run of the benchmark suite.
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

# A short run of the benchmark suite (about half a minute); the full one is
# `cmake --build --preset win64 --target bench`.
echo
echo "cmake --build --preset win64 --target bench_short"
cmake --build --preset win64 --target bench_short 2>&1 | grep -v -e '^\[bench\]' -e '^\[[ 0-9]*%\]' -e 'Built target'
