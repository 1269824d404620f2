#!/usr/bin/env python3
"""Checks a lockwatch JSON report (docs/report-schema.md) against what an e2e test expects.

Counts findings by kind and harmlessness, the locks of each checked finding, and, with --source
and --edge HELD:ACQ, that the finding has one edge per expected pair whose held_stack has a frame
at the source file's LINE:HELD marker line and whose acquire_stack has a frame at the LINE:ACQ
marker line. Marker lines are found by grepping `LINE:<name>` in the source. Exits 0 when all
checks pass, 1 with a message per failed check otherwise.
"""
import argparse
import json
import os
import re
import sys

KIND = "lock-order-inversion"


def marker_lines(path):
    marks = {}
    with open(path, encoding="utf-8") as f:
        for n, text in enumerate(f, 1):
            for m in re.finditer(r"LINE:([A-Za-z0-9_]+)", text):
                if m.group(1) in marks:
                    sys.exit(f"check_report: marker {m.group(1)} appears twice in {path}")
                marks[m.group(1)] = n
    return marks


def frame_at(stack, base, line):
    for fr in stack or []:
        f = fr.get("file") or ""
        if os.path.basename(f) == base and fr.get("line") == line:
            return True
    return False


def show_stack(stack):
    return ", ".join(f"{fr.get('function')}@{os.path.basename(fr.get('file') or '?')}:{fr.get('line')}"
                     for fr in stack or [])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--real", type=int, help="expected number of non-harmless inversions")
    ap.add_argument("--harmless", type=int, help="expected number of harmless inversions")
    ap.add_argument("--total", type=int, help="expected number of findings of any kind")
    ap.add_argument("--locks", type=int, help="locks in each checked finding")
    ap.add_argument("--threads", type=int, help="threads in each checked finding")
    ap.add_argument("--check", choices=["real", "harmless"], default="real",
                    help="which findings --locks/--threads/--edge apply to")
    ap.add_argument("--source", help="program source with LINE: markers")
    ap.add_argument("--edge", action="append", default=[], metavar="HELD:ACQ",
                    help="an expected edge, by marker names (repeatable)")
    ap.add_argument("--subkind", help="expected subkind of each checked finding ('null' for none; "
                    "default: null for real findings, unchecked for harmless ones)")
    ap.add_argument("--clean-end", choices=["true", "false"],
                    help="expected logs[].clean_end of every log")
    ap.add_argument("--exit-status", type=int, help="expected program.exit_status (lockwatch run)")
    ap.add_argument("--summary-harmless", type=int,
                    help="expected summary.harmless (harmless cycles seen, shown or not)")
    ap.add_argument("--edges-exact", action="store_true",
                    help="the checked finding has exactly as many edges as --edge arguments")
    a = ap.parse_args()

    errors = []
    try:
        with open(a.report, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"check_report: cannot read {a.report}: {e}")
        return 1
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        print("check_report: top level is not an object with a \"findings\" array")
        return 1
    findings = doc["findings"]
    inv = [f for f in findings if f.get("kind") == KIND]
    real = [f for f in inv if f.get("harmless") is False]
    harmless = [f for f in inv if f.get("harmless") is True]
    if len(real) + len(harmless) != len(inv):
        errors.append("some inversion has a non-boolean \"harmless\"")
    if a.total is not None and len(findings) != a.total:
        errors.append(f"expected {a.total} findings in all, got {len(findings)}")
    if a.real is not None and len(real) != a.real:
        errors.append(f"expected {a.real} real lock-order inversions, got {len(real)}")
    if a.harmless is not None and len(harmless) != a.harmless:
        errors.append(f"expected {a.harmless} harmless lock-order inversions, got {len(harmless)}")

    if a.clean_end is not None:
        logs = doc.get("logs")
        if not isinstance(logs, list) or not logs:
            errors.append("no \"logs\" array in the report")
        else:
            for lg in logs:
                if lg.get("clean_end") is not (a.clean_end == "true"):
                    errors.append(f"log {lg.get('path')}: clean_end is {lg.get('clean_end')!r}, "
                                  f"expected {a.clean_end}")
    if a.exit_status is not None:
        got = (doc.get("program") or {}).get("exit_status")
        if got != a.exit_status:
            errors.append(f"program.exit_status is {got!r}, expected {a.exit_status}")

    summary = doc.get("summary")
    if not isinstance(summary, dict):
        errors.append("no \"summary\" object in the report")
    else:
        if summary.get("findings") != len(real):
            errors.append(f"summary.findings is {summary.get('findings')!r} but {len(real)} real "
                          "findings are listed")
        if a.summary_harmless is not None and summary.get("harmless") != a.summary_harmless:
            errors.append(f"summary.harmless is {summary.get('harmless')!r}, expected "
                          f"{a.summary_harmless}")

    checked = real if a.check == "real" else harmless
    for i, f in enumerate(checked):
        tag = f"{a.check} finding {i}"
        if a.locks is not None and len(f.get("locks", [])) != a.locks:
            errors.append(f"{tag}: expected {a.locks} locks, got {len(f.get('locks', []))}")
        if a.threads is not None and len(f.get("threads", [])) != a.threads:
            errors.append(f"{tag}: expected {a.threads} threads, got {len(f.get('threads', []))}")
        edges = f.get("edges", [])
        want_sub = a.subkind if a.subkind is not None else ("null" if a.check == "real" else None)
        if want_sub is not None:
            got = f.get("subkind")
            if (want_sub == "null" and got is not None) or (want_sub != "null" and got != want_sub):
                errors.append(f"{tag}: expected subkind {want_sub}, got {got!r}")
        if a.edges_exact and len(edges) != len(a.edge):
            errors.append(f"{tag}: expected {len(a.edge)} edges, got {len(edges)}")
        for e in edges:
            for key in ("held_stack", "acquire_stack"):
                if not e.get(key):
                    errors.append(f"{tag}: an edge has an empty {key}")
        if a.edge:
            marks = marker_lines(a.source)
            base = os.path.basename(a.source)
            used = set()
            for spec in a.edge:
                held, acq = spec.split(":")
                hl, al = marks[held], marks[acq]
                match = None
                for j, e in enumerate(edges):
                    if j in used:
                        continue
                    if frame_at(e.get("held_stack"), base, hl) and \
                            frame_at(e.get("acquire_stack"), base, al):
                        match = j
                        break
                if match is None:
                    errors.append(f"{tag}: no edge held at {base}:{hl} ({held}) and acquired at "
                                  f"{base}:{al} ({acq}); edges were:")
                    for e in edges:
                        errors.append(f"    held: {show_stack(e.get('held_stack'))}")
                        errors.append(f"    acq:  {show_stack(e.get('acquire_stack'))}")
                else:
                    used.add(match)

    for e in errors:
        print("check_report: " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
