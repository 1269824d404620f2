#!/usr/bin/env python3
"""Validates SARIF files against the published SARIF 2.1.0 JSON schema.

The schema (sarif-2.1.0-rtm.5.json, the OASIS release as published on schemastore) is not kept in
this repository: it is taken, once, from the npm registry package that ships it
(@microsoft/jest-sarif, lib/schemas/) with `npm pack`, into a cache directory of the build tree.
Usage: sarif_schema.py CACHE_DIR FILE.sarif...
Exits 0 when every file validates, 1 with the schema errors (path and message) otherwise, and 77
(ctest's "skipped") when the schema cannot be fetched (no npm, no registry).
"""
import glob
import json
import os
import subprocess
import sys
import tarfile

PACKAGE = "@microsoft/jest-sarif@1.0.0-beta.0"
MEMBER = "package/lib/schemas/sarif-2.1.0-rtm.5.json"


def fetch_schema(cache):
    path = os.path.join(cache, "sarif-2.1.0-rtm.5.json")
    if os.path.exists(path):
        return path
    os.makedirs(cache, exist_ok=True)
    try:
        subprocess.run(["npm", "pack", PACKAGE, "--pack-destination", cache, "--silent"],
                       check=True, capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as e:
        print(f"sarif_schema: cannot fetch the SARIF schema with npm ({e}); skipped")
        sys.exit(77)
    tarballs = glob.glob(os.path.join(cache, "microsoft-jest-sarif-*.tgz"))
    if not tarballs:
        print("sarif_schema: npm pack produced no tarball; skipped")
        sys.exit(77)
    with tarfile.open(tarballs[0]) as t:
        data = t.extractfile(MEMBER).read()
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)
    return path


def main():
    if len(sys.argv) < 3:
        print("usage: sarif_schema.py CACHE_DIR FILE.sarif...")
        return 2
    try:
        import jsonschema
    except ImportError:
        print("sarif_schema: python3-jsonschema is not installed (scripts/install-deps)")
        return 1
    with open(fetch_schema(sys.argv[1]), encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft4Validator(schema)
    bad = 0
    for name in sys.argv[2:]:
        with open(name, encoding="utf-8") as f:
            doc = json.load(f)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        for e in errors[:20]:
            where = "/".join(str(p) for p in e.path) or "(root)"
            print(f"{name}: {where}: {e.message}")
        if errors:
            bad += 1
        else:
            print(f"{name}: valid SARIF 2.1.0 (published schema)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
