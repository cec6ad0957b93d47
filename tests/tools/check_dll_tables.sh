#!/bin/bash
# Checks a built kernel32_mem.dll: it imports from ntdll.dll alone, and it exports exactly the
# names the spec lists. Usage: check_dll_tables.sh OBJDUMP DLL SPEC
set -euo pipefail
objdump=$1 dll=$2 spec=$3
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
expected=$(awk '/^@/ { for (i = 3; i <= NF; i++) if ($i !~ /^-/) { sub(/\(.*/, "", $i); print $i; break } }' "$spec" | sort)
if [ "$exports" != "$expected" ]; then
    echo "FAIL: $dll exports differ from the spec (< DLL, > spec):"
    diff <(echo "$exports") <(echo "$expected") || true
    exit 1
fi
echo "$dll: imports from ntdll.dll alone; exports the $(echo "$expected" | wc -l) names of the spec"
