#!/usr/bin/env python3
"""Checks a lockwatch JSON report for the thread-local misuse tests (e2e.tls.*).

--total N: N findings of any kind. --subkind S: exactly one tls-misuse finding, of subkind S.
With --source and --line MARKER, that finding has a frame at the line of `LINE:MARKER` in the
source: in its "stack", or (--where create) in the pthread_create stack of one of its threads.
--key: its tls.key is set (the pthread key is named). --variable NAME: tls.variable is NAME.
--exit-stack: tls.exit_stack is not empty. Exits 0 when every check passes, 1 otherwise.
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
        sys.exit(f"check_tls: marker {name} found {len(hits)} times in {path}")
    return hits[0]


def has_frame(stack, base, line):
    return any(os.path.basename(fr.get("file") or "") == base and fr.get("line") == line
               for fr in stack or [])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--total", type=int)
    ap.add_argument("--subkind")
    ap.add_argument("--source")
    ap.add_argument("--line")
    ap.add_argument("--where", choices=["stack", "create"], default="stack")
    ap.add_argument("--key", action="store_true")
    ap.add_argument("--variable")
    ap.add_argument("--exit-stack", action="store_true")
    a = ap.parse_args()
    with open(a.report, encoding="utf-8") as f:
        doc = json.load(f)
    findings = doc.get("findings", [])
    errors = []
    if a.total is not None and len(findings) != a.total:
        errors.append(f"{len(findings)} findings, expected {a.total}: "
                      f"{[(x.get('kind'), x.get('subkind')) for x in findings]}")
    if a.subkind:
        tls = [x for x in findings if x.get("kind") == "tls-misuse"]
        if len(tls) != 1 or tls[0].get("subkind") != a.subkind:
            errors.append(f"tls-misuse findings {[x.get('subkind') for x in tls]}, "
                          f"expected exactly one {a.subkind}")
        else:
            f = tls[0]
            info = f.get("tls") or {}
            if f.get("harmless") is not False:
                errors.append("a tls-misuse finding must not be harmless")
            if a.source and a.line:
                want = marker_line(a.source, a.line)
                base = os.path.basename(a.source)
                stacks = ([f.get("stack")] if a.where == "stack"
                          else [t.get("create_stack") for t in f.get("threads", [])])
                if not any(has_frame(s, base, want) for s in stacks):
                    errors.append(f"no {a.where} frame at {base}:{want} (LINE:{a.line}): {stacks}")
            if a.key and info.get("key") is None:
                errors.append(f"the pthread key is not named: {info}")
            if a.variable and info.get("variable") != a.variable:
                errors.append(f"variable {info.get('variable')!r}, expected {a.variable!r}")
            if a.exit_stack and not info.get("exit_stack"):
                errors.append("no exit stack for the owner")
    for e in errors:
        print(f"check_tls: {e}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
