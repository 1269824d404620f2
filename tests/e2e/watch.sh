#!/usr/bin/env bash
# Watch end-to-end driver (e2e.race.watch.*, tests/e2e/race.cmake): compiles watch_cases.c as a
# plain program (gcc -g -O1 -pthread: no instrumentation, no liblockwatch) and checks one case:
#   racy     `lockwatch run --watch counter` reports a race on 'counter' (the program runs its
#            threads one after the other, ordered by a volatile flag, which is no
#            synchronisation, so that no write lands while the other thread single-steps with
#            the page open: docs/race-mode.md, "Watches")
#   mutex    no finding, the program's own result intact
#   segv     dies by SIGSEGV with the same status under watches as natively
#   handler  same stdout and status with and without watches, and no finding
#   fork     no forked child hangs on what another thread of the parent held at the fork
# Environment: LW_BIN, LW_SHIM, LW_WORK, LW_CHECK (check_race.py), LW_SRC (watch_cases.c).
set -euo pipefail
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
case=$1
rm -rf "$LW_WORK"
mkdir -p "$LW_WORK"
cd "$LW_WORK"
gcc -g -O1 -pthread "$LW_SRC" -o prog || fail "compile"
if nm -D prog | grep -q lockwatch || readelf -d prog | grep -q liblockwatch; then
    fail "the program must not be linked to lockwatch"
fi
run() { # run LOGDIR ARGS...: lockwatch run with watches, JSON report in out.json
    local dir=$1
    shift
    set +e
    "$LW_BIN" run --format json --output out.json --log-dir "$dir" --watch counter "$@" \
        >prog.out 2>prog.err
    rc=$?
    set -e
}
case "$case" in
racy)
    run logs -- ./prog racy
    [[ "$rc" == 1 ]] || { cat prog.err >&2; fail "no race found (status $rc)"; }
    grep -q "lockwatch: watch:" prog.err && { cat prog.err >&2; fail "a watch was skipped"; }
    python3 "$LW_CHECK" out.json --kind data-race --kind unprotected-increment --symbol counter
    ;;
mutex)
    run logs -- ./prog mutex
    [[ "$rc" == 0 ]] || { cat prog.err >&2; fail "lockwatch run exited $rc, expected 0"; }
    grep -qx "counter 4000" prog.out || fail "the program's result changed: $(cat prog.out)"
    python3 "$LW_CHECK" out.json --total 0
    ;;
segv)
    set +e
    ./prog segv 2>/dev/null
    native=$?
    LD_PRELOAD="$LW_SHIM" LOCKWATCH_OPTIONS=watch=counter:log_dir=. ./prog segv 2>watched.err
    watched=$?
    set -e
    [[ "$native" == 139 ]] || fail "native run exited $native, expected 139 (SIGSEGV)"
    [[ "$watched" == "$native" ]] || fail "with watches the program exited $watched, natively $native"
    grep -q "lockwatch: watch:" watched.err && { cat watched.err >&2; fail "a watch was skipped"; }
    run logs -- ./prog segv
    grep -q "killed by signal SIGSEGV" prog.err || { cat prog.err >&2; fail "not killed by SIGSEGV"; }
    ;;
handler)
    set +e
    ./prog handler >native.out 2>&1
    native=$?
    set -e
    run logs -- ./prog handler
    [[ "$rc" == 0 && "$native" == 0 ]] || { cat prog.err >&2; fail "status $rc (native $native)"; }
    diff native.out prog.out || fail "output differs with watches"
    grep -q "segvs 3 traps 3" prog.out || fail "the program's handlers did not run: $(cat prog.out)"
    python3 "$LW_CHECK" out.json --total 0
    ;;
fork)
    run logs -- ./prog fork
    [[ "$rc" == 0 ]] || { cat prog.out prog.err >&2; fail "status $rc: $(cat prog.out)"; }
    grep -qx "hung 0" prog.out || fail "a child hung: $(cat prog.out)"
    python3 "$LW_CHECK" out.json --total 0
    ;;
*) fail "unknown case $case" ;;
esac
echo "ok: watch $case"
