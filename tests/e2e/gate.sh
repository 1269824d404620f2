#!/usr/bin/env bash
# End-to-end tests of the CI gate (gate.cmake): `lockwatch check`, `baseline`, suppressions,
# --print-suppressions, `run --check`, SARIF, JUnit, `graph`, merging of many logs, the text
# report's colour/source lines/summary, help coverage and `cmake --install`.
# Environment (set by gate.cmake): LW_BIN, LW_SHIM, LW_WORK (scratch dir, emptied first),
# LW_E2E_DIR, LW_SOURCE_DIR, LW_BUILD_DIR, LW_OLD (ci_gate.c: inversion old_a/old_b) and
# LW_NEW (the same plus new_c/new_d).
# Usage: gate.sh CASE   (the cases are the case_* functions below)
set -euo pipefail

# fail, run_rc, expect_rc, show
# shellcheck source=/dev/null
source "$(dirname "$0")/lib.sh"

# record DIR PROG: runs PROG under the shim, its log going to DIR (created).
record() {
    mkdir -p "$1"
    LD_PRELOAD="$LW_SHIM" LOCKWATCH_OPTIONS="log_dir=$PWD/$1" "$2"
}

# json_eval FILE EXPR: evaluates a Python expression over the JSON document `d` in FILE; fails
# the test unless it is true.
json_eval() {
    python3 - "$1" "$2" <<'PY' || fail "JSON check failed: $2 (in $1)"
import json, sys
d = json.load(open(sys.argv[1]))
syms = lambda f: sorted(l["symbol"] for l in f["locks"])
ok = eval(sys.argv[2])
if not ok:
    print(json.dumps(d.get("findings", d), indent=1)[:3000])
sys.exit(0 if ok else 1)
PY
}

# check exits 1 on a new inversion, baseline accepts it, check --baseline then passes, and on
# a build with a second inversion fails naming only the new one; --fail-on; bad files.
case_check() {
    record old "$LW_OLD"
    record new "$LW_NEW"
    record old2 "$LW_OLD" # another run: other pid, other load address

    run_rc "$LW_BIN" check old >check.out 2>check.err
    show check.err
    expect_rc 1 "$rc" "check on an inversion"
    grep -q 'lockwatch check: FAILED: 1 finding at the gate' check.err || fail "no FAILED verdict"

    run_rc "$LW_BIN" baseline --output base.txt old
    show base.txt
    expect_rc 0 "$rc" "baseline"
    grep -qx 'lockwatch-baseline 1 lockwatch/v1' base.txt || fail "baseline header missing"
    [[ $(grep -c '^[0-9a-f]\{16\} lock-order-inversion ' base.txt) -eq 1 ]] ||
        fail "the baseline should hold exactly one finding"

    run_rc "$LW_BIN" check --baseline base.txt old >/dev/null 2>pass.err
    show pass.err
    expect_rc 0 "$rc" "check --baseline on the same logs"
    grep -q 'passed.*1 in the baseline' pass.err || fail "the verdict does not count the baseline"
    run_rc "$LW_BIN" check --baseline base.txt old2 >/dev/null 2>&1
    expect_rc 0 "$rc" "check --baseline on a rerun (other pid and addresses)"

    run_rc "$LW_BIN" check --baseline base.txt --format json --output new.json new 2>new.err
    show new.err
    expect_rc 1 "$rc" "check --baseline with a new inversion"
    json_eval new.json 'len(d["findings"]) == 1 and syms(d["findings"][0]) == ["new_c", "new_d"]'
    json_eval new.json 'd["summary"]["baselined"] == 1'
    run_rc "$LW_BIN" check --baseline base.txt new >new.txt 2>/dev/null
    expect_rc 1 "$rc" "check --baseline (text) with a new inversion"
    grep -q "'new_c'" new.txt || fail "the new inversion is not named"
    ! grep -q "'old_a'" new.txt || fail "the baselined inversion is named"

    run_rc "$LW_BIN" check --fail-on deadlock,data-race new >/dev/null 2>failon.err
    show failon.err
    expect_rc 0 "$rc" "check --fail-on deadlock,data-race (only inversions found)"
    grep -q '2 other findings not gated' failon.err || fail "verdict does not count ungated findings"
    run_rc "$LW_BIN" check --fail-on lock-order-inversion new >/dev/null 2>&1
    expect_rc 1 "$rc" "check --fail-on lock-order-inversion"
    run_rc "$LW_BIN" check --fail-on races new >/dev/null 2>bad.err
    expect_rc 2 "$rc" "check --fail-on races"
    grep -q -- "--fail-on.*'races'" bad.err || fail "bad --fail-on not named"

    printf 'lockwatch-baseline 1\nnot-a-fingerprint lock-order-inversion\n' >bad-base.txt
    run_rc "$LW_BIN" check --baseline bad-base.txt old >/dev/null 2>bad.err
    show bad.err
    expect_rc 2 "$rc" "check with a bad baseline"
    [[ $(wc -l <bad.err) -eq 1 ]] && grep -q 'bad-base.txt:2: expected' bad.err ||
        fail "a bad baseline should give one line naming file:line"
    run_rc "$LW_BIN" check --baseline no-such-file.txt old >/dev/null 2>bad.err
    expect_rc 2 "$rc" "check with a missing baseline"
    grep -q 'no-such-file.txt' bad.err || fail "the missing baseline is not named"
    run_rc "$LW_BIN" baseline old >/dev/null 2>&1
    expect_rc 2 "$rc" "baseline without --output"
    run_rc "$LW_BIN" check >/dev/null 2>&1
    expect_rc 2 "$rc" "check without logs"
}

# `lockwatch run --check` gates the same way; --fail-on needs --check; bad files fail first.
case_run_check() {
    run_rc "$LW_BIN" run --log-dir l1 -- "$LW_OLD" >/dev/null 2>&1
    expect_rc 1 "$rc" "run on an inversion"
    "$LW_BIN" baseline --output base.txt l1
    run_rc "$LW_BIN" run --check --baseline base.txt --log-dir l2 -- "$LW_OLD" >/dev/null 2>r2.err
    show r2.err
    expect_rc 0 "$rc" "run --check --baseline, nothing new"
    grep -q 'lockwatch run: passed' r2.err || fail "run --check printed no verdict"
    run_rc "$LW_BIN" run --check --baseline base.txt --log-dir l3 -- "$LW_NEW" >r3.out 2>r3.err
    show r3.err
    expect_rc 1 "$rc" "run --check --baseline with a new inversion"
    grep -q "'new_c'" r3.out && ! grep -q "'old_a'" r3.out || fail "run --check names the wrong ones"
    run_rc "$LW_BIN" run --check --fail-on deadlock --log-dir l4 -- "$LW_NEW" >/dev/null 2>&1
    expect_rc 0 "$rc" "run --check --fail-on deadlock"
    run_rc "$LW_BIN" run --fail-on deadlock --log-dir l5 -- touch started5 >/dev/null 2>bad.err
    expect_rc 2 "$rc" "run --fail-on without --check"
    grep -q -- '--check' bad.err || fail "the message does not ask for --check"
    printf 'function\n' >bad.supp
    run_rc "$LW_BIN" run --suppressions bad.supp --log-dir l6 -- touch started6 >/dev/null 2>bad.err
    show bad.err
    expect_rc 2 "$rc" "run with a bad suppressions file"
    grep -q 'bad.supp:1: expected' bad.err || fail "bad suppressions not named with file:line"
    [[ ! -e started5 && ! -e started6 ]] || fail "the program ran despite a usage error"
}

# Suppression entries by lock, function, file, module and kind; a bad line is exit 2.
case_suppressions() {
    record new "$LW_NEW"
    try() { # want-rc entry...
        local want=$1
        shift
        printf '%s\n' "# test suppressions" "$@" >s.supp
        run_rc "$LW_BIN" check --suppressions s.supp --source-root "$LW_SOURCE_DIR" --format json \
            --output s.json new 2>s.err
        show s.err
        expect_rc "$want" "$rc" "check with suppressions: $*"
    }
    try 1 'lock-order-inversion:lock=new_*'
    json_eval s.json 'len(d["findings"]) == 1 and syms(d["findings"][0]) == ["old_a", "old_b"]'
    json_eval s.json 'd["summary"]["suppressed"] == 1'
    try 0 'lock-order-inversion:lock=new_*' 'lock=old_?'
    try 0 'lock-order-inversion:function=first'
    try 0 '*:file=tests/e2e/ci_gate.c'
    try 0 'file=ci_gate.c'
    try 0 'module=e2e_ci_gate_*'
    try 1 '*:file=third_party/*'
    try 1 'deadlock:function=*'
    try 1 'lock-order-inversion/single-thread:lock=*'
    run_rc "$LW_BIN" report --suppressions s.supp new >/dev/null 2>&1
    expect_rc 1 "$rc" "report with suppressions that match nothing"
    printf 'lock=*\n' >all.supp
    run_rc "$LW_BIN" report --suppressions all.supp new >/dev/null 2>&1
    expect_rc 0 "$rc" "report with everything suppressed"

    printf '# ok\nlock-order-inversion:colour=red\n' >bad.supp
    run_rc "$LW_BIN" check --suppressions bad.supp new >bad.out 2>bad.err
    show bad.err
    expect_rc 2 "$rc" "check with a bad suppressions file"
    [[ $(wc -l <bad.err) -eq 1 ]] || fail "a bad suppressions file should give one line"
    grep -q 'bad.supp:2: expected KEY one of' bad.err || fail "the error does not name file:line"
    [[ ! -s bad.out ]] || fail "a report was written despite the bad suppressions file"
}

# --print-suppressions writes entries that, pasted into a file, suppress those findings.
case_print_suppressions() {
    record new "$LW_NEW"
    run_rc "$LW_BIN" report --print-suppressions new >/dev/null 2>supp.txt
    show supp.txt
    expect_rc 1 "$rc" "report --print-suppressions"
    [[ $(grep -c '^lock-order-inversion:fingerprint=[0-9a-f]\{16\}$' supp.txt) -eq 2 ]] ||
        fail "expected two exact entries"
    grep -q '^# lock-order-inversion:lock=new_c$' supp.txt || fail "no broader entry by lock"
    run_rc "$LW_BIN" check --suppressions supp.txt new >/dev/null 2>&1
    expect_rc 0 "$rc" "check with the printed suppressions"
    run_rc "$LW_BIN" check --print-suppressions new >/dev/null 2>check.txt
    grep -q '^lock-order-inversion:fingerprint=' check.txt || fail "check --print-suppressions"
}

# SARIF: structural validation and fingerprints equal to the baseline's.
case_sarif() {
    record new "$LW_NEW"
    run_rc "$LW_BIN" report --format sarif --output out.sarif --source-root "$LW_SOURCE_DIR" new
    expect_rc 1 "$rc" "report --format sarif"
    "$LW_BIN" baseline --output base.txt new
    python3 "$LW_E2E_DIR/check_sarif.py" out.sarif --results 2 --uri tests/e2e/ci_gate.c \
        --fingerprints base.txt || {
        show out.sarif
        fail "SARIF check"
    }
    run_rc "$LW_BIN" check --format sarif --output all.sarif --all new
    expect_rc 1 "$rc" "check --format sarif --all"
    python3 "$LW_E2E_DIR/check_sarif.py" all.sarif --results 2 || fail "SARIF check (--all)"
    # A clean SARIF log (everything in the baseline) is still valid, with no results.
    run_rc "$LW_BIN" check --format sarif --output clean.sarif --baseline base.txt new
    expect_rc 0 "$rc" "check --format sarif, all in the baseline"
    python3 "$LW_E2E_DIR/check_sarif.py" clean.sarif --results 0 || fail "SARIF check (clean)"
    # The checker itself must be able to fail.
    python3 -c 'import json,sys; d=json.load(open("out.sarif")); d["version"]="2.0"; d["runs"][0]["results"][0].pop("message"); json.dump(d,open("broken.sarif","w"))'
    ! python3 "$LW_E2E_DIR/check_sarif.py" broken.sarif >broken.out 2>&1 ||
        fail "check_sarif.py accepted a broken log"
    grep -q 'version' broken.out || fail "check_sarif.py did not name the bad version"
}

# SARIF for findings other than inversions: the message is the text report's headline, the
# location the call's site (the SUMMARY line's).
case_sarif_misuse() {
    run_rc "$LW_BIN" run --format sarif --output misuse.sarif --source-root "$LW_SOURCE_DIR" \
        --log-dir logs -- "$LW_API_MISUSE" relock >prog.out 2>prog.err
    expect_rc 1 "$rc" "lockwatch run --format sarif -- api_misuse relock"
    python3 "$LW_E2E_DIR/check_sarif.py" misuse.sarif --results 1 --uri demo/api_misuse.c \
        --message "^api-misuse: thread #1 relocks .*, which it already holds" || {
        show misuse.sarif
        fail "SARIF check (api-misuse)"
    }
}

# SARIF against the published 2.1.0 JSON schema: a report with findings, one with --all, a clean
# one; and the validator must reject a broken log.
case_sarif_schema() {
    record new "$LW_NEW"
    run_rc "$LW_BIN" report --format sarif --output out.sarif --source-root "$LW_SOURCE_DIR" new
    expect_rc 1 "$rc" "report --format sarif"
    run_rc "$LW_BIN" report --format sarif --output all.sarif --all new
    "$LW_BIN" baseline --output base.txt new
    run_rc "$LW_BIN" check --format sarif --output clean.sarif --baseline base.txt new
    # A finding other than an inversion (its own location, no code flow).
    run_rc "$LW_BIN" run --format sarif --output misuse.sarif --log-dir logs -- \
        "$LW_API_MISUSE" relock >prog.out 2>prog.err
    local cache="$LW_BUILD_DIR/sarif-schema" vrc
    python3 "$LW_E2E_DIR/sarif_schema.py" "$cache" out.sarif all.sarif clean.sarif misuse.sarif &&
        vrc=0 || vrc=$?
    [[ $vrc -eq 77 ]] && exit 77
    [[ $vrc -eq 0 ]] || fail "SARIF does not validate against the published schema"
    python3 -c 'import json; d=json.load(open("out.sarif")); d["runs"][0]["results"][0]["level"]="fatal"; json.dump(d, open("broken.sarif", "w"))'
    ! python3 "$LW_E2E_DIR/sarif_schema.py" "$cache" broken.sarif >broken.out 2>&1 ||
        fail "the schema validator accepted a broken log"
}

# JUnit: one failing testcase per finding; a clean run is one passing testcase.
case_junit() {
    record new "$LW_NEW"
    run_rc "$LW_BIN" check --format junit --output junit.xml new 2>/dev/null
    expect_rc 1 "$rc" "check --format junit"
    "$LW_BIN" baseline --output base.txt new
    run_rc "$LW_BIN" check --format junit --output clean.xml --baseline base.txt new 2>/dev/null
    expect_rc 0 "$rc" "check --format junit, all in the baseline"
    python3 - <<'PY' || fail "JUnit check"
import xml.etree.ElementTree as ET
r = ET.parse("junit.xml").getroot()
cases = r.findall(".//testcase")
assert r.tag == "testsuites" and len(cases) == 2, ET.tostring(r)[:500]
assert all(c.find("failure") is not None for c in cases)
body = "".join(c.find("failure").text for c in cases)
assert "'new_c'" in body and "'old_a'" in body and "SUMMARY: lockwatch:" in body
assert r.find("testsuite").get("failures") == "2"
c = ET.parse("clean.xml").getroot().findall(".//testcase")
assert len(c) == 1 and c[0].find("failure") is None, ET.tostring(c[0])
PY
}

# graph: DOT, SVG and PNG through Graphviz, cycle edges red and bold; a missing dot is exit 2.
case_graph() {
    record new "$LW_NEW"
    run_rc "$LW_BIN" graph --output g.dot new
    expect_rc 0 "$rc" "graph (dot)"
    [[ $(grep -c 'color=red, fontcolor=red, penwidth=2.5, style=bold' g.dot) -eq 4 ]] ||
        fail "expected the 4 cycle edges highlighted in g.dot"
    run_rc "$LW_BIN" graph --format svg --cycles-only --output g.svg --source-root "$LW_SOURCE_DIR" new
    expect_rc 0 "$rc" "graph --format svg"
    python3 - <<'PY' || fail "SVG check"
import xml.etree.ElementTree as ET
ns = {"s": "http://www.w3.org/2000/svg"}
root = ET.parse("g.svg").getroot()
edges = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "edge"]
red = [g for g in edges if any(e.get("stroke") == "red" for e in g.iter())]
texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
assert len(edges) == 4 and len(red) == 4, (len(edges), len(red))
for name in ("'old_a'", "'old_b'", "'new_c'", "'new_d'", "tests/e2e/ci_gate.c"):
    assert name in texts, (name, texts[:400])
PY
    run_rc "$LW_BIN" graph --format png --output g.png new
    expect_rc 0 "$rc" "graph --format png"
    [[ "$(head -c 4 g.png | tail -c 3)" == "PNG" ]] || fail "g.png is not a PNG"
    mkdir empty-path
    run_rc env PATH="$PWD/empty-path" "$LW_BIN" graph --format svg --output x.svg new 2>nodot.err
    show nodot.err
    expect_rc 2 "$rc" "graph --format svg without dot in PATH"
    grep -q "cannot run Graphviz 'dot'" nodot.err || fail "no clear message for a missing dot"
    run_rc "$LW_BIN" graph --format jpeg new >/dev/null 2>&1
    expect_rc 2 "$rc" "graph --format jpeg"
}

# Many logs, one report: the same inversion from two processes is one finding with both logs.
case_merge() {
    record runs "$LW_OLD"
    record runs "$LW_OLD"
    record other "$LW_NEW"
    run_rc "$LW_BIN" report --format json --output m.json runs other
    expect_rc 1 "$rc" "report on three logs"
    json_eval m.json 'len(d["logs"]) == 3 and len(d["findings"]) == 2'
    json_eval m.json 'sorted(len(f["logs"]) for f in d["findings"]) == [1, 3]'
    json_eval m.json 'all(f["occurrences"] >= len(f["logs"]) for f in d["findings"])'
    json_eval m.json 'all(len(f["fingerprint"]) == 16 for f in d["findings"])'
    run_rc "$LW_BIN" report runs >m.txt
    expect_rc 1 "$rc" "text report on two logs"
    grep -q '^seen in 2 logs: runs/lockwatch\.[0-9]*\.log runs/lockwatch\.[0-9]*\.log$' m.txt ||
        fail "the text report does not say where the finding was seen"
    grep -q 'processes                2 (2 logs)' m.txt || fail "summary does not count processes"
}

# The text report: colour (--color, NO_COLOR), source lines, summary, --all, --output.
case_text() {
    record old "$LW_OLD"
    "$LW_BIN" report --color always --output c.txt old || true
    grep -q $'\033\\[' c.txt || fail "--color always gave no colour"
    "$LW_BIN" report --color never --output n.txt old || true
    ! grep -q $'\033' n.txt || fail "--color never gave colour"
    NO_COLOR=1 "$LW_BIN" report --color auto old >a.txt || true
    ! grep -q $'\033' a.txt || fail "colour on a pipe"
    run_rc "$LW_BIN" report --color sometimes old >/dev/null 2>bad.err
    expect_rc 2 "$rc" "--color sometimes"
    grep -q -- '--color' bad.err || fail "bad --color not named"
    run_rc "$LW_BIN" report --all --source-root "$LW_SOURCE_DIR" old >t.txt
    expect_rc 1 "$rc" "report --all"
    show t.txt
    grep -q '^        | pthread_mutex_lock(&old_b);$' t.txt || fail "no source line under the top frame"
    grep -q ' tests/e2e/ci_gate.c:' t.txt || fail "--source-root not applied"
    grep -q '^Summary:$' t.txt && grep -q 'lock-order-inversion     1' t.txt &&
        grep -q 'threads involved         2' t.txt && grep -q 'locks involved           2' t.txt ||
        fail "summary block missing"
}

# Every option in the help texts is exercised by a test (check_help.py); the options no other
# test needs are exercised here: --help, --version and the recorder flags --stack-depth and
# --verbose.
case_help() {
    python3 "$LW_E2E_DIR/check_help.py" "$LW_BIN" "$LW_SOURCE_DIR/tests"
    "$LW_BIN" --version | grep -q '^lockwatch [0-9]' || fail "--version"
    local c
    for c in report check baseline graph run; do
        "$LW_BIN" "$c" --help | grep -q "^usage: lockwatch $c" || fail "lockwatch $c --help"
        "$LW_BIN" help "$c" | grep -q "^usage: lockwatch $c" || fail "lockwatch help $c"
    done
    run_rc "$LW_BIN" help no-such-command >/dev/null 2>&1
    expect_rc 2 "$rc" "help on an unknown topic"
    run_rc "$LW_BIN" run --stack-depth 2 --verbose 1 --format json --output s2.json --log-dir d2 \
        -- "$LW_OLD" >/dev/null 2>v.err
    show v.err
    expect_rc 1 "$rc" "run --stack-depth 2 --verbose 1"
    grep -q 'd2' v.err || fail "--verbose 1: the recorder did not say where the log is"
    run_rc "$LW_BIN" run --format json --output s32.json --log-dir d32 -- "$LW_OLD" >/dev/null 2>&1
    expect_rc 1 "$rc" "run with the default stack depth"
    python3 - <<'PY' || fail "--stack-depth 2 did not shorten the stacks"
import json
deep = lambda p: max(len(e["held_stack"]) for f in json.load(open(p))["findings"] for e in f["edges"])
assert deep("s2.json") < deep("s32.json"), (deep("s2.json"), deep("s32.json"))
PY
}

# cmake --install: binary, shim, headers, man pages, pkg-config and CMake package files.
case_install() {
    cmake --install "$LW_BUILD_DIR" --prefix "$PWD/prefix" >install.log || {
        show install.log
        fail "cmake --install"
    }
    local f
    for f in bin/lockwatch include/lockwatch/log_format.h share/man/man1/lockwatch.1 \
        share/man/man7/liblockwatch.7; do
        [[ -f prefix/$f ]] || fail "not installed: $f"
    done
    local pc cfg
    pc=$(find prefix -name lockwatch.pc | head -n 1)
    cfg=$(find prefix -name lockwatchConfig.cmake | head -n 1)
    [[ -n "$pc" && -n "$cfg" ]] || fail "lockwatch.pc or lockwatchConfig.cmake not installed"
    local shim
    shim=$(PKG_CONFIG_PATH="$(dirname "$pc")" pkg-config --variable=shim lockwatch)
    [[ -f "$shim" ]] || fail "pkg-config shim variable points to a missing file: $shim"
    local inc
    inc=$(PKG_CONFIG_PATH="$(dirname "$pc")" pkg-config --cflags lockwatch | sed -n 's/^-I\([^ ]*\).*/\1/p')
    [[ -f "$inc/lockwatch/log_format.h" ]] || fail "pkg-config --cflags does not give the headers: $inc"
    head -n 5 prefix/share/man/man1/lockwatch.1 | grep -q '^\.TH LOCKWATCH 1' || fail "man page"
    mkdir consumer
    cat >consumer/CMakeLists.txt <<'CM'
cmake_minimum_required(VERSION 3.18)
project(consumer C)
find_package(lockwatch 0.1 REQUIRED)
if(NOT EXISTS "${LOCKWATCH_SHIM}" OR NOT EXISTS "${LOCKWATCH_EXECUTABLE}")
  message(FATAL_ERROR "bad paths: ${LOCKWATCH_SHIM} ${LOCKWATCH_EXECUTABLE}")
endif()
if(NOT TARGET lockwatch::headers OR NOT TARGET lockwatch::lockwatch)
  message(FATAL_ERROR "targets missing")
endif()
message(STATUS "lockwatch found: ${LOCKWATCH_SHIM}")
CM
    cmake -S consumer -B consumer/build -DCMAKE_PREFIX_PATH="$PWD/prefix" >consumer.log 2>&1 || {
        show consumer.log
        fail "find_package(lockwatch)"
    }
    # The installed CLI finds the installed shim next to it.
    run_rc env -u LOCKWATCH_SHIM prefix/bin/lockwatch run --log-dir logs -- "$LW_OLD" >/dev/null 2>run.err
    show run.err
    expect_rc 1 "$rc" "the installed lockwatch run"
}

[[ $# -ge 1 ]] || fail "usage: gate.sh CASE"
for v in LW_BIN LW_SHIM LW_WORK LW_E2E_DIR LW_SOURCE_DIR LW_BUILD_DIR LW_OLD LW_NEW; do
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
