#!/usr/bin/env bash
# The README's second command: sets the machine up and runs every test:
#   host          the portable core and km-heap, natively, under ASan and UBSan
#   host-tsan     the core's multi-threaded stress tests under ThreadSanitizer
#   fuzz          the core's fuzzer: its regressions replayed, then 60 s of fuzzing (clang);
#                 and 20 s of fuzzing km-heap's snapshot reader
#   win64         every Windows test under Wine, against kernel32_mem and the system kernel32
#   win32-checks  the i686 DLL built, its import and export tables and its package checked
#                 (its Windows tests need 32-bit Wine or Windows: `ctest --preset win32` there)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

bash scripts/setup.sh
for workflow in host host-tsan fuzz win64 win32-checks; do
    echo "== cmake --workflow --preset $workflow"
    cmake --workflow --preset "$workflow"
done
