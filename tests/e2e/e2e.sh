#!/usr/bin/env bash
# End-to-end test driver: runs real programs under `lockwatch run` (or under LD_PRELOAD plus
# `lockwatch report`) and checks exit statuses, files and JSON reports (check_report.py).
# Called by ctest (tests/e2e/CMakeLists.txt) with this environment:
#   LW_BIN    the lockwatch CLI          LW_SHIM  liblockwatch.so
#   LW_WORK   this test's own scratch directory (emptied first)
#   LW_CHECK  check_report.py
# Usage: e2e.sh CASE ARGS...   (the cases are the case_* functions below)
set -euo pipefail

# fail, run_rc, expect_rc, show
# shellcheck source=/dev/null
source "$(dirname "$0")/lib.sh"

# run [--FLAG...] RC PROG [ARGS...] -- CHECK_ARGS...
# `lockwatch run --format json --output out.json [--FLAG...] -- PROG ARGS` (flags such as --all
# or --mutex-fast-path=0), expects exit status RC, checks that the program itself exited 0 (it
# did what it was written to do), then checks out.json.
case_run() {
    local all=()
    while [[ "$1" == --* ]]; do
        all+=("$1")
        shift
    done
    local want=$1
    shift
    local prog=() check=()
    while [[ $# -gt 0 && "$1" != "--" ]]; do
        prog+=("$1")
        shift
    done
    [[ $# -gt 0 ]] && shift
    check=("$@")
    run_rc "$LW_BIN" run --format json --output out.json "${all[@]}" -- "${prog[@]}" \
        >prog.out 2>prog.err
    show prog.err
    expect_rc "$want" "$rc" "lockwatch run ${all[*]} -- ${prog[*]}"
    [[ -s out.json ]] || fail "no report written to out.json"
    expect_program_ok out.json
    python3 "$LW_CHECK" out.json "${check[@]}" || {
        show out.json
        fail "report check"
    }
}

# text RC PROG WORD: the default text report of `lockwatch run -- PROG` exits RC and (when WORD
# is not "-") mentions WORD (e.g. the program's source file name) somewhere in its output.
case_text() {
    local want=$1 prog=$2 word=$3
    run_rc "$LW_BIN" run -- "$prog" >prog.out 2>prog.err
    show prog.out
    show prog.err
    expect_rc "$want" "$rc" "lockwatch run -- $prog"
    if [[ "$word" != "-" ]]; then
        grep -q -- "$word" prog.out prog.err || fail "the text report does not mention $word"
    fi
}

# kill9 PROG CHECK_ARGS...: runs PROG under the shim, waits for "ready", SIGKILLs it, then
# `lockwatch report --format json` on the log it left must still show the inversion.
case_kill9() {
    local prog=$1
    shift
    mkdir logs
    LD_PRELOAD="$LW_SHIM" LOCKWATCH_OPTIONS="log_dir=$PWD/logs" "$prog" >prog.out 2>prog.err &
    local pid=$!
    trap 'kill -9 $pid 2>/dev/null || true' EXIT
    local i
    for ((i = 0; i < 400; i++)); do
        grep -q '^ready$' prog.out && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    grep -q '^ready$' prog.out || {
        show prog.err
        fail "the program never said ready"
    }
    kill -9 "$pid"
    run_rc wait "$pid"
    trap - EXIT
    expect_rc 137 "$rc" "the SIGKILLed program"
    local logs=(logs/lockwatch.*.log)
    [[ ${#logs[@]} -eq 1 && -f "${logs[0]}" ]] || fail "expected one log in logs/, got: ${logs[*]}"
    run_rc "$LW_BIN" report --format json --output out.json "${logs[0]}" 2>report.err
    show report.err
    expect_rc 1 "$rc" "lockwatch report on the killed program's log"
    python3 "$LW_CHECK" out.json "$@" || {
        show out.json
        fail "report check"
    }
}

# exit_status CLEAN_PROG FINDINGS_PROG: exit statuses of `lockwatch report`.
case_exit_status() {
    local clean=$1 dirty=$2
    mkdir clean dirty
    LD_PRELOAD="$LW_SHIM" LOCKWATCH_OPTIONS="log_dir=$PWD/clean" "$clean"
    LD_PRELOAD="$LW_SHIM" LOCKWATCH_OPTIONS="log_dir=$PWD/dirty" "$dirty"
    local clean_log=(clean/lockwatch.*.log) dirty_log=(dirty/lockwatch.*.log)
    [[ -f "${clean_log[0]}" ]] || fail "the clean program left no log"
    [[ -f "${dirty_log[0]}" ]] || fail "the program with an inversion left no log"

    run_rc "$LW_BIN" report "${clean_log[0]}" >clean.txt 2>&1
    show clean.txt
    expect_rc 0 "$rc" "report on a clean log"
    run_rc "$LW_BIN" report clean >/dev/null 2>&1
    expect_rc 0 "$rc" "report on a directory with a clean log"
    run_rc "$LW_BIN" report "${dirty_log[0]}" >dirty.txt 2>&1
    show dirty.txt
    expect_rc 1 "$rc" "report on a log with an inversion"
    run_rc "$LW_BIN" report clean dirty >/dev/null 2>&1
    expect_rc 1 "$rc" "report on a clean and a dirty directory"

    run_rc "$LW_BIN" report "$PWD/no-such-file.log" >missing.out 2>missing.err
    show missing.err
    expect_rc 2 "$rc" "report on a missing file"
    [[ $(wc -l <missing.err) -eq 1 ]] || fail "a missing file should give one line on stderr"
    grep -q 'no-such-file.log' missing.err || fail "the message does not name the missing file"
    [[ ! -s missing.out ]] || fail "report on a missing file wrote to stdout"

    printf 'this is not a lockwatch log\n%.0s' {1..200} >garbage.log
    run_rc "$LW_BIN" report garbage.log >/dev/null 2>garbage.err
    show garbage.err
    expect_rc 2 "$rc" "report on a garbage file"
    grep -q 'garbage.log' garbage.err || fail "the message does not name the garbage file"

    head -c 100 "${dirty_log[0]}" >short.log
    run_rc "$LW_BIN" report short.log >/dev/null 2>short.err
    show short.err
    expect_rc 2 "$rc" "report on a log cut inside its header"

    run_rc "$LW_BIN" report --format no-such-format "${clean_log[0]}" >/dev/null 2>&1
    expect_rc 2 "$rc" "report with an unknown --format"
    run_rc "$LW_BIN" run >/dev/null 2>&1
    expect_rc 2 "$rc" "run without a program"
}

# passthrough PROG: `lockwatch run` leaves the program's stdin, stdout and stderr alone and
# reports the program's own exit status on stderr without taking it as its own.
case_passthrough() {
    local prog=$1
    head -c 200000 /dev/urandom >input.bin
    run_rc "$LW_BIN" run --format json --output out.json --log-dir logs -- "$prog" 3 \
        <input.bin >prog.out 2>prog.err
    show prog.err
    cmp input.bin prog.out || fail "stdout differs from stdin"
    expect_rc 0 "$rc" "lockwatch run on a clean program that exits with 3"
    grep -qx 'passthrough: first line on stderr' prog.err || fail "program stderr lost (first)"
    grep -qx 'passthrough: last line on stderr' prog.err || fail "program stderr lost (last)"
    grep -v '^passthrough: ' prog.err | grep -iE 'exit|status' | grep -qw 3 ||
        fail "lockwatch run did not print the program's exit status (3) on stderr"
    python3 "$LW_CHECK" out.json --total 0 --exit-status 3 || fail "report check"
    local logs=(logs/lockwatch.*.log)
    [[ ${#logs[@]} -eq 1 && -f "${logs[0]}" ]] || fail "expected one log in logs/ (--log-dir)"

    # A clean status too, and an empty stdin.
    run_rc "$LW_BIN" run --format json --output out0.json --log-dir logs -- "$prog" </dev/null \
        >prog0.out 2>prog0.err
    expect_rc 0 "$rc" "lockwatch run on a clean program that exits with 0"
    [[ ! -s prog0.out ]] || fail "stdout should be empty for an empty stdin"
}

# log_size BENCH: the benchmark's 10 million nested lock pairs must leave a log under 1 MiB.
case_log_size() {
    local bench=$1
    mkdir logs
    LD_PRELOAD="$LW_SHIM" LOCKWATCH_OPTIONS="log_dir=$PWD/logs" "$bench" >bench.out
    cat bench.out
    grep -q '10000000' bench.out || fail "the benchmark did not report 10000000 ops"
    local logs=(logs/lockwatch.*.log)
    [[ ${#logs[@]} -eq 1 && -f "${logs[0]}" ]] || fail "expected one log in logs/, got: ${logs[*]}"
    local size
    size=$(stat -c %s "${logs[0]}")
    echo "log size: $size bytes"
    [[ $size -lt 1048576 ]] || fail "log is $size bytes, expected < 1 MiB"
    run_rc "$LW_BIN" report --format json --output out.json "${logs[0]}"
    expect_rc 0 "$rc" "report on the benchmark's log (one consistent order)"
    python3 "$LW_CHECK" out.json --total 0 || fail "report check"
}

# sites PROG SOURCE MARKER...: `lockwatch run -- PROG` reports one finding per MARKER, each with
# its SUMMARY line at SOURCE's line marked LINE:MARKER (the program's own line, even when the
# lock call was inlined from a library header), and pairwise different fingerprints.
case_sites() {
    local prog=$1 source=$2
    shift 2
    run_rc "$LW_BIN" run --format json --output out.json --log-dir logs -- "$prog" \
        >prog.out 2>prog.err
    show prog.err
    expect_rc 1 "$rc" "lockwatch run -- $prog"
    "$LW_BIN" report logs/lockwatch.*.log >report.txt 2>&1 || true
    grep '^SUMMARY: ' report.txt >summary.txt || fail "no SUMMARY line"
    show summary.txt
    local marker line
    for marker in "$@"; do
        line=$(grep -n "LINE:$marker\b" "$source" | cut -d: -f1)
        [[ -n "$line" ]] || fail "no LINE:$marker in $source"
        grep -qE "[ /]$(basename "$source"):$line " summary.txt ||
            fail "no SUMMARY line at $(basename "$source"):$line ($marker)"
    done
    python3 - "$#" <<'PY' || fail "fingerprints"
import json, sys
findings = [f for f in json.load(open("out.json"))["findings"] if not f.get("harmless")]
prints = [f.get("fingerprint") for f in findings]
if len(findings) != int(sys.argv[1]) or len(set(prints)) != len(prints) or None in prints:
    sys.exit(f"expected {sys.argv[1]} findings with different fingerprints, got {prints}")
PY
}

# debian PROGRAM: a threaded program from Debian, unmodified, on generated input, natively and
# under `lockwatch run`: the same output and exit status, a log of every process that ended
# cleanly with more than one thread and some lock operations in it, and no finding. Exits 77
# (skipped) when PROGRAM is not installed (scripts/install-deps installs them all).
# allocator LIB PROGRAM ARGS...: runs PROGRAM under `lockwatch run` with the allocator LIB
# (glibc, jemalloc, tcmalloc) preloaded; it must exit 0 with no finding. Skipped (77) if the
# allocator is not installed.
case_allocator() {
    local lib=$1 path=
    shift
    case "$lib" in
    glibc) ;;
    jemalloc) path=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 ;;
    tcmalloc) path=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 ;;
    *) fail "allocator: unknown allocator $lib" ;;
    esac
    if [[ -n "$path" && ! -e "$path" ]]; then
        echo "SKIP: $path is not installed"
        exit 77
    fi
    run_rc env ${path:+LD_PRELOAD=$path} "$LW_BIN" run --format json --output out.json \
        --log-dir logs -- "$@" >shim.out 2>shim.err
    show shim.err
    expect_rc 0 "$rc" "lockwatch run -- $* with $lib (any finding fails)"
    python3 "$LW_CHECK" out.json --total 0 --exit-status 0 || fail "report check"
}

case_debian() {
    local name=$1 cmd
    seq 1 1500000 >numbers.txt
    case "$name" in
    sort)
        shuf --random-source=numbers.txt numbers.txt >shuffled.txt
        cmd=(sort --parallel=2 -S 64M shuffled.txt)
        ;;
    pigz) cmd=(pigz -p 2 -c numbers.txt) ;;
    xz) cmd=(xz -T2 -1 -c numbers.txt) ;;
    zstd) cmd=(zstd -T2 -q -c numbers.txt) ;;
    python3) cmd=(/usr/bin/python3 "$(dirname "$LW_CHECK")/threads.py") ;; # not a wrapper script
    node) cmd=(node "$(dirname "$LW_CHECK")/threads.js") ;;
    git)
        local top
        top=$(git -C "$(dirname "$LW_CHECK")" rev-parse --show-toplevel 2>/dev/null) || {
            echo "SKIP: the sources are not a git work tree"
            exit 77
        }
        cmd=(git -C "$top" grep --threads=2 -n -e pthread_mutex_lock -- '*.c')
        ;;
    *) fail "debian: unknown program $name" ;;
    esac
    command -v "${cmd[0]}" >/dev/null || {
        echo "SKIP: ${cmd[0]} is not installed"
        exit 77
    }
    run_rc "${cmd[@]}" >native.out 2>native.err
    local native_rc=$rc
    run_rc "$LW_BIN" run --format json --output out.json --log-dir logs -- "${cmd[@]}" \
        >shim.out 2>shim.err
    show shim.err
    expect_rc 0 "$rc" "lockwatch run -- ${cmd[*]} (any finding fails)"
    cmp -s native.out shim.out || fail "${cmd[*]}: output differs under the shim"
    python3 "$LW_CHECK" out.json --total 0 --exit-status "$native_rc" --clean-end true ||
        fail "report check"
    local log most_threads=0 most_ops=0 t ops
    for log in logs/lockwatch.*.log; do
        "$LW_BIN" dump "$log" >dump.txt || fail "lockwatch dump $log"
        t=$(sed -n 's/.* END .*threads=\([0-9]*\).*/\1/p' dump.txt)
        ops=$(sed -n 's/.* END .*lock_ops=\([0-9]*\).*/\1/p' dump.txt)
        [[ -n "$t" && -n "$ops" ]] || fail "$log: no END record"
        ((t > most_threads)) && most_threads=$t
        ((ops > most_ops)) && most_ops=$ops
    done
    echo "${cmd[*]}: up to $most_threads threads and $most_ops lock operations in one process"
    ((most_threads >= 2 && most_ops >= 1)) || fail "the shim saw no threads or no locks"
}

[[ $# -ge 1 ]] || fail "usage: e2e.sh CASE ARGS..."
for v in LW_BIN LW_SHIM LW_WORK LW_CHECK; do
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
