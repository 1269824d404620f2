#!/usr/bin/env python3
"""Checks a lockwatch JSON report for the synchronisation-primitive tests (e2e.prims.*).

--misuse SUBKIND: exactly one api-misuse finding, of that subkind, and no other api-misuse;
with --source and --line MARKER its "stack" has a frame at the line of `LINE:MARKER` in the
source. --reason TEXT: some harmless lock-order-inversion's reason contains TEXT. --total N:
N findings of any kind in the report. Exits 0 when every check passes, 1 otherwise.
"""
import argparse
import json
import os
import re
import sys


def marker_line(path, name):
    with open(path, encoding="utf-8") as f:
        hits = [n for n, text in enumerate(f, 1) if re.search(rf"LINE:{re.escape(name)}\b", text)]
    if len(hits) != 1:
        sys.exit(f"check_prims: marker {name} found {len(hits)} times in {path}")
    return hits[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--misuse", help="the one expected api-misuse subkind")
    ap.add_argument("--source", help="program source with LINE: markers")
    ap.add_argument("--line", help="marker of the line the misuse's stack must show")
    ap.add_argument("--reason", help="text a harmless inversion's reason must contain")
    ap.add_argument("--total", type=int, help="expected number of findings")
    ap.add_argument("--freed-block", choices=["yes", "no"],
                    help="whether the api-misuse finding names a freed block")
    a = ap.parse_args()
    with open(a.report, encoding="utf-8") as f:
        doc = json.load(f)
    findings = doc.get("findings", [])
    errors = []
    if a.total is not None and len(findings) != a.total:
        errors.append(f"{len(findings)} findings, expected {a.total}: "
                      f"{[(x.get('kind'), x.get('subkind')) for x in findings]}")
    if a.misuse:
        mis = [x for x in findings if x.get("kind") == "api-misuse"]
        if len(mis) != 1 or mis[0].get("subkind") != a.misuse:
            errors.append(f"api-misuse findings {[x.get('subkind') for x in mis]}, "
                          f"expected exactly one {a.misuse}")
        elif a.source and a.line:
            want = marker_line(a.source, a.line)
            base = os.path.basename(a.source)
            stack = mis[0].get("stack") or []
            if not any(os.path.basename(fr.get("file") or "") == base and fr.get("line") == want
                       for fr in stack):
                shown = ", ".join(f"{fr.get('function')}@{os.path.basename(fr.get('file') or '?')}"
                                  f":{fr.get('line')}" for fr in stack)
                errors.append(f"no frame at {base}:{want} (LINE:{a.line}) in [{shown}]")
        named = bool(mis) and mis[0].get("freed_block") is not None
        if mis and a.freed_block and named != (a.freed_block == "yes"):
            errors.append(f"freed_block is {mis[0].get('freed_block')!r}, expected {a.freed_block}")
        if mis and mis[0].get("harmless") is not False:
            errors.append("an api-misuse finding must not be harmless")
    if a.reason:
        reasons = [x.get("reason") or "" for x in findings
                   if x.get("kind") == "lock-order-inversion" and x.get("harmless")]
        if not any(a.reason in r for r in reasons):
            errors.append(f"no harmless inversion's reason contains {a.reason!r}: {reasons}")
    for e in errors:
        print(f"check_prims: {e}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
