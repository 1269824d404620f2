#!/usr/bin/env python3
"""Help coverage: every option that `lockwatch --help` and `lockwatch help <command>` mention
must be exercised by at least one test.

COVERED maps each option to the test files (relative to tests/) that exercise it; the check
fails when a help text names an option missing from COVERED (add a test, then the entry), when
a listed file does not contain the option (the list would be lying), or when COVERED lists an
option no help text mentions any more (stale entry).
Usage: check_help.py LOCKWATCH_BIN TESTS_DIR
"""
import os
import re
import subprocess
import sys

HELP_COMMANDS = [
    ["--help"],
    ["help", "report"],
    ["help", "check"],
    ["help", "baseline"],
    ["help", "graph"],
    ["help", "run"],
    ["help", "options"],
    ["dump", "--help"],
]

COVERED = {
    "--all": ["e2e/e2e.sh", "e2e/gate.sh"],
    "--baseline": ["e2e/gate.sh"],
    "--check": ["e2e/gate.sh"],
    "--color": ["e2e/gate.sh"],
    "--cycles-only": ["e2e/gate.sh"],
    "--deadlock-exit-code": ["e2e/deadlock.cmake", "e2e/deadlock.sh"],
    "--deadlock-timeout-ms": ["e2e/deadlock.cmake", "e2e/deadlock.sh"],
    "--fail-on": ["e2e/gate.sh"],
    "--format": ["e2e/e2e.sh", "e2e/gate.sh"],
    "--help": ["e2e/gate.sh"],
    "--log-dir": ["e2e/e2e.sh", "e2e/gate.sh"],
    "--mutex-fast-path": ["e2e/CMakeLists.txt", "e2e/deadlock.cmake"],
    "--on-deadlock": ["e2e/deadlock.sh", "e2e/deadlock.cmake"],
    "--output": ["e2e/e2e.sh", "e2e/gate.sh"],
    "--print-suppressions": ["e2e/gate.sh"],
    "--source-root": ["e2e/gate.sh"],
    "--stack-depth": ["e2e/gate.sh"],
    "--suppressions": ["e2e/gate.sh"],
    "--verbose": ["e2e/gate.sh"],
    "--watch": ["e2e/watch.sh"],
    "--version": ["e2e/gate.sh"],
}

# Words that look like options in help texts but are placeholders, not options.
PLACEHOLDERS = {"--key-name"}


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: check_help.py LOCKWATCH_BIN TESTS_DIR")
    binary, tests = sys.argv[1], sys.argv[2]
    seen = {}
    for args in HELP_COMMANDS:
        p = subprocess.run([binary] + args, capture_output=True, text=True)
        if p.returncode != 0:
            print(f"check_help: lockwatch {' '.join(args)} exited with {p.returncode}")
            return 1
        for opt in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", p.stdout):
            seen.setdefault(opt, " ".join(args))
    errors = []
    for opt in sorted(seen):
        if opt in PLACEHOLDERS:
            continue
        files = COVERED.get(opt)
        if not files:
            errors.append(f"{opt} (in `lockwatch {seen[opt]}`) has no test: add one and list it "
                          "in COVERED")
            continue
        used = False
        for rel in files:
            path = os.path.join(tests, rel)
            try:
                with open(path, encoding="utf-8") as f:
                    if re.search(re.escape(opt) + r"(?![\w-])", f.read()):
                        used = True
            except OSError as e:
                errors.append(f"{opt}: cannot read {path}: {e}")
        if not used:
            errors.append(f"{opt}: none of {files} uses it")
    for opt in sorted(set(COVERED) - set(seen)):
        errors.append(f"{opt} is in COVERED but no help text mentions it (stale entry?)")
    for e in errors:
        print("check_help:", e)
    print(f"check_help: {len(seen)} options in the help texts, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
