# Shell helpers shared by the end-to-end and reliability drivers (e2e.sh, gate.sh, deadlock.sh,
# tests/reliability/rel.sh): sourced, not run. They assume `set -euo pipefail`.

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
