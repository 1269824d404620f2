#!/usr/bin/env python3
"""Checks one `lockwatch report --format json` document for the reliability tests (rel.sh).

--findings N        number of findings that are not harmless
--kind K            every finding that is not harmless is of kind K
--expect A,B        a non-harmless finding whose lock symbols are exactly {A, B} (repeatable)
--clean-end BOOL    logs[].clean_end of every log
--exec BOOL         logs[].exec of every log (the log ended by an exec)
--logs N            number of logs read
--pid P             every log's pid is P
--frame MOD:FUNC:FILE  some edge stack frame has a module path ending in MOD, function FUNC and
                       a file whose base name is FILE
Exits 0 when every check passes, else 1 with one line per failed check.
"""
import argparse
import json
import os
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--findings", type=int)
    ap.add_argument("--kind")
    ap.add_argument("--expect", action="append", default=[])
    ap.add_argument("--clean-end", choices=["true", "false"])
    ap.add_argument("--exec", choices=["true", "false"])
    ap.add_argument("--logs", type=int)
    ap.add_argument("--pid", type=int)
    ap.add_argument("--frame", action="append", default=[])
    a = ap.parse_args()
    try:
        with open(a.report, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"rel_check: cannot read {a.report}: {e}")
        return 1
    errors = []
    findings = [f for f in doc.get("findings", []) if not f.get("harmless")]
    sets = [sorted(str(l.get("symbol")) for l in f.get("locks", [])) for f in findings]
    if a.findings is not None and len(findings) != a.findings:
        errors.append(f"{len(findings)} findings, expected {a.findings}: {sets}")
    if a.kind is not None:
        other = [f.get("kind") for f in findings if f.get("kind") != a.kind]
        if other:
            errors.append(f"findings of kinds {other}, expected only {a.kind}")
    for e in a.expect:
        want = sorted(e.split(","))
        if want not in sets:
            errors.append(f"no finding on locks {want}; findings: {sets}")
    logs = doc.get("logs", [])
    if a.logs is not None and len(logs) != a.logs:
        errors.append(f"{len(logs)} logs read, expected {a.logs}")
    for lg in logs:
        if a.clean_end is not None and lg.get("clean_end") != (a.clean_end == "true"):
            errors.append(f"{lg.get('path')}: clean_end {lg.get('clean_end')}, expected {a.clean_end}")
        if a.exec is not None and lg.get("exec") != (a.exec == "true"):
            errors.append(f"{lg.get('path')}: exec {lg.get('exec')}, expected {a.exec}")
        if a.pid is not None and lg.get("pid") != a.pid:
            errors.append(f"{lg.get('path')}: pid {lg.get('pid')}, expected {a.pid}")
    for spec in a.frame:
        mod, func, base = spec.split(":")
        found = False
        for f in findings:
            for edge in f.get("edges", []):
                for key in ("held_stack", "acquire_stack"):
                    for fr in edge.get(key) or []:
                        if ((fr.get("module") or "").endswith(mod) and fr.get("function") == func
                                and os.path.basename(fr.get("file") or "") == base):
                            found = True
        if not found:
            errors.append(f"no frame {func} in {base} of module *{mod} in any finding's stacks")
    for e in errors:
        print("rel_check: " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
