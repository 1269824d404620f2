#!/usr/bin/env bash
# Race-mode end-to-end driver (tests/e2e/race.cmake): compiles SOURCE with COMPILER the way the
# race-mode recipe says (-g -O1 -fsanitize=thread, linked against liblockwatch, not libtsan),
# runs it under `lockwatch run --format json`, expects exit status RC and checks the report
# with check_race.py. Compiling here, at test time, is what lets one source be tested with both
# gcc and clang.
# The program itself must exit 0 (it did what it was written to do).
# Environment: LW_BIN (CLI), LW_SHIM (liblockwatch.so), LW_WORK (scratch dir), LW_CHECK,
# LW_INCLUDE (include/, for lockwatch.h).
# Usage: race.sh COMPILER SOURCE RC [PROGRAM ARGS...] -- [CHECK ARGS...]
set -euo pipefail
# fail, expect_program_ok
# shellcheck source=/dev/null
source "$(dirname "$0")/lib.sh"
cc=$1 src=$2 want=$3
shift 3
args=()
while [[ $# -gt 0 && "$1" != "--" ]]; do
    args+=("$1")
    shift
done
[[ $# -gt 0 ]] && shift
rm -rf "$LW_WORK"
mkdir -p "$LW_WORK"
cd "$LW_WORK"
libdir=$(dirname "$LW_SHIM")
extra=()
# Clang drops the read of a read-then-write (x++) from its instrumentation unless told not to;
# lockwatch needs both halves to call it an unprotected increment (docs/race-mode.md).
# LW_CLANG_RMW=compound asks for Clang's one-call read-modify-write hooks (__tsan_read_write*).
if [[ "$cc" == clang* && "${LW_CLANG_RMW:-}" == compound ]]; then
    extra=(-mllvm -tsan-compound-read-before-write=1)
elif [[ "$cc" == clang* && -n "${LW_CLANG_RMW:-}" ]]; then
    extra=(-mllvm -tsan-instrument-read-before-write)
fi
"$cc" -g -O1 -fsanitize=thread "${extra[@]}" -I"${LW_INCLUDE:?}" -c "$src" -o prog.o || fail "compile with $cc"
"$cc" prog.o -o prog -L"$libdir" -llockwatch -Wl,-rpath,"$libdir" -pthread || fail "link"
if readelf -d prog | grep -q 'libtsan' || nm --defined-only prog | grep -q ' __tsan_init$'; then
    fail "libtsan was linked: the __tsan_* calls must reach liblockwatch"
fi
set +e
"$LW_BIN" run --format json --output out.json --log-dir logs -- ./prog "${args[@]}" \
    >prog.out 2>prog.err
rc=$?
set -e
[[ "$rc" == "$want" ]] || {
    cat prog.err >&2
    [[ -s out.json ]] && cat out.json >&2
    fail "lockwatch run exited $rc, expected $want"
}
expect_program_ok out.json
python3 "$LW_CHECK" out.json "$@"
