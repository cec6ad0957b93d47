#!/bin/sh
# Starts or stops the persistent wineserver that every Windows test of a ctest run shares.
# The environment (WINEPREFIX inside the build tree, WINEDEBUG, WINEARCH) comes from ctest.
set -eu
case "${1:-}" in
start)
    mkdir -p "$WINEPREFIX"
    # Detached from ctest's pipes, or ctest would wait for the daemon to close them. It fails
    # when a server for this prefix already runs, which serves as well.
    wineserver -p </dev/null >/dev/null 2>&1 || true
    # A new prefix takes seconds to create; do it once, here, rather than inside a test.
    if [ ! -f "$WINEPREFIX/system.reg" ]; then
        wineboot --init </dev/null >/dev/null 2>&1
    fi
    # The first program of a session starts Wine's resident services, which inherit its
    # standard handles and outlive it: start them here, on /dev/null, and not from a test,
    # whose output pipe they would hold open until ctest gives up on it.
    wine cmd.exe /c exit 0 </dev/null >/dev/null 2>&1
    ;;
stop)
    wineserver -k </dev/null >/dev/null 2>&1 || true
    wineserver -w </dev/null >/dev/null 2>&1 || true
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
