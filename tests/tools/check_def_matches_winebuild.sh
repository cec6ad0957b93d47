#!/bin/bash
# Checks cmake/spec_to_def.cmake against winebuild: both must list the same exports, with the
# same i686 decorations. Usage: check_def_matches_winebuild.sh WINEBUILD SPEC DEF ARCH_FLAG
set -euo pipefail
winebuild=$1 spec=$2 def=$3 arch_flag=$4
reference=$(mktemp)
trap 'rm -f "$reference"' EXIT
"$winebuild" --def -E "$spec" -o "$reference" -F kernel32_mem.dll "$arch_flag"
names() { sed -n 's/^[[:space:]]\+\([A-Za-z_][A-Za-z0-9_@]*\).*/\1/p' "$1" | sort; }
if ! diff <(names "$def") <(names "$reference"); then
    echo "FAIL: $def differs from winebuild's .def (< ours, > winebuild)"
    exit 1
fi
echo "$(names "$def" | wc -l) exports, decorated as winebuild decorates them"
