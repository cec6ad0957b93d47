#!/usr/bin/env bash
# The sideload.* tests: Wine's own x86_64 programs, run plain and through km_sideload.exe, must
# give identical standard output, standard error and exit codes, and KM_STATS must show
# kernel32_mem serving their calls.
#   sideload_test.sh BIN_DIR DATA_DIR CASE
# BIN_DIR holds km_sideload.exe, kernel32_mem.dll and malloc_pairs.exe; DATA_DIR is made by the
# `data` case (a 1 MiB text file, a tree of 200 small files, the batch files cmd runs). The
# environment (WINEPREFIX, WINEDEBUG) comes from ctest.
set -uo pipefail
bin=$(cd "$1" && pwd)
mkdir -p "$2"
data=$(cd "$2" && pwd)
case_name=$3

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# A Linux path as Wine's Z: drive names it.
winpath() { printf 'Z:%s' "$1" | tr / '\\'; }

tool=$bin/km_sideload.exe

make_data() {
    rm -rf "$data" && mkdir -p "$data/tree"
    # 1 MiB of text lines; every other line holds the word searched for.
    awk 'BEGIN {
        split("alpha beta gamma delta kernel heap memory wine block page", w, " ");
        seed = 12345; bytes = 0;
        for (line = 0; bytes < 1048576; line++) {
            text = "";
            for (i = 0; i < 8; i++) { seed = (seed * 1103515245 + 12345) % 2147483648; text = text w[1 + int(seed / 65536) % 10] " " }
            if (line % 2 == 0) text = text "needle";
            printf "%s %d\r\n", text, line; bytes += length(text) + length(line "") + 3;
        }
    }' >"$data/big.txt"
    for i in $(seq 0 199); do
        mkdir -p "$data/tree/d$((i % 10))"
        printf 'file %d\r\n' "$i" >"$data/tree/d$((i % 10))/f$i.txt"
    done
    local big tree
    big=$(winpath "$data/big.txt")
    tree=$(winpath "$data/tree")
    printf '@dir /s %s\r\n' "$tree" >"$data/dir_s.cmd"
    printf '@for /L %%%%i in (1,1,3000) do @set v%%%%i=value%%%%i\r\n@set v\r\n' >"$data/set_loop.cmd"
    printf '@for /f "tokens=1,2" %%%%a in (%s) do @echo %%%%b\r\n' "$big" >"$data/for_f.cmd"
    printf '@type %s\r\n' "$big" >"$data/type.cmd"
    printf '@dir %s\r\n' "$(winpath "$data/missing")" >"$data/dir_missing.cmd"
    printf '@no_such_command_here\r\n' >"$data/unknown.cmd"
}

# Runs "$@" under Wine into $out.{stdout,stderr,code}.
run_into() {
    local out=$1
    shift
    wine "$@" </dev/null >"$out.stdout" 2>"$out.stderr"
    echo $? >"$out.code"
}

# What a case must undo between the plain and the side-loaded run (xcopy's copy).
between_runs() { :; }

# Runs PROGRAM ARGS plainly and through `km_sideload.exe run OPTIONS`, and compares. The second
# run's KM_STATS file is $work/stats.txt.
compare_run() {
    local label=$1 options=$2
    shift 2
    rm -f "$work/stats.txt"
    local start middle end
    start=$(date +%s.%N)
    run_into "$work/plain" "$@"
    middle=$(date +%s.%N)
    between_runs
    # shellcheck disable=SC2086
    KM_STATS=$(winpath "$work/stats.txt") run_into "$work/side" "$tool" run $options "$@"
    end=$(date +%s.%N)
    seconds=$(awk -v a="$start" -v b="$middle" -v c="$end" 'BEGIN { printf "%.2f s plain, %.2f s side-loaded", b - a, c - b }')
    for stream in stdout stderr; do
        # A directory listing's free space changes between two runs; nothing else may.
        grep -v 'bytes free' "$work/plain.$stream" >"$work/plain.$stream.kept"
        grep -v 'bytes free' "$work/side.$stream" >"$work/side.$stream.kept"
        cmp -s "$work/plain.$stream.kept" "$work/side.$stream.kept" ||
            { diff "$work/plain.$stream.kept" "$work/side.$stream.kept" | head -20 >&2; fail "$label: $stream differs"; }
    done
    cmp -s "$work/plain.code" "$work/side.code" ||
        fail "$label: exit code $(cat "$work/plain.code") plain, $(cat "$work/side.code") side-loaded"
    [ -s "$work/stats.txt" ] || fail "$label: KM_STATS wrote nothing"
    echo "ok $label: exit $(cat "$work/plain.code"), $(wc -l <"$work/plain.stdout") lines, $seconds; KM_STATS:"
    sed 's/^/    /' "$work/stats.txt"
}

# The sum of the `served` counts of the named exports in the last KM_STATS file.
served() {
    local pattern
    pattern=$(printf '%s|' "$@")
    awk -v pattern="^(${pattern%|}) " '$0 ~ pattern { split($2, kv, "="); total += kv[2] } END { print total + 0 }' \
        "$work/stats.txt"
}

passed_on() {
    awk -v name="$1" '$1 == name { split($3, kv, "="); total += kv[2] } END { print total + 0 }' \
        "$work/stats.txt"
}

expect_at_least() {
    [ "$2" -ge "$3" ] || fail "$1: $2, expected at least $3"
    echo "ok $1: $2 (at least $3)"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

case $case_name in
data)
    make_data
    [ "$(stat -c %s "$data/big.txt")" -ge 1048576 ] || fail "big.txt is too small"
    [ "$(find "$data/tree" -type f | wc -l)" -eq 200 ] || fail "the tree does not hold 200 files"
    ;;
find)
    compare_run "find in 1 MiB" "" find.exe needle "$(winpath "$data/big.txt")"
    expect_at_least "find: heap calls served" "$(served HeapAlloc HeapFree HeapReAlloc)" 100000
    ;;
xcopy)
    between_runs() { rm -rf "$work/copy"; }
    compare_run "xcopy of 200 files" "" xcopy.exe /s /i /q "$(winpath "$data/tree")" "$(winpath "$work/copy")"
    diff -r "$data/tree" "$work/copy" >/dev/null || fail "xcopy: the copy differs from its source"
    expect_at_least "xcopy: heap calls served" "$(served HeapAlloc HeapFree)" 50
    ;;
cmd_exe | cmd_process)
    scope=${case_name#cmd_}
    for script in dir_s set_loop for_f type dir_missing unknown; do
        compare_run "cmd /c $script.cmd, --scope $scope" "--scope $scope" cmd.exe /c "$(winpath "$data/$script.cmd")"
        expect_at_least "$script: calls served" "$(awk '{ split($2, kv, "="); t += kv[2] } END { print t + 0 }' "$work/stats.txt")" 1
        case $script in
        dir_missing | unknown)
            # The error message is a FormatMessage buffer of the system's, freed through us.
            expect_at_least "$script: LocalFree passed on" "$(passed_on LocalFree)" 1 ;;
        set_loop)
            [ "$(grep -c '^v' "$work/side.stdout")" -ge 3000 ] || fail "set_loop: fewer than 3000 variables" ;;
        esac
        if [ "$scope" = process ]; then
            # ucrtbase's malloc now runs on our heap.
            expect_at_least "$script: HeapAlloc served" "$(served HeapAlloc)" 10
        fi
    done
    ;;
malloc)
    compare_run "1,000,000 malloc/free pairs" "--scope process" "$bin/malloc_pairs.exe"
    expect_at_least "msvcrt's HeapAlloc served" "$(served HeapAlloc)" 1000000
    expect_at_least "msvcrt's HeapFree served" "$(served HeapFree)" 1000000
    ;;
rewrite)
    # Rewritten copies beside a copy of the DLL behave as `run` does.
    mkdir -p "$work/rewritten"
    cp "$bin/kernel32_mem.dll" "$work/rewritten/"
    for program in find xcopy; do
        wine "$tool" rewrite "C:\\windows\\system32\\$program.exe" \
            "$(winpath "$work/rewritten/$program.exe")" </dev/null >"$work/rewrite.out" 2>&1 ||
            { cat "$work/rewrite.out" >&2; fail "rewrite of $program.exe failed"; }
        grep -q 'Wine builtin' "$work/rewrite.out" || fail "rewrite of $program.exe did not say it cleared Wine's marker"
        x86_64-w64-mingw32-objdump -p "$work/rewritten/$program.exe" >"$work/objdump.txt"
        grep -q 'DLL Name: kernel32_mem.dll' "$work/objdump.txt" ||
            fail "$program.exe's copy does not import kernel32_mem.dll"
    done
    rm -f "$work/stats.txt"
    run_into "$work/plain" find.exe needle "$(winpath "$data/big.txt")"
    KM_STATS=$(winpath "$work/stats.txt") run_into "$work/side" "$work/rewritten/find.exe" needle "$(winpath "$data/big.txt")"
    cmp -s "$work/plain.stdout" "$work/side.stdout" && cmp -s "$work/plain.code" "$work/side.code" ||
        fail "the rewritten find.exe answers differently"
    expect_at_least "rewritten find: heap calls served" "$(served HeapAlloc HeapFree HeapReAlloc)" 100000
    wine "$work/rewritten/xcopy.exe" /s /i /q "$(winpath "$data/tree")" "$(winpath "$work/copy")" </dev/null >/dev/null 2>&1 ||
        fail "the rewritten xcopy.exe failed"
    diff -r "$data/tree" "$work/copy" >/dev/null || fail "the rewritten xcopy's copy differs from its source"
    echo "ok rewritten find.exe and xcopy.exe"
    ;;
bad_input)
    # Each refused with one line on standard error and a non-zero exit code; no input changes.
    printf 'not a program\r\n' >"$work/text.exe"
    cp "$bin/kernel32_mem.dll" "$work/dll_copy.dll"
    before=$(md5sum "$work/text.exe" "$work/dll_copy.dll")
    expect_refusal() {
        local label=$1
        shift
        wine "$tool" "$@" </dev/null >"$work/out" 2>"$work/err"
        local code=$?
        [ "$code" -ne 0 ] || fail "$label: exit code 0"
        grep -q '^km_sideload: ' "$work/err" || fail "$label: no 'km_sideload: ' message ($(head -c 200 "$work/err"))"
        echo "ok $label: exit $code, $(head -n 1 "$work/err")"
    }
    wine "$tool" </dev/null >"$work/out" 2>&1 && fail "no arguments: exit code 0"
    grep -q '^usage: km_sideload' "$work/out" || fail "no arguments: no usage"
    echo "ok no arguments: usage, non-zero exit"
    expect_refusal "an unknown verb" frobnicate
    expect_refusal "run of a file that is not a PE" run "$(winpath "$work/text.exe")"
    expect_refusal "run of a missing program" run "$(winpath "$work/missing.exe")"
    expect_refusal "run with a missing DLL" run --dll "$(winpath "$work/missing.dll")" find.exe x
    expect_refusal "run with an unknown scope" run --scope everything find.exe x
    expect_refusal "rewrite of a file that is not a PE" rewrite "$(winpath "$work/text.exe")" "$(winpath "$work/out.exe")"
    expect_refusal "rewrite onto its input" rewrite "$(winpath "$work/dll_copy.dll")" "$(winpath "$work/dll_copy.dll")"
    expect_refusal "rewrite with a DLL that is not a DLL" rewrite --dll "$(winpath "$work/text.exe")" 'C:\windows\system32\find.exe' "$(winpath "$work/out.exe")"
    expect_refusal "rewrite of a program that imports none of our functions" rewrite "$(winpath "$bin/kernel32_mem.dll")" "$(winpath "$work/out.exe")"
    expect_refusal "rewrite in process scope" rewrite --scope process 'C:\windows\system32\find.exe' "$(winpath "$work/out.exe")"
    [ "$before" = "$(md5sum "$work/text.exe" "$work/dll_copy.dll")" ] || fail "an input file changed"
    [ ! -e "$work/out.exe" ] || fail "a refused rewrite left an output file"
    ;;
*)
    fail "unknown case $case_name"
    ;;
esac
