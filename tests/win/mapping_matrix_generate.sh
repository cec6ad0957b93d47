#!/usr/bin/env bash
# mapping_matrix_generate.sh BUILD_DIR: writes mapping_matrix_expected.h beside this script from
# the system side's answers (mapping.matrix.system.exe generate), under Wine in BUILD_DIR's
# prefix. Review the difference before committing it: the table is what both sides must answer.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${1:?usage: mapping_matrix_generate.sh BUILD_DIR}
export WINEPREFIX=$build/wineprefix WINEDEBUG=-all
{
    sed -n '1,5p' "$here/mapping_matrix_expected.h"
    wine "$build/bin/mapping.matrix.system.exe" generate | tr -d '\r'
} >"$here/mapping_matrix_expected.h.new"
mv "$here/mapping_matrix_expected.h.new" "$here/mapping_matrix_expected.h"
echo "wrote $here/mapping_matrix_expected.h"
