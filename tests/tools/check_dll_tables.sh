#!/bin/bash
# Checks a built kernel32_mem.dll: it imports from ntdll.dll alone, and it exports exactly the
# names the spec lists for its architecture. Usage: check_dll_tables.sh OBJDUMP DLL SPEC win32|win64
set -euo pipefail
objdump=$1 dll=$2 spec=$3 arch=$4
dump=$("$objdump" -p "$dll")

imports=$(printf '%s\n' "$dump" | sed -n 's/^[[:space:]]*DLL Name: //p' | tr 'A-Z' 'a-z' | sort -u | tr '\n' ' ')
if [ "$imports" != "ntdll.dll " ]; then
    echo "FAIL: $dll imports from: $imports(it must import from ntdll.dll alone)"
    exit 1
fi

# The export names follow the "[Ordinal/Name Pointer] Table" line, one "[ n] Name" a line.
exports=$(printf '%s\n' "$dump" | awk '
    /\[Ordinal\/Name Pointer\] Table/ { names = 1; next }
    names && /^[[:space:]]*\[[[:space:]]*[0-9]+\]/ { sub(/^[^]]*\][[:space:]]*/, ""); print; next }
    names { names = 0 }' | sort)
# An entry with -arch=LIST belongs to the architectures LIST names (win32/i386, win64/x86_64).
case $arch in
    win32) aliases=",win32,i386," ;;
    win64) aliases=",win64,x86_64," ;;
    *) echo "FAIL: unknown architecture $arch"; exit 1 ;;
esac
expected=$(awk -v aliases="$aliases" '/^@/ {
    for (i = 3; i <= NF; i++) {
        if ($i ~ /^-arch=/) {
            split(substr($i, 7), arches, ",")
            kept = 0
            for (a in arches) if (index(aliases, "," arches[a] ",")) kept = 1
            if (!kept) next
        } else if ($i !~ /^-/) { sub(/\(.*/, "", $i); print $i; next }
    } }' "$spec" | sort)
if [ "$exports" != "$expected" ]; then
    echo "FAIL: $dll exports differ from the spec (< DLL, > spec):"
    diff <(echo "$exports") <(echo "$expected") || true
    exit 1
fi
echo "$dll: imports from ntdll.dll alone; exports the $(echo "$expected" | wc -l) names of the spec"
