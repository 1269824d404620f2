#!/usr/bin/env bash
# End-to-end driver for live deadlocks (tests e2e.deadlock.*): runs a program that deadlocks
# (or, for the negative case, blocks legitimately) under `lockwatch run`, always behind a
# `timeout` guard so a missed deadlock fails the test instead of hanging it, prints how long the
# run took, then checks the exit status, stderr, the JSON report (check_deadlock.py) and the text
# report. Environment as for e2e.sh: LW_BIN, LW_SHIM, LW_WORK, LW_CHECK_DEADLOCK.
# Usage: deadlock.sh CASE ARGS...   (the cases are the case_* functions below)
set -euo pipefail

# fail, run_rc, expect_rc, show
# shellcheck source=/dev/null
source "$(dirname "$0")/lib.sh"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# Checks the text report of the logs in logs/: the deadlock block is there.
check_text() {
    run_rc "$LW_BIN" report logs >report.txt 2>report.err
    show report.txt
    [[ $rc -eq 1 ]] || fail "lockwatch report on the logs: exit status $rc, expected 1"
    grep -q '^ERROR: deadlock: ' report.txt || fail "no 'ERROR: deadlock:' headline"
    grep -q '^SUMMARY: lockwatch: deadlock ' report.txt || fail "no deadlock SUMMARY line"
    grep -q '^Deadlock:$' report.txt || fail "no 'Deadlock:' scenario"
}

# run RC STDERR_REGEX [RUN_FLAGS...] -- PROG [ARGS...] -- CHECK_ARGS...
# `timeout 20 lockwatch run --format json --output out.json --log-dir logs RUN_FLAGS -- PROG`
# must exit RC, print a line matching STDERR_REGEX on stderr ("-": no check), and pass the
# JSON checks; when RC is 1 the text report must show the deadlock too.
case_run() {
    local want=$1 pattern=$2
    shift 2
    local flags=() prog=()
    while [[ $# -gt 0 && "$1" != "--" ]]; do
        flags+=("$1")
        shift
    done
    shift
    while [[ $# -gt 0 && "$1" != "--" ]]; do
        prog+=("$1")
        shift
    done
    [[ $# -gt 0 ]] && shift
    local start
    start=$(now)
    run_rc timeout 20 "$LW_BIN" run --format json --output out.json --log-dir logs \
        "${flags[@]}" -- "${prog[@]}" >prog.out 2>prog.err
    echo "lockwatch run ${flags[*]} -- ${prog[*]}: exit status $rc after $(elapsed "$start") s"
    show prog.err
    [[ $rc -ne 124 ]] || fail "lockwatch run hung (killed by the 20 s timeout)"
    [[ $rc -eq $want ]] || fail "lockwatch run: exit status $rc, expected $want"
    if [[ "$pattern" != "-" ]]; then
        grep -qE -- "$pattern" prog.err || fail "stderr has no line matching: $pattern"
    fi
    python3 "$LW_CHECK_DEADLOCK" out.json "$@" || {
        show out.json
        fail "report check"
    }
    if [[ $want -eq 1 ]]; then check_text; fi
}

# continue PROG -- CHECK_ARGS...: with on_deadlock=continue the program stays deadlocked; after
# 3 s the harness sends SIGTERM to `lockwatch run`, which forwards it, then reports. The log must
# hold exactly one DEADLOCK record (reported once, not once per watchdog scan).
case_continue() {
    local prog=$1
    shift
    [[ "${1:-}" == "--" ]] && shift
    local start
    start=$(now)
    # No `timeout` wrapper here: the SIGTERM must reach `lockwatch run` itself.
    "$LW_BIN" run --format json --output out.json --log-dir logs \
        --on-deadlock continue --deadlock-timeout-ms 500 -- "$prog" >prog.out 2>prog.err &
    local pid=$! i
    sleep 3
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid"
        fail "lockwatch run did not end within 15 s of SIGTERM"
    fi
    run_rc wait "$pid"
    echo "lockwatch run --on-deadlock continue: exit status $rc after $(elapsed "$start") s"
    show prog.err
    [[ $rc -eq 1 ]] || fail "lockwatch run: exit status $rc, expected 1"
    grep -q 'continuing' prog.err || fail "the shim did not say it continues"
    local logs=(logs/lockwatch.*.log)
    [[ ${#logs[@]} -eq 1 && -f "${logs[0]}" ]] || fail "expected one log, got: ${logs[*]}"
    local n
    n=$("$LW_BIN" dump "${logs[0]}" | grep -c ' DEADLOCK ' || true)
    [[ $n -eq 1 ]] || fail "the log holds $n DEADLOCK records, expected exactly 1"
    python3 "$LW_CHECK_DEADLOCK" out.json "$@" || {
        show out.json
        fail "report check"
    }
    check_text
}

# killed: the watchdog is told to wait a minute, so the deadlock is still unreported when the
# harness sends SIGTERM to `lockwatch run` (forwarded to the program, which dies of it); the
# report must still show the deadlock, rebuilt from the threads' last waits in the log.
case_killed() {
    local prog=$1
    shift
    [[ "${1:-}" == "--" ]] && shift
    "$LW_BIN" run --format json --output out.json --log-dir logs \
        --deadlock-timeout-ms 60000 -- "$prog" >prog.out 2>prog.err &
    local pid=$! i
    sleep 1.5
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid"
        fail "lockwatch run did not end within 15 s of SIGTERM"
    fi
    run_rc wait "$pid"
    show prog.err
    [[ $rc -eq 1 ]] || fail "lockwatch run: exit status $rc, expected 1"
    local n
    n=$("$LW_BIN" dump logs/lockwatch.*.log | grep -c ' DEADLOCK ' || true)
    [[ $n -eq 0 ]] || fail "the watchdog reported ($n DEADLOCK records): the test needs it silent"
    python3 "$LW_CHECK_DEADLOCK" out.json "$@" || {
        show out.json
        fail "report check"
    }
    check_text
}

# bad_flags: `lockwatch run` refuses bad deadlock flags with exit status 2, starting nothing.
case_bad_flags() {
    local bad
    for bad in "--on-deadlock sometimes" "--deadlock-timeout-ms 5" "--deadlock-exit-code 0" \
        "--deadlock-exit-code 256"; do
        # shellcheck disable=SC2086 # the flag and its value are two words on purpose
        run_rc "$LW_BIN" run --log-dir logs $bad -- touch started 2>err.txt
        show err.txt
        [[ $rc -eq 2 ]] || fail "lockwatch run $bad: exit status $rc, expected 2"
        [[ ! -e started ]] || fail "lockwatch run $bad started the program"
    done
}

[[ $# -ge 1 ]] || fail "usage: deadlock.sh CASE ARGS..."
for v in LW_BIN LW_SHIM LW_WORK LW_CHECK_DEADLOCK; do
    [[ -n "${!v:-}" ]] || fail "$v is not set"
done
[[ -x "$LW_BIN" ]] || fail "lockwatch CLI not built: $LW_BIN"
[[ -f "$LW_SHIM" ]] || fail "shim not built: $LW_SHIM"
rm -rf "$LW_WORK"
mkdir -p "$LW_WORK"
cd "$LW_WORK"
name=$1
shift
declare -F "case_$name" >/dev/null || fail "unknown case $name"
"case_$name" "$@"
echo "PASS"
