#!/usr/bin/env bash
# The i686 side of `km_sideload rewrite`: 32-bit programs cannot run on these machines, so the
# x86_64 tool (from the win64 build tree, under Wine) rewrites the i686 demo for the i686 DLL, and
# i686 objdump reads the result: a PE32 that imports kernel32_mem.dll, with the rest in place.
#   check_rewrite_pe32.sh X64_TOOL I686_DLL I686_DEMO I686_OBJDUMP WORK_DIR SPEC
# Exits 77 (ctest's skip) when the x86_64 tool or Wine is missing.
set -euo pipefail
tool=$1 dll=$2 demo=$3 objdump=$4 work=$5 spec=$6
if [ ! -f "$tool" ] || ! command -v wine >/dev/null; then
    echo "skipped: needs the win64 tree's km_sideload.exe and Wine"
    exit 77
fi
winpath() { printf 'Z:%s' "$(readlink -f "$1")" | tr / '\\'; }
mkdir -p "$work"
export WINEPREFIX=$work/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES=mscoree,mshtml=
rm -f "$work/demo_km.exe"
before=$(md5sum <"$demo")
wine "$tool" rewrite --dll "$(winpath "$dll")" "$(winpath "$demo")" 'Z:'"$(echo "$work/demo_km.exe" | tr / '\\')" </dev/null
wineserver -k 2>/dev/null || true
[ "$before" = "$(md5sum <"$demo")" ] || { echo "FAIL: the input changed"; exit 1; }
"$objdump" -p "$work/demo_km.exe" >"$work/demo_km.txt"
grep -q 'file format pei-i386' "$work/demo_km.txt" || { echo "FAIL: not a PE32"; exit 1; }
grep -q 'DLL Name: kernel32_mem.dll' "$work/demo_km.txt" || { echo "FAIL: no kernel32_mem.dll import"; exit 1; }
grep -q 'DLL Name: KERNEL32.dll' "$work/demo_km.txt" || { echo "FAIL: the other kernel32 imports are gone"; exit 1; }
# Every function the original imported from kernel32_mem.dll or kernel32 is still imported.
kernel32_functions() {
    awk '/DLL Name:/ { dll = $3 } NF == 3 && $1 ~ /^[0-9a-f]+$/ && $2 ~ /^[0-9]+$/ && dll ~ /^(kernel32|KERNEL32)/ { print $3 }' "$1" |
        sort -u
}
"$objdump" -p "$demo" >"$work/demo.txt"
kernel32_functions "$work/demo.txt" >"$work/before.txt"
kernel32_functions "$work/demo_km.txt" >"$work/after.txt"
[ -s "$work/before.txt" ] && cmp -s "$work/before.txt" "$work/after.txt" ||
    { echo "FAIL: the set of imported functions changed"; diff "$work/before.txt" "$work/after.txt"; exit 1; }
# None of kernel32_mem's exports is still imported from KERNEL32.dll.
sed -n 's/^@ [a-z]* \(-[^ ]* \)*\([A-Za-z_0-9]*\)(.*/\2/p' "$spec" | sort -u >"$work/ours.txt"
awk '/DLL Name:/ { dll = $3 } NF == 3 && $2 ~ /^[0-9]+$/ && dll == "KERNEL32.dll" { print $3 }' "$work/demo_km.txt" |
    sort -u >"$work/still_system.txt"
left=$(comm -12 "$work/ours.txt" "$work/still_system.txt")
[ -s "$work/ours.txt" ] && [ -z "$left" ] || { echo "FAIL: still imported from KERNEL32.dll: $left"; exit 1; }
echo "ok: $(grep -c . "$work/after.txt") kernel32 functions imported, those of kernel32_mem from kernel32_mem.dll"
