#!/usr/bin/env bash
# Makes a Debian 12 machine ready to build and test kernel32_mem, and changes nothing that is
# already right: installs the missing Debian packages (among them clang and its libFuzzer runtime,
# for the core's fuzzer), then builds cmocka (for the tests) and mimalloc (for the benchmarks) for
# both Windows targets from Debian's own source packages into build/deps/<triple>/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deps="$root/build/deps"

packages=(
    cmake make gcc libc6-dev pkg-config
    gcc-mingw-w64-x86-64 gcc-mingw-w64-i686 binutils-mingw-w64-x86-64 binutils-mingw-w64-i686
    wine64 wine64-tools
    libcmocka-dev dpkg-dev
    libmimalloc-dev libjemalloc-dev gnuplot-nox valgrind
    clang libclang-rt-14-dev
    libjansson-dev
)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

log() { printf '[setup] %s\n' "$*" >&2; }

install_missing_packages() {
    local missing=() p
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing: ${missing[*]}"
    as_root apt-get update -q >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
}

# apt-get source needs a deb-src entry; Debian 12 images ship only binary ones.
ensure_source_entry() {
    if grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ || grep -qs '^deb-src' /etc/apt/sources.list; then
        return 0
    fi
    local sources=/etc/apt/sources.list.d/debian.sources
    if [ -f "$sources" ]; then
        log "adding a deb-src entry beside $sources"
        awk 'BEGIN{RS=""} NR==1{sub(/Types:[^\n]*/, "Types: deb-src"); print; exit}' "$sources" |
            as_root tee /etc/apt/sources.list.d/kernel32-mem-src.sources >/dev/null
    else
        grep -m1 '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' |
            as_root tee /etc/apt/sources.list.d/kernel32-mem-src.list >/dev/null
    fi
    as_root apt-get update -q >&2
}

# Prints the directory of Debian's source package $1, fetching it the first time.
fetch_source() {
    local package=$1 src
    src=$(find "$deps/src" -maxdepth 1 -type d -name "$package-*" 2>/dev/null | head -n 1)
    if [ -n "$src" ]; then echo "$src"; return 0; fi
    ensure_source_entry
    mkdir -p "$deps/src"
    (cd "$deps/src" && apt-get source -q "$package" >&2)
    find "$deps/src" -maxdepth 1 -type d -name "$package-*" | head -n 1
}

build_cmocka_for() {
    local arch=$1 triple=$2 src=$3
    local prefix="$deps/$triple"
    [ -f "$prefix/lib/libcmocka-static.a" ] && return 0
    log "building cmocka for $triple from $(basename "$src")"
    cmake -S "$src" -B "$deps/build/cmocka-$triple" -G "Unix Makefiles" \
        -DCMAKE_TOOLCHAIN_FILE="$root/toolchain/mingw-w64-$arch.cmake" \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
        -DWITH_STATIC_LIB=ON -DUNIT_TESTING=OFF -DWITH_EXAMPLES=OFF >/dev/null
    cmake --build "$deps/build/cmocka-$triple" -j "$(nproc)" >/dev/null
    cmake --install "$deps/build/cmocka-$triple" >/dev/null
}

# mimalloc as one static object, no override: its src/static.c includes every source file, so
# the C compiler alone builds it (its CMake project also wants a C++ cross compiler).
build_mimalloc_for() {
    local triple=$1 src=$2
    local lib="$deps/$triple/lib/libmimalloc-static.a"
    [ -f "$lib" ] && return 0
    log "building mimalloc for $triple from $(basename "$src")"
    mkdir -p "$deps/build/mimalloc-$triple" "$deps/$triple/lib" "$deps/$triple/include"
    "$triple-gcc-win32" -O2 -w -DNDEBUG -DMI_DEBUG=0 -I"$src/include" -c "$src/src/static.c" \
        -o "$deps/build/mimalloc-$triple/static.o"
    "$triple-ar" rcs "$lib" "$deps/build/mimalloc-$triple/static.o"
    cp "$src/include/mimalloc.h" "$deps/$triple/include/"
}

install_missing_packages
cmocka_src=$(fetch_source cmocka)
build_cmocka_for x86_64 x86_64-w64-mingw32 "$cmocka_src"
build_cmocka_for i686 i686-w64-mingw32 "$cmocka_src"
mimalloc_src=$(fetch_source mimalloc)
build_mimalloc_for x86_64-w64-mingw32 "$mimalloc_src"
build_mimalloc_for i686-w64-mingw32 "$mimalloc_src"
log "ready"
