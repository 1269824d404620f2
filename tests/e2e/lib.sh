# Shell helpers shared by the end-to-end and reliability drivers (e2e.sh, gate.sh, deadlock.sh,
# race.sh, tests/reliability/rel.sh): sourced, not run. They assume `set -euo pipefail`.

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# Runs "$@", stores its exit status in $rc without tripping set -e.
run_rc() {
    set +e
    "$@"
    rc=$?
    set -e
}

expect_rc() { # expected actual what
    [[ "$2" == "$1" ]] || fail "$3: exit status $2, expected $1"
}

show() { # file: print it (for the test log), if it exists
    if [[ -s "$1" ]]; then
        echo "--- $1"
        cat "$1"
    fi
}

# The watched program itself must have exited 0 (it did what it was written to do): its status as
# `lockwatch run` recorded it in the JSON report REPORT.
expect_program_ok() { # report
    local got
    got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["program"]["exit_status"])' "$1")
    [[ "$got" == 0 ]] || fail "the program exited with status $got, expected 0"
}
