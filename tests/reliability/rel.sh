#!/usr/bin/env bash
# Reliability test driver (tests/reliability/CMakeLists.txt registers one ctest per case).
# Environment: LW_BIN (lockwatch CLI), LW_SHIM (liblockwatch.so), LW_WORK (this test's scratch
# directory, emptied first), REL_DIR (this source directory), REL_LIFE (the life.c program).
# Usage: rel.sh CASE ARGS...  Exit 0 pass, 1 fail, 77 skipped (needs root or a tool).
set -euo pipefail

# fail, run_rc, expect_rc, show
# shellcheck source=/dev/null
source "$(dirname "$0")/../e2e/lib.sh"
skip() {
    echo "SKIP: $*" >&2
    exit 77
}
need_root() { [[ $(id -u) -eq 0 ]] || skip "needs root"; }

# shim DIR CMD...: runs CMD under the shim, logs into DIR.
shim() {
    local dir=$1
    shift
    LD_PRELOAD="$LW_SHIM" LOCKWATCH_OPTIONS="log_dir=$dir" "$@"
}

# report_check LOG WANT_RC CHECK_ARGS...: `lockwatch report --format json` on LOG, then rel_check.
report_check() {
    local log=$1 want=$2
    shift 2
    local out
    out="report-$(basename "$log").json"
    run_rc "$LW_BIN" report --format json --output "$out" "$log" 2>"$out.err"
    show "$out.err"
    expect_rc "$want" "$rc" "lockwatch report $log"
    python3 "$REL_DIR/rel_check.py" "$out" "$@" || {
        show "$out"
        fail "report check of $log"
    }
}

one_log() { # DIR: prints the one log in DIR, fails otherwise
    local logs=("$1"/lockwatch.*.log)
    [[ ${#logs[@]} -eq 1 && -f "${logs[0]}" ]] || fail "expected one log in $1, got: ${logs[*]}"
    echo "${logs[0]}"
}

# compare_native NAME ENV... -- CMD...: runs CMD natively and with ENV (env assignments); stdout
# and exit status must be identical, stderr may only gain lockwatch lines ($extra_lines of them
# are counted into $extra).
compare_native() {
    local name=$1
    shift
    local envs=()
    while [[ "$1" != "--" ]]; do
        envs+=("$1")
        shift
    done
    shift
    # Natively: the same command without the environment assignments (which only ever set
    # LD_PRELOAD and LOCKWATCH_OPTIONS, or are given inside the command after `env`).
    if [[ "${1:-}" == setpriv ]]; then
        local native=() skip_env=0 a
        for a in "$@"; do
            if [[ $skip_env -eq 1 && "$a" == *=* ]]; then continue; fi
            [[ "$a" == env ]] && skip_env=1 && continue
            skip_env=$((skip_env == 1 ? 2 : skip_env))
            native+=("$a")
        done
        run_rc "${native[@]}" >"$name.native.out" 2>"$name.native.err"
    else
        run_rc "$@" >"$name.native.out" 2>"$name.native.err"
    fi
    local native_rc=$rc
    run_rc env "${envs[@]}" "$@" >"$name.shim.out" 2>"$name.shim.err"
    show "$name.shim.err"
    expect_rc "$native_rc" "$rc" "$name: exit status under the shim (native: $native_rc)"
    cmp "$name.native.out" "$name.shim.out" || fail "$name: stdout differs from the native run"
    grep -av '^lockwatch: ' "$name.shim.err" >"$name.shim.err.prog" || true
    cmp "$name.native.err" "$name.shim.err.prog" || fail "$name: the program's stderr differs"
    extra=$(grep -ac '^lockwatch: ' "$name.shim.err" || true)
}

# ---- transparency ----

# semantics PROG: the trace is the same natively and under the shim.
case_semantics() {
    mkdir logs
    "$1" >native.out
    shim "$PWD/logs" "$1" >shim.out 2>shim.err
    show shim.err
    diff -u native.out shim.out || fail "the trace differs under the shim"
    [[ $(wc -l <native.out) -gt 100 ]] || fail "the trace is suspiciously short"
    # The trace misuses mutexes on purpose: the report may have api-misuse findings (exit 1).
    local log
    log=$(one_log logs)
    run_rc "$LW_BIN" report --format json --output out.json "$log"
    [[ $rc -eq 0 || $rc -eq 1 ]] || fail "report on the trace's log: exit status $rc"
    python3 "$REL_DIR/rel_check.py" out.json --clean-end true || fail "report check"
}

# same_output PROG ARGS...: identical stdout and exit status natively and under the shim.
case_same_output() {
    mkdir logs
    compare_native run "LD_PRELOAD=$LW_SHIM" "LOCKWATCH_OPTIONS=log_dir=$PWD/logs" -- \
        timeout 30 "$@"
    cat run.native.out
}

# ---- ways out ----

# end_status LOG: the exit status in LOG's END record (fails unless there is exactly one).
end_status() {
    "$LW_BIN" dump "$1" >dump.txt 2>&1 || fail "lockwatch dump $1"
    local ends
    ends=$(grep -c ' END status=' dump.txt || true)
    [[ $ends -eq 1 ]] || fail "$1: $ends END records, expected one"
    sed -n 's/.* END status=\(-\{0,1\}[0-9]*\) .*/\1/p' dump.txt
}

# exit MODE STATUS CLEAN [END_STATUS]: life MODE records parent_a/parent_b inverted, then leaves;
# END_STATUS: the status its END record must carry.
case_exit() {
    local mode=$1 want=$2 clean=$3 end=${4:-}
    mkdir logs
    run_rc shim "$PWD/logs" "$REL_LIFE" "$mode" >prog.out 2>prog.err
    expect_rc "$want" "$rc" "life $mode"
    local log
    log=$(one_log logs)
    report_check "$log" 1 --findings 1 --expect parent_a,parent_b --clean-end "$clean"
    if [[ -n "$end" ]]; then
        local got
        got=$(end_status "$log")
        [[ "$got" == "$end" ]] || fail "$log: END status $got, expected $end"
    fi
}

# exit_recording RUNS: life exit_recording RUNS times (threads claim log chunks while exit closes
# the log): each run must exit 7, not die of SIGBUS, and leave a complete log.
case_exit_recording() {
    local runs=$1 i log
    for ((i = 1; i <= runs; i++)); do
        rm -rf logs
        mkdir logs
        run_rc shim "$PWD/logs" "$REL_LIFE" exit_recording >prog.out 2>prog.err
        expect_rc 7 "$rc" "life exit_recording, run $i of $runs"
        log=$(one_log logs)
        "$LW_BIN" dump "$log" >dump.txt 2>&1 || fail "lockwatch dump $log (run $i)"
        grep -q 'flags=.*clean-end' dump.txt || fail "$log: no clean end (run $i)"
    done
}

case_kill() {
    mkdir logs
    LD_PRELOAD="$LW_SHIM" LOCKWATCH_OPTIONS="log_dir=$PWD/logs" "$REL_LIFE" kill >prog.out \
        2>prog.err &
    local pid=$!
    trap 'kill -9 $pid 2>/dev/null || true' EXIT
    local i
    for ((i = 0; i < 400; i++)); do
        grep -q '^ready$' prog.out && break
        sleep 0.05
    done
    grep -q '^ready$' prog.out || fail "the program never said ready"
    kill -9 "$pid"
    run_rc wait "$pid"
    trap - EXIT
    expect_rc 137 "$rc" "the SIGKILLed program"
    report_check "$(one_log logs)" 1 --findings 1 --expect parent_a,parent_b --clean-end false \
        --pid "$pid"
}

# atexit: locks in atexit handlers, in the program's destructor, in a library destructor that
# runs after lockwatch's, while another thread keeps locking.
case_atexit() {
    mkdir logs
    compare_native atexit "LD_PRELOAD=$LW_SHIM" "LOCKWATCH_OPTIONS=log_dir=$PWD/logs" -- \
        "$REL_LIFE" atexit
    for line in 'atexit handler locked' 'main destructor locked' 'late destructor locked'; do
        grep -qx "$line" atexit.shim.out || fail "missing: $line"
    done
    report_check "$(one_log logs)" 1 --findings 2 --expect parent_a,parent_b \
        --expect exit_e,exit_f --clean-end true
}

# quick_exit: glibc runs the at_quick_exit handlers, then its own _exit (no wrapper sees it); the
# log must hold what the handler locked and end with quick_exit's status.
case_quick_exit() {
    mkdir logs
    run_rc shim "$PWD/logs" "$REL_LIFE" quick_exit >prog.out 2>prog.err
    expect_rc 9 "$rc" "life quick_exit"
    grep -qx 'atexit handler locked' prog.out || fail "the at_quick_exit handler did not run"
    local log got
    log=$(one_log logs)
    report_check "$log" 1 --findings 2 --expect parent_a,parent_b --expect exit_e,exit_f \
        --clean-end true
    got=$(end_status "$log")
    [[ "$got" == 9 ]] || fail "$log: END status $got, expected 9"
}

# ---- new processes ----

case_fork() {
    mkdir logs
    shim "$PWD/logs" "$REL_LIFE" fork >prog.out 2>prog.err
    show prog.err
    local parent child
    parent=$(sed -n 's/^parent \([0-9]*\) child-status 0$/\1/p' prog.out)
    child=$(sed -n 's/^child \([0-9]*\)$/\1/p' prog.out)
    [[ -n "$parent" && -n "$child" ]] || fail "unexpected output: $(cat prog.out)"
    [[ -f logs/lockwatch.$parent.log && -f logs/lockwatch.$child.log ]] ||
        fail "expected lockwatch.$parent.log and lockwatch.$child.log, got: $(ls logs)"
    [[ $(ls logs | wc -l) -eq 2 ]] || fail "expected two logs, got: $(ls logs)"
    report_check "logs/lockwatch.$parent.log" 1 --pid "$parent" --clean-end true --findings 1 \
        --expect parent_a,parent_b
    report_check "logs/lockwatch.$child.log" 1 --pid "$child" --clean-end true --findings 1 \
        --expect child_c,child_d
}

# spawnlike vfork|spawn: the child execs life again; each process has its own log.
case_spawnlike() {
    mkdir logs
    shim "$PWD/logs" "$REL_LIFE" "$1" >prog.out 2>prog.err
    show prog.err
    local parent child
    parent=$(sed -n 's/^parent \([0-9]*\) child \([0-9]*\) child-status 0$/\1/p' prog.out)
    child=$(sed -n 's/^parent \([0-9]*\) child \([0-9]*\) child-status 0$/\2/p' prog.out)
    [[ -n "$parent" && -n "$child" ]] || fail "unexpected output: $(cat prog.out)"
    [[ $(ls logs | wc -l) -eq 2 ]] || fail "expected two logs, got: $(ls logs)"
    report_check "logs/lockwatch.$parent.log" 1 --pid "$parent" --clean-end true --findings 1 \
        --expect parent_a,parent_b
    report_check "logs/lockwatch.$child.log" 1 --pid "$child" --clean-end true --findings 1 \
        --expect child_c,child_d
}

# vfork_exit: a vfork child leaves through _exit without exec. It shares the parent's memory,
# so it must not close the parent's log: one END record, the parent's (exit(): status -1), and
# the parent's inversion recorded after the child left.
case_vfork_exit() {
    mkdir logs
    run_rc shim "$PWD/logs" "$REL_LIFE" vfork_exit >prog.out 2>prog.err
    show prog.err
    expect_rc 0 "$rc" "life vfork_exit"
    local parent
    parent=$(sed -n 's/^parent \([0-9]*\) child [0-9]* child-status 7$/\1/p' prog.out)
    [[ -n "$parent" ]] || fail "unexpected output: $(cat prog.out)"
    local log
    log=$(one_log logs)
    report_check "$log" 1 --pid "$parent" --clean-end true --findings 1 --expect parent_a,parent_b
    local got
    got=$(end_status "$log")
    [[ "$got" == -1 ]] || fail "$log: END status $got, expected -1 (the parent's exit)"
}

# deadlock_exit: the process leaves through _exit while two threads wait for each other, before
# the watchdog confirms it; the log ends cleanly and the report still rebuilds the deadlock.
case_deadlock_exit() {
    mkdir logs
    run_rc shim "$PWD/logs" "$REL_LIFE" deadlock_exit >prog.out 2>prog.err
    show prog.err
    expect_rc 4 "$rc" "life deadlock_exit"
    local log
    log=$(one_log logs)
    report_check "$log" 1 --clean-end true --findings 1 --kind deadlock --expect child_c,child_d
    grep -q 'the process ended while they waited' "report-$(basename "$log").json" ||
        fail "the rebuilt deadlock does not say the process ended"
}

# shell: Debian's /bin/sh (dash) leaves through _exit (and runs commands by vfork and exec);
# every shell's log must still end cleanly (or by exec, where sh is another shell), and the outer
# one's END record carries the status of its `exit 3`.
case_shell() {
    mkdir logs
    run_rc shim "$PWD/logs" sh -c 'for i in 1 2 3; do sh -c "true; true"; done; exit 3'
    expect_rc 3 "$rc" "sh -c"
    "$LW_BIN" report --format json --output all.json logs/*.log 2>/dev/null || true
    python3 - all.json <<'PY' || fail "logs: $(ls logs)"
import json, sys
logs = json.load(open(sys.argv[1]))["logs"]
assert all(l["clean_end"] or l["exec"] for l in logs), logs
assert sum(l["clean_end"] for l in logs) >= 4, logs  # the outer shell and three inner ones
PY
    local outer=0 log
    for log in logs/lockwatch.*.log; do
        "$LW_BIN" dump "$log" >dump.txt || fail "lockwatch dump $log"
        grep -q ' END status=3 ' dump.txt && outer=$((outer + 1))
    done
    [[ $outer -eq 1 ]] || fail "expected one log with the outer shell's exit status 3, got $outer"
}

# bash_exec: bash runs each command by fork and exec, and a last command by exec alone; under
# `lockwatch run` every log ends cleanly or by exec, so the report carries no "no end record" note.
case_bash_exec() {
    mkdir logs
    run_rc "$LW_BIN" run --log-dir logs -- bash -c 'for i in 1 2 3; do /bin/true; done; /bin/true' \
        >report.txt 2>&1
    show report.txt
    expect_rc 0 "$rc" "lockwatch run bash"
    grep -q 'lockwatch: 0 findings' report.txt || fail "no findings line in the report"
    ! grep -q 'no end record' report.txt || fail "a log without a clean end or an exec"
    "$LW_BIN" report --format json --output all.json logs/*.log 2>/dev/null || true
    python3 - all.json <<'PY' || fail "logs: $(ls logs)"
import json, sys
logs = json.load(open(sys.argv[1]))["logs"]
execs = sum(1 for l in logs if l["exec"])
assert all(l["clean_end"] or l["exec"] for l in logs), logs
assert execs >= 3, (len(logs), execs)  # one per forked command at least
PY
}

# system: the shell runs under the shim too; its logs must be readable and clean.
case_system() {
    mkdir logs
    shim "$PWD/logs" "$REL_LIFE" system >prog.out 2>prog.err
    show prog.err
    local parent
    parent=$(sed -n 's/^parent \([0-9]*\) system-status 0$/\1/p' prog.out)
    [[ -n "$parent" ]] || fail "unexpected output: $(cat prog.out)"
    grep -q '^child [0-9]* done$' prog.out || fail "the child did not run"
    report_check "logs/lockwatch.$parent.log" 1 --pid "$parent" --clean-end true --findings 1 \
        --expect parent_a,parent_b
    local found=0 log
    for log in logs/lockwatch.*.log; do
        [[ "$log" == "logs/lockwatch.$parent.log" ]] && continue
        run_rc "$LW_BIN" report --format json --output one.json "$log"
        [[ $rc -eq 0 || $rc -eq 1 ]] || fail "report on $log: exit status $rc"
        if python3 "$REL_DIR/rel_check.py" one.json --findings 1 --expect child_c,child_d \
            --clean-end true >/dev/null; then
            found=$((found + 1))
        else
            python3 "$REL_DIR/rel_check.py" one.json --findings 0 || fail "$log: unexpected findings"
        fi
    done
    [[ $found -eq 1 ]] || fail "expected one log with the child's inversion, found $found: $(ls logs)"
}

# exec: the same pid gets a second log for the new image.
case_exec() {
    mkdir logs
    shim "$PWD/logs" "$REL_LIFE" exec >prog.out 2>prog.err
    show prog.err
    local pid
    pid=$(sed -n 's/^pid \([0-9]*\)$/\1/p' prog.out)
    [[ -n "$pid" ]] || fail "unexpected output: $(cat prog.out)"
    [[ -f logs/lockwatch.$pid.log && -f logs/lockwatch.$pid.1.log ]] ||
        fail "expected lockwatch.$pid.log and lockwatch.$pid.1.log, got: $(ls logs)"
    report_check "logs/lockwatch.$pid.log" 1 --pid "$pid" --clean-end false --exec true \
        --findings 1 --expect parent_a,parent_b
    report_check "logs/lockwatch.$pid.1.log" 1 --pid "$pid" --clean-end true --exec false \
        --findings 1 --expect child_c,child_d
    # The exec gave the preallocated tail back (a shell leaves one such log per command).
    local size
    size=$(stat -c %s "logs/lockwatch.$pid.log")
    [[ $size -lt 1048576 ]] || fail "the log before the exec keeps its preallocated tail: $size bytes"
    # Text report: an exec is not a kill, so no "no end record" note.
    "$LW_BIN" report "logs/lockwatch.$pid.log" >text.out 2>&1 || true
    ! grep -q 'no end record' text.out || fail "the exec'd log got a no-end-record note"
}

# exec_fail: every exec function fails as natively, and the log is left as it was.
case_exec_fail() {
    mkdir logs
    compare_native exec_fail "LD_PRELOAD=$LW_SHIM" "LOCKWATCH_OPTIONS=log_dir=$PWD/logs" -- \
        "$REL_LIFE" exec_fail
    [[ $(grep -c '^exec [0-9]: -1 ' exec_fail.native.out) -eq 8 ]] ||
        fail "expected eight failed execs natively: $(cat exec_fail.native.out)"
    local log
    log=$(one_log logs)
    report_check "$log" 1 --clean-end true --exec false --findings 1 --expect parent_a,parent_b
    # Each failed call cleared the mark it set: the header says clean-end and nothing else.
    "$LW_BIN" dump "$log" >dump.txt || fail "lockwatch dump $log"
    head -1 dump.txt | grep -q ' flags=clean-end ' ||
        fail "header flags after failed execs: $(head -1 dump.txt)"
}

# dlopen LIB: the inversion's stacks are in a library that was dlclose'd before the exit.
case_dlopen() {
    mkdir logs
    shim "$PWD/logs" "$REL_LIFE" dlopen "$1" >prog.out 2>prog.err
    show prog.err
    grep -qx 'dlopen done' prog.out || fail "the program did not finish"
    report_check "$(one_log logs)" 1 --findings 1 --expect dl_x,dl_y \
        --frame "$(basename "$1"):rel_dl_lock_pair:rel_dl.c"
}

# ---- hostile environment ----

# A run that cannot record: same output and status as natively, exactly one lockwatch line.
expect_unwatched() { # NAME OPTIONS WHAT
    compare_native "$1" "LD_PRELOAD=$LW_SHIM" "LOCKWATCH_OPTIONS=$2" -- "$REL_LIFE" print
    [[ $extra -eq 1 ]] || fail "$1: expected one lockwatch line on stderr, got $extra"
    grep -a '^lockwatch: ' "$1.shim.err" | grep -aq -- "$3" || fail "$1: the message does not mention $3"
}

case_logdir() {
    case $1 in
    missing) expect_unwatched missing "log_dir=$PWD/no/such/dir" "$PWD/no/such/dir" ;;
    notdir) expect_unwatched notdir "log_dir=/etc/passwd/x" "/etc/passwd/x" ;;
    esac
}

# unwritable: a 0500 directory, for a user that permissions apply to (root ignores them).
case_unwritable() {
    need_root
    command -v setpriv >/dev/null || skip "no setpriv"
    mkdir ro
    chown nobody ro
    chmod 0500 ro
    chmod 0755 .
    local as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
    "${as_nobody[@]}" test -r "$REL_LIFE" || skip "nobody cannot read the test program"
    # (env after setpriv: setpriv itself runs as root and would record into ro/)
    compare_native ro -- "${as_nobody[@]}" env "LD_PRELOAD=$LW_SHIM" \
        "LOCKWATCH_OPTIONS=log_dir=$PWD/ro" "$REL_LIFE" print
    [[ $extra -eq 1 ]] || fail "expected one lockwatch line on stderr, got $extra"
    [[ -z "$(ls -A ro)" ]] || fail "something was written into the read-only directory"
}

mount_tmpfs() { # DIR SIZE
    need_root
    mkdir "$1"
    mount -t tmpfs -o "size=$2" tmpfs "$1" 2>/dev/null || skip "cannot mount a tmpfs"
    trap "umount '$PWD/$1' 2>/dev/null || true" EXIT
}

# full_start: 64 KiB of space, less than the first log allocation.
case_full_start() {
    mount_tmpfs small 64k
    expect_unwatched full "log_dir=$PWD/small" "disk full"
    [[ -z "$(ls -A small)" ]] || fail "a partial log was left behind: $(ls small)"
}

# full_midway: the log fills the disk while the program runs; the program must not notice
# and the log must stay readable and say it is incomplete.
case_full_midway() {
    mount_tmpfs small 1300k
    compare_native full "LD_PRELOAD=$LW_SHIM" "LOCKWATCH_OPTIONS=log_dir=$PWD/small" -- \
        "$REL_LIFE" many 60000
    [[ $extra -eq 1 ]] || fail "expected one lockwatch line on stderr, got $extra"
    local log
    log=$(one_log small)
    run_rc "$LW_BIN" report --format json --output out.json "$log" 2>report.err
    show report.err
    [[ $rc -eq 0 || $rc -eq 1 ]] || fail "report on the log of a full disk: exit status $rc"
    python3 - out.json <<'PY' || fail "the log of a full disk does not say it is incomplete"
import json, sys
lg = json.load(open(sys.argv[1]))["logs"][0]
print("logs entry:", lg)
sys.exit(0 if (lg.get("dropped") or not lg.get("clean_end") or lg.get("damage")) else 1)
PY
}

case_options() {
    mkdir logs
    expect_unwatched unknown "log_dir=$PWD/logs:no_such_key=1" "no_such_key"
    expect_unwatched badvalue "log_dir=$PWD/logs:stack_depth=1000" "stack_depth"
    expect_unwatched noequals "log_dir=$PWD/logs:verbose" "verbose"
    expect_unwatched empty_dir "log_dir=" "log_dir"
    expect_unwatched junk $'\x01\xff=::=' "LOCKWATCH_OPTIONS"
    [[ -z "$(ls -A logs)" ]] || fail "a log was written although the options were bad"
    # Control: the same directory with good options gets a log.
    shim "$PWD/logs" "$REL_LIFE" print >/dev/null 2>&1 || true
    one_log logs >/dev/null
}

# setuid: a setuid-root copy run by nobody (AT_SECURE) writes no log; a plain copy does.
case_setuid() {
    need_root
    command -v setpriv >/dev/null || skip "no setpriv"
    chmod 0755 .
    mkdir bin logs
    chmod 1777 logs
    cp "$REL_LIFE" bin/plain
    cp "$REL_LIFE" bin/suid
    cp "$(dirname "$(readlink -f "$REL_LIFE")")"/librel_late.so bin/ 2>/dev/null || true
    chown root:root bin/suid
    chmod 4755 bin/suid
    local as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
    "${as_nobody[@]}" test -x bin/plain || skip "nobody cannot run the test program"
    run_rc "${as_nobody[@]}" env "LD_PRELOAD=$LW_SHIM" "LOCKWATCH_OPTIONS=log_dir=$PWD/logs" \
        bin/plain print >plain.out 2>plain.err
    expect_rc 3 "$rc" "plain copy as nobody"
    [[ $(ls logs | wc -l) -eq 1 ]] || skip "no log even for the plain copy: $(cat plain.err)"
    rm -f logs/*
    run_rc "${as_nobody[@]}" bin/suid euid >euid.out 2>&1
    grep -qx 'euid 0 secure 1' euid.out || skip "setuid does not take effect here (nosuid?): $(cat euid.out)"
    compare_native suid -- "${as_nobody[@]}" env "LD_PRELOAD=$LW_SHIM" \
        "LOCKWATCH_OPTIONS=log_dir=$PWD/logs" bin/suid print
    [[ -z "$(ls -A logs)" ]] || fail "a setuid program wrote a log: $(ls logs)"
}

# symlink: lockwatch.<pid>.log and .<pid>.1.log are planted symlinks (the pid is known because
# the shell execs the program); the log must go to .<pid>.2.log, mode 0600 despite umask 0, and
# neither link target may be touched.
case_symlink() {
    mkdir logs
    echo "precious" >victim
    cat >plant.sh <<'SH'
dir=$1; shift
echo $$ >pid
ln -s "$PWD/victim" "$dir/lockwatch.$$.log"
ln -s "$PWD/created-through-link" "$dir/lockwatch.$$.1.log"
umask 000
exec env "$@"
SH
    run_rc bash plant.sh "$PWD/logs" "LD_PRELOAD=$LW_SHIM" "LOCKWATCH_OPTIONS=log_dir=$PWD/logs" \
        "$REL_LIFE" print >prog.out 2>prog.err
    expect_rc 3 "$rc" "life print"
    local pid
    pid=$(cat pid)
    [[ "$(cat victim)" == "precious" ]] || fail "the symlink target was written"
    [[ ! -e created-through-link ]] || fail "a file was created through a dangling symlink"
    local log=logs/lockwatch.$pid.2.log
    [[ -f "$log" && ! -L "$log" ]] || fail "expected $log, got: $(ls -l logs)"
    [[ $(stat -c %a "$log") == 600 ]] || fail "log mode is $(stat -c %a "$log"), expected 600"
    [[ $(stat -c %u "$log") == "$(id -u)" ]] || fail "log owner"
    report_check "$log" 1 --findings 1 --expect parent_a,parent_b --clean-end true
}

# ---- untrusted logs ----

# corrupt COUNT SEED PROG...: real logs from PROGs (and life), COUNT corrupted variants.
case_corrupt() {
    local count=$1 seed=$2
    shift 2
    mkdir logs
    local p
    for p in "$@"; do
        shim "$PWD/logs" "$p" >/dev/null 2>&1 || true
    done
    shim "$PWD/logs" "$REL_LIFE" fork >/dev/null 2>&1 || true
    ls -l logs
    [[ $(ls logs | wc -l) -ge 3 ]] || fail "not enough real logs"
    python3 "$REL_DIR/corrupt_logs.py" "$LW_BIN" variants "$count" "$seed" logs/*.log
}

# ---- stress ----

# stress PROG MODE FINDINGS [LOCKS...]: completes, prints done, report has FINDINGS findings.
case_stress() {
    local prog=$1 mode=$2 findings=$3
    shift 3
    mkdir logs
    run_rc timeout 100 env "LD_PRELOAD=$LW_SHIM" "LOCKWATCH_OPTIONS=log_dir=$PWD/logs" \
        "$prog" "$mode" >prog.out 2>prog.err
    show prog.err
    expect_rc 0 "$rc" "stress $mode (124 means it hung)"
    grep -qx done prog.out || fail "stress $mode did not finish"
    local want=0 expect=() l
    [[ $findings -gt 0 ]] && want=1
    for l in "$@"; do expect+=(--expect "$l"); done
    report_check "$(one_log logs)" "$want" --findings "$findings" --clean-end true "${expect[@]}"
}

# ---- known bugs ----

# condwait PROG: no inversion may be reported after a failed pthread_cond_wait.
# condwait: the EPERM wait is a real api-misuse (reported), but it must not make the mutex look
# held afterwards (no lock-order inversion from it).
case_condwait() {
    mkdir logs
    shim "$PWD/logs" "$1" condwait >prog.out
    report_check "$(one_log logs)" 1 --findings 1 --kind api-misuse
}

# helgrind PROG ARGS...: the shim's own concurrency under Valgrind's Helgrind (shim/annotate.h
# tells it about the shim's atomics): no error may have a frame in liblockwatch.so other than
# the interposed lock call itself; the program's own lock-order report is expected and ignored.
case_helgrind() {
    command -v valgrind >/dev/null || skip "no valgrind"
    mkdir logs
    valgrind --tool=helgrind --trace-children=yes --num-callers=30 \
        env LD_PRELOAD="$LW_SHIM" LOCKWATCH_OPTIONS="log_dir=$PWD/logs" "$@" >prog.out 2>hg.txt ||
        true
    # Valgrind 3.19 cannot read clang 14's DWARF 5: no checking is possible then.
    grep -q 'Serious error when reading debug info' hg.txt && skip "valgrind cannot read this debug info"
    grep -q 'ERROR SUMMARY' hg.txt || { show hg.txt; fail "helgrind did not run"; }
    # Error blocks whose frames (past the interposed call) are in the shim's own code.
    python3 - hg.txt <<'PY' || { show hg.txt; fail "helgrind reports a problem in the shim"; }
import re, sys
text = open(sys.argv[1]).read()
blocks = re.split(r"\n==\d+== -{20,}\n", text)
bad = 0
for b in blocks:
    if "Possible data race" not in b and "lock order" not in b and "unlocked" not in b:
        continue
    frames = re.findall(r"(?:at|by) 0x[0-9A-F]+: (\S+) \(([^)]*)\)", b)
    shim = [f for f in frames if f[1].startswith(("intercept_", "thread_state", "lock_", "log_",
            "stack_", "watchdog", "tid_map", "addr_map", "race", "misuse", "modules", "spin",
            "hot_path", "fork_held", "lifecycle", "thread_ranges", "shadow", "tsan"))
            and not f[1].startswith("intercept_mutex.c")]
    if "lock order" in b and not shim:
        continue  # the program's own inversion, which lockwatch reports too
    if shim:
        bad += 1
        print(b[:2000])
print(f"helgrind: {bad} error(s) in the shim")
sys.exit(1 if bad else 0)
PY
}

# helgrind_program PROG ARGS...: Helgrind must find in PROG under the shim exactly the errors it
# finds in PROG alone. (With the shim taking default mutexes inline, Helgrind, which sees a lock
# only in glibc's functions, would see locks taken that were never released and the like.)
case_helgrind_program() {
    command -v valgrind >/dev/null || skip "no valgrind"
    mkdir logs
    valgrind --tool=helgrind "$@" >native.out 2>native.txt || true
    grep -q 'Serious error when reading debug info' native.txt &&
        skip "valgrind cannot read this debug info"
    valgrind --tool=helgrind --trace-children=yes \
        env LD_PRELOAD="$LW_SHIM" LOCKWATCH_OPTIONS="log_dir=$PWD/logs" "$@" >prog.out 2>hg.txt ||
        true
    local want got
    want=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' native.txt)
    got=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' hg.txt | tail -1)
    [[ -n "$want" && -n "$got" ]] || {
        show hg.txt
        fail "helgrind did not run"
    }
    [[ "$got" == "$want" ]] || {
        show hg.txt
        fail "helgrind: $got error(s) under the shim, $want without it"
    }
}

# chained_interposer COUNTER_SO PROG ARGS...: another interposer preloaded after lockwatch (a
# profiler, say) must still receive every mutex call PROG makes: COUNTER_SO counts them, alone
# and behind the shim (where the shim's own locking may add calls, never take any away; a lock
# reaches it as a trylock, then a lock if the mutex was busy).
case_chained_interposer() {
    local counter=$1
    shift
    mkdir logs
    LD_PRELOAD="$counter" "$@" >native.out 2>native.err || fail "$* failed alone"
    LD_PRELOAD="$LW_SHIM:$counter" LOCKWATCH_OPTIONS="log_dir=$PWD/logs" "$@" >prog.out \
        2>prog.err || fail "$* failed with the shim in front of the counter"
    python3 - native.err prog.err <<'PY' || fail "calls went missing behind the shim"
import re, sys
def counts(path):
    m = re.search(r"count_interposer: lock=(\d+) trylock=(\d+) unlock=(\d+)", open(path).read())
    if not m:
        sys.exit(f"{path}: no count line")
    return [int(x) for x in m.groups()]
alone, behind = counts(sys.argv[1]), counts(sys.argv[2])
print(f"alone (lock, trylock, unlock): {alone}; behind lockwatch: {behind}")
# The shim tries a blocking lock first (trylock, then lock if busy): compare acquisitions.
if alone[0] == 0 or behind[0] + behind[1] < alone[0] + alone[1] or behind[2] < alone[2]:
    sys.exit(1)
PY
}

# mutex_fast_path PROG: the shim says (verbose=1) whether it takes default mutexes inline: by
# default yes; not with mutex_fast_path=0, when GLIBC_TUNABLES asks for lock elision, or with
# another interposer (REL_COUNTER) after it in LD_PRELOAD.
case_mutex_fast_path() {
    local prog=$1 inline="default mutexes: glibc's fast path done inline"
    local glibc="default mutexes: every operation through glibc"
    mkdir logs
    expect_line() { # WANT ENV...
        local want=$1
        shift
        env "$@" "$prog" >/dev/null 2>err.txt || fail "$prog failed ($*)"
        grep -qF "lockwatch: $want" err.txt || {
            show err.txt
            fail "with $*: expected '$want'"
        }
    }
    expect_line "$inline" LD_PRELOAD="$LW_SHIM" LOCKWATCH_OPTIONS="log_dir=logs:verbose=1"
    expect_line "$glibc" LD_PRELOAD="$LW_SHIM" \
        LOCKWATCH_OPTIONS="log_dir=logs:verbose=1:mutex_fast_path=0"
    expect_line "$glibc" LD_PRELOAD="$LW_SHIM" LOCKWATCH_OPTIONS="log_dir=logs:verbose=1" \
        GLIBC_TUNABLES=glibc.elision.enable=1
    expect_line "$glibc" LD_PRELOAD="$LW_SHIM:$REL_COUNTER" \
        LOCKWATCH_OPTIONS="log_dir=logs:verbose=1"
}

[[ $# -ge 1 ]] || fail "usage: rel.sh CASE ARGS..."
for v in LW_BIN LW_SHIM LW_WORK REL_DIR REL_LIFE; do
    [[ -n "${!v:-}" ]] || fail "$v is not set"
done
rm -rf "$LW_WORK"
mkdir -p "$LW_WORK"
cd "$LW_WORK"
name=$1
shift
declare -F "case_$name" >/dev/null || fail "unknown case $name"
"case_$name" "$@"
echo "PASS"
