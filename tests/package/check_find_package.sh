#!/bin/bash
# Installs the build into a scratch prefix, builds tests/package/consumer against it with
# find_package(kernel32_mem), and checks that the consumer imports from kernel32_mem.dll.
# Usage: check_find_package.sh BUILD_DIR GENERATOR OBJDUMP [TOOLCHAIN_FILE]
set -euo pipefail
build=$1 generator=$2 objdump=$3 toolchain=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
scratch=$build/package-test
rm -rf "$scratch"

cmake --install "$build" --prefix "$scratch/prefix" >/dev/null
cmake -S "$here/consumer" -B "$scratch/consumer" -G "$generator" \
    ${toolchain:+-DCMAKE_TOOLCHAIN_FILE="$toolchain"} -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
cmake --build "$scratch/consumer" >/dev/null

# The names the consumer imports from kernel32_mem.dll, from objdump's per-DLL import lists.
from_ours=$("$objdump" -p "$scratch/consumer/km_consumer.exe" | awk '
    /DLL Name:/ { ours = ($3 == "kernel32_mem.dll"); next }
    ours && NF == 3 && $1 ~ /^[0-9a-f]+$/ { print $3 }')
for name in VirtualAlloc VirtualFree; do
    if ! grep -qx "$name" <<<"$from_ours"; then
        echo "FAIL: the consumer does not import $name from kernel32_mem.dll (it does: $(echo $from_ours))"
        exit 1
    fi
done
echo "find_package(kernel32_mem) works; the consumer imports from kernel32_mem.dll: $(echo $from_ours)"
