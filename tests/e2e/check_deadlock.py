#!/usr/bin/env python3
"""Checks the deadlock findings of a lockwatch JSON report (docs/report-schema.md).

Counts findings (all kinds, and kind "deadlock"), then checks each deadlock finding: subkind,
number of blocked threads (waits), wait kinds, lock symbols, occurrences, and, with --source and
--wait MARKER, that some wait's blocking stack has a frame at the source line marked
`LINE:MARKER`. Also checks summary.findings and the program's exit status or signal. Exits 0
when every check passes, 1 with one message per failed check otherwise.
"""
import argparse
import json
import os
import re
import sys


def marker_lines(path):
    marks = {}
    with open(path, encoding="utf-8") as f:
        for n, text in enumerate(f, 1):
            for m in re.finditer(r"LINE:([A-Za-z0-9_]+)", text):
                marks[m.group(1)] = n
    return marks


def frame_at(stack, base, line):
    return any(os.path.basename(fr.get("file") or "") == base and fr.get("line") == line
               for fr in stack or [])


def show_stack(stack):
    return ", ".join(f"{fr.get('function')}@{os.path.basename(fr.get('file') or '?')}:"
                     f"{fr.get('line')}" for fr in stack or []) or "(empty)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--total", type=int, help="expected number of findings of any kind")
    ap.add_argument("--deadlocks", type=int, help="expected number of deadlock findings")
    ap.add_argument("--subkind", help="expected subkind of each deadlock finding")
    ap.add_argument("--waits", type=int, help="blocked threads in each deadlock finding")
    ap.add_argument("--kinds", help="sorted, comma-separated wait kinds, e.g. join,mutex")
    ap.add_argument("--symbols", help="comma-separated lock symbols that must be in locks[]")
    ap.add_argument("--occurrences", type=int, help="expected occurrences of each deadlock")
    ap.add_argument("--source", help="program source with LINE: markers")
    ap.add_argument("--wait", action="append", default=[], metavar="MARKER",
                    help="some wait's stack has a frame at this marker's line (repeatable)")
    ap.add_argument("--exit-status", type=int, help="expected program.exit_status")
    ap.add_argument("--signal", help="expected program.signal, e.g. SIGABRT")
    a = ap.parse_args()

    try:
        with open(a.report, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"check_deadlock: cannot read {a.report}: {e}")
        return 1
    errors = []
    findings = doc.get("findings") or []
    dls = [f for f in findings if f.get("kind") == "deadlock"]
    if a.total is not None and len(findings) != a.total:
        errors.append(f"expected {a.total} findings in all, got {len(findings)}")
    if a.deadlocks is not None and len(dls) != a.deadlocks:
        errors.append(f"expected {a.deadlocks} deadlock findings, got {len(dls)}")
    real = [f for f in findings if f.get("harmless") is False]
    summary = doc.get("summary") or {}
    if summary.get("findings") != len(real):
        errors.append(f"summary.findings is {summary.get('findings')!r}, {len(real)} listed")
    if (summary.get("by_kind") or {}).get("deadlock") != len(dls):
        errors.append("summary.by_kind.deadlock does not count the deadlock findings")
    prog = doc.get("program") or {}
    if a.exit_status is not None and prog.get("exit_status") != a.exit_status:
        errors.append(f"program.exit_status is {prog.get('exit_status')!r}, "
                      f"expected {a.exit_status}")
    if a.signal is not None and prog.get("signal") != a.signal:
        errors.append(f"program.signal is {prog.get('signal')!r}, expected {a.signal}")

    marks = marker_lines(a.source) if a.source else {}
    for i, f in enumerate(dls):
        tag = f"deadlock {i}"
        waits = f.get("waits") or []
        if f.get("harmless") is not False:
            errors.append(f"{tag}: harmless is {f.get('harmless')!r}, a deadlock never is")
        if a.subkind and f.get("subkind") != a.subkind:
            errors.append(f"{tag}: subkind {f.get('subkind')!r}, expected {a.subkind}")
        if a.waits is not None and len(waits) != a.waits:
            errors.append(f"{tag}: {len(waits)} waits, expected {a.waits}")
        if a.occurrences is not None and f.get("occurrences") != a.occurrences:
            errors.append(f"{tag}: occurrences {f.get('occurrences')!r}, expected "
                          f"{a.occurrences}")
        if a.kinds:
            got = ",".join(sorted(w.get("wait") or "?" for w in waits))
            if got != a.kinds:
                errors.append(f"{tag}: wait kinds {got}, expected {a.kinds}")
        thread_ids = {t.get("id") for t in f.get("threads") or []}
        for w in waits:
            if w.get("thread") not in thread_ids:
                errors.append(f"{tag}: waiting thread {w.get('thread')} not in threads[]")
        if a.symbols:
            syms = {lk.get("symbol") for lk in f.get("locks") or []}
            for s in a.symbols.split(","):
                if s not in syms:
                    errors.append(f"{tag}: no lock with symbol {s!r} (got {sorted(map(str, syms))})")
        base = os.path.basename(a.source) if a.source else ""
        for m in a.wait:
            line = marks.get(m)
            if line is None:
                errors.append(f"no marker LINE:{m} in {a.source}")
                continue
            if not any(frame_at(w.get("stack"), base, line) for w in waits):
                errors.append(f"{tag}: no blocking stack at {base}:{line} ({m}); stacks were:")
                for w in waits:
                    errors.append(f"    thread {w.get('thread')}: {show_stack(w.get('stack'))}")

    for e in errors:
        print("check_deadlock: " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
