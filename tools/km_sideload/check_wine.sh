#!/bin/sh
# Checks a standalone x86_64 build of km_sideload under Wine against Wine's own programs: the
# redirected run and the rewritten copy must behave like the original (same stdout, same exit
# code), the probe must see HeapAlloc come from kernel32_mem.dll, and bad input must fail with a
# message and a non-zero code without touching the input. Why a script: these are end-to-end
# facts about Wine's loader that no unit test of the PE code can show.
#   usage: check_wine.sh BUILD_DIR KERNEL32_MEM_DLL   (BUILD_DIR holds km_sideload*.exe)
set -u
build=$(cd "$1" && pwd); dll=$2
export WINEDEBUG=-all
sys=/usr/lib/x86_64-linux-gnu/wine/x86_64-windows
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp "$dll" "$build/kernel32_mem.dll"
cd "$work" || exit 1
fails=0
ok() { printf 'ok   %s\n' "$*"; }
bad() { printf 'FAIL %s\n' "$*"; fails=$((fails + 1)); }
tool() { wine "$build/km_sideload.exe" "$@"; }

# Same stdout and exit code with and without the tool.
same() {
    wine "$@" >plain.out 2>/dev/null; a=$?
    tool run "$@" >side.out 2>/dev/null; b=$?
    if [ $a = $b ] && cmp -s plain.out side.out; then ok "run $* (exit $a)"; else bad "run $*"; fi
}
printf 'hello x\nnothing\nxx marks\n' >some.txt
mkdir -p src/a && echo 1 >src/f1.txt && echo 2 >src/a/f2.txt
same find.exe x some.txt
same find.exe zzz some.txt
same cmd.exe /c "exit 42"
same cmd.exe /c dir /b src
wine xcopy /s /i /q src dst1 >x1.out; a=$?
tool run xcopy /s /i /q src dst2 >x2.out; b=$?
[ $a = $b ] && cmp -s x1.out x2.out && diff -r dst1 dst2 >/dev/null && ok "run xcopy" || bad "run xcopy"

tool run "$build/km_sideload_probe.exe" --exit 7 >probe.out; rc=$?
grep -q '^HeapAlloc: kernel32_mem.dll' probe.out && [ $rc = 7 ] && ok "probe redirected, exit 7" ||
    bad "probe: $(head -1 probe.out), exit $rc"

cp "$sys/find.exe" find_in.exe; before=$(md5sum <find_in.exe)
tool rewrite find_in.exe "$build/find_km.exe" 2>/dev/null && ok "rewrite find.exe" || bad "rewrite"
x86_64-w64-mingw32-objdump -p "$build/find_km.exe" >dump.txt
grep -q 'DLL Name: kernel32_mem.dll' dump.txt && grep -q 'HeapAlloc' dump.txt &&
    grep -q 'DLL Name: kernel32.dll' dump.txt && grep -q 'ReadFile' dump.txt &&
    ok "objdump shows both DLLs" || bad "objdump"
wine "$build/find_km.exe" x some.txt >r.out; a=$?
wine find.exe x some.txt >p.out; b=$?
[ $a = $b ] && cmp -s r.out p.out && ok "rewritten find.exe" || bad "rewritten find.exe"

# Bad input: a message starting "km_sideload: " and a non-zero exit code.
fails_with() {
    tool "$@" >/dev/null 2>err.txt; rc=$?
    if [ $rc != 0 ] && grep -q '^km_sideload: ' err.txt; then ok "exit $rc: $(head -1 err.txt)"
    else bad "$* (exit $rc)"; fi
}
printf 'text\n' >text.exe
tool >/dev/null 2>err.txt; rc=$?
[ $rc = 2 ] && grep -q '^usage: ' err.txt && ok "no arguments: usage, exit 2" || bad "no arguments"
fails_with run
fails_with run --bogus find.exe
fails_with run --scope all find.exe
fails_with run nosuchprogram.exe
fails_with run --dll nosuch.dll find.exe
fails_with run --dll text.exe find.exe
fails_with run text.exe
fails_with run clock.exe
fails_with rewrite --scope process find_in.exe out.exe
fails_with rewrite find_in.exe find_in.exe
fails_with rewrite find_in.exe FIND_IN.EXE
fails_with rewrite text.exe out.exe
[ "$(md5sum <find_in.exe)" = "$before" ] && ok "input unchanged" || bad "input changed"
echo "$fails failure(s)"
[ $fails = 0 ]
