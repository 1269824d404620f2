#!/usr/bin/env python3
"""Checks a lockwatch JSON report from a race-mode run (tests/e2e/race.cmake).

Usage: check_race.py REPORT.json [--total N] [--kind KIND]... [--subkind S|null]
                     [--symbol NAME] [--source FILE --line MARK...]

--total      exact number of findings (all kinds)
--kind       every finding has one of these kinds
--subkind    every finding has this subkind (null: none)
--symbol     every finding's location is the global NAME
--line MARK  (with --source) both accesses' top frames are in FILE at a line marked
             "/* race: MARK */" (several --line: any of them)
"""
import argparse
import json
import os
import sys


def marked_lines(source, marks):
    lines = set()
    with open(source, encoding="utf-8") as f:
        for n, text in enumerate(f, 1):
            for m in marks:
                if "race: " + m + " " in text or text.rstrip().endswith("race: " + m + " */"):
                    lines.add(n)
    return lines


def fail(msg, report):
    print("FAIL:", msg, file=sys.stderr)
    json.dump(report, sys.stderr, indent=1)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--total", type=int)
    ap.add_argument("--kind", action="append", default=[])
    ap.add_argument("--subkind")
    ap.add_argument("--symbol")
    ap.add_argument("--source")
    ap.add_argument("--line", action="append", default=[])
    ap.add_argument("--dropped", help="a drop reason some log must report (by default, no log "
                    "may report any: the analysis must be complete)")
    a = ap.parse_args()
    with open(a.report, encoding="utf-8") as f:
        report = json.load(f)
    dropped = {}
    for log in report.get("logs", []):
        for reason, count in (log.get("dropped") or {}).items():
            dropped[reason] = dropped.get(reason, 0) + count
    if a.dropped:
        if not dropped.get(a.dropped):
            fail("no log reports dropped items for '%s' (dropped: %s)" % (a.dropped, dropped),
                 report)
    elif dropped:
        fail("the recorder dropped items: %s" % dropped, report)
    findings = report.get("findings", [])
    if a.total is not None and len(findings) != a.total:
        fail("%d findings, expected %d" % (len(findings), a.total), report)
    lines = marked_lines(a.source, a.line) if a.source and a.line else None
    if a.line and not lines:
        fail("no line of %s is marked %s" % (a.source, a.line), report)
    for f in findings:
        if a.kind and f.get("kind") not in a.kind:
            fail("kind %s, expected one of %s" % (f.get("kind"), a.kind), report)
        if a.subkind is not None:
            want = None if a.subkind == "null" else a.subkind
            if f.get("subkind") != want:
                fail("subkind %s, expected %s" % (f.get("subkind"), want), report)
        race = f.get("race")
        if a.symbol or lines is not None:
            if not race:
                fail("finding without race details", report)
        if a.symbol and race["location"].get("symbol") != a.symbol:
            fail("location %s, expected %s" % (race["location"], a.symbol), report)
        if lines is not None:
            for acc in race["accesses"]:
                stack = acc.get("stack") or []
                if not stack:
                    fail("an access without stack", report)
                top = stack[0]
                base = os.path.basename(top.get("file") or "")
                if base != os.path.basename(a.source) or top.get("line") not in lines:
                    fail("access top frame %s:%s, expected %s at lines %s" %
                         (top.get("file"), top.get("line"), a.source, sorted(lines)), report)
    print("ok: %d findings" % len(findings))


if __name__ == "__main__":
    main()
