#!/usr/bin/env python3
"""Structural validation of lockwatch's SARIF output.

This complements sarif_schema.py (validation against the published SARIF 2.1.0 JSON schema, test
e2e.gate.sarif_schema) with what a schema cannot say. It checks, by hand, the
properties and types the SARIF 2.1.0 specification requires or constrains for the subset of
SARIF that lockwatch emits: sarifLog (version "2.1.0", $schema URI, runs), run.tool.driver (name,
rules[].id unique), originalUriBaseIds (absolute URIs ending in '/'), results[] (ruleId naming a
rule, ruleIndex matching it, level in the enum, message.text, locations[].physicalLocation with
artifactLocation.uri and region.startLine >= 1, uriBaseId defined in originalUriBaseIds,
partialFingerprints with string values), codeFlows[].threadFlows[].locations[] (each with a
location, stack.frames[].location, executionOrder >= -1).
Options: --results N (expected count), --uri PATH (a primary location must have this relative
URI), --fingerprints BASELINE (the partialFingerprints must be the baseline's fingerprints),
--message REGEX (some result's message.text matches). A message that names only its kind
("api-misuse: .") is an error.
Exits 0 when valid, 1 with one line per problem.
"""
import argparse
import json
import re
import sys

LEVELS = {"none", "note", "warning", "error"}


class Checker:
    def __init__(self):
        self.errors = []

    def err(self, path, msg):
        self.errors.append(f"{path}: {msg}")

    def typed(self, obj, key, typ, path, required=True):
        if key not in obj:
            if required:
                self.err(path, f"missing required property '{key}'")
            return None
        v = obj[key]
        if typ is int and isinstance(v, bool) or not isinstance(v, typ):
            self.err(f"{path}.{key}", f"expected {typ.__name__}, got {type(v).__name__}")
            return None
        return v

    def message(self, obj, path, required=True):
        m = self.typed(obj, "message", dict, path, required)
        if m is not None and not isinstance(m.get("text"), str) and "id" not in m:
            self.err(f"{path}.message", "needs 'text' (string) or 'id'")

    def location(self, loc, path, base_ids):
        if not isinstance(loc, dict):
            self.err(path, "location is not an object")
            return None
        pl = self.typed(loc, "physicalLocation", dict, path, required=False)
        uri = None
        if pl is not None:
            al = self.typed(pl, "artifactLocation", dict, f"{path}.physicalLocation")
            if al is not None:
                uri = self.typed(al, "uri", str, f"{path}.physicalLocation.artifactLocation")
                base = al.get("uriBaseId")
                if base is not None:
                    if not isinstance(base, str) or base not in base_ids:
                        self.err(path, f"uriBaseId {base!r} not in originalUriBaseIds")
                    if uri and (uri.startswith("/") or re.match(r"^[a-z]+:", uri)):
                        self.err(path, f"uri {uri!r} with a uriBaseId must be relative")
                elif uri and not re.match(r"^[a-z][a-z0-9+.-]*:", uri):
                    self.err(path, f"relative uri {uri!r} without uriBaseId")
                if uri and (" " in uri or "#" in uri):
                    self.err(path, f"uri {uri!r} is not percent-encoded")
            region = self.typed(pl, "region", dict, f"{path}.physicalLocation", required=False)
            if region is not None:
                line = self.typed(region, "startLine", int, f"{path}.physicalLocation.region")
                if line is not None and line < 1:
                    self.err(path, "region.startLine must be >= 1")
        ll = self.typed(loc, "logicalLocations", list, path, required=False)
        for i, l in enumerate(ll or []):
            if not isinstance(l, dict) or not isinstance(l.get("name", ""), str):
                self.err(f"{path}.logicalLocations[{i}]", "bad logicalLocation")
        if "message" in loc:
            self.message(loc, path)
        return uri

    def run(self, doc, a):
        if not isinstance(doc, dict):
            self.err("$", "not an object")
            return
        if doc.get("version") != "2.1.0":
            self.err("$.version", f"expected \"2.1.0\", got {doc.get('version')!r}")
        schema = self.typed(doc, "$schema", str, "$")
        if schema and not re.match(r"^https://.*sarif-schema-2\.1\.0\.json$", schema):
            self.err("$.$schema", f"not a SARIF 2.1.0 schema URI: {schema}")
        runs = self.typed(doc, "runs", list, "$")
        if not runs:
            self.err("$.runs", "expected one run")
            return
        run = runs[0]
        tool = self.typed(run, "tool", dict, "$.runs[0]")
        driver = self.typed(tool or {}, "driver", dict, "$.runs[0].tool")
        name = self.typed(driver or {}, "name", str, "$.runs[0].tool.driver")
        if name != "lockwatch":
            self.err("$.runs[0].tool.driver.name", f"expected lockwatch, got {name!r}")
        rules = self.typed(driver or {}, "rules", list, "$.runs[0].tool.driver") or []
        rule_ids = []
        for i, r in enumerate(rules):
            rid = self.typed(r, "id", str, f"$.runs[0].tool.driver.rules[{i}]")
            rule_ids.append(rid)
            sd = r.get("shortDescription")
            if sd is not None and not isinstance(sd.get("text"), str):
                self.err(f"rules[{i}].shortDescription", "needs text")
        if len(set(rule_ids)) != len(rule_ids):
            self.err("$.runs[0].tool.driver.rules", "duplicate rule ids")
        base_ids = self.typed(run, "originalUriBaseIds", dict, "$.runs[0]", required=False) or {}
        for k, v in base_ids.items():
            u = v.get("uri") if isinstance(v, dict) else None
            if not isinstance(u, str) or not u.startswith("file:///") or not u.endswith("/"):
                self.err(f"originalUriBaseIds.{k}", f"expected an absolute file URI ending in /: {u!r}")
        results = self.typed(run, "results", list, "$.runs[0]")
        if results is None:
            return
        if a.results is not None and len(results) != a.results:
            self.err("$.runs[0].results", f"expected {a.results} results, got {len(results)}")
        uris, fps, texts = set(), set(), []
        for i, res in enumerate(results):
            p = f"results[{i}]"
            rid = self.typed(res, "ruleId", str, p)
            if rid is not None and rid not in rule_ids:
                self.err(p, f"ruleId {rid!r} is not a rule of the driver")
            ri = self.typed(res, "ruleIndex", int, p, required=False)
            if ri is not None and (ri >= len(rule_ids) or rule_ids[ri] != rid):
                self.err(p, "ruleIndex does not point at ruleId")
            lvl = self.typed(res, "level", str, p)
            if lvl is not None and lvl not in LEVELS:
                self.err(p, f"level {lvl!r} not one of {sorted(LEVELS)}")
            self.message(res, p)
            text = (res.get("message") or {}).get("text")
            if isinstance(text, str):
                texts.append(text)
                if re.fullmatch(r"[\w/-]+: *\.?", text.strip()):
                    self.err(f"{p}.message", f"says nothing but its kind: {text!r}")
            locs = self.typed(res, "locations", list, p) or []
            if not locs:
                self.err(p, "no locations")
            for j, loc in enumerate(locs):
                uris.add(self.location(loc, f"{p}.locations[{j}]", base_ids))
                if "physicalLocation" not in loc:
                    self.err(f"{p}.locations[{j}]", "no physicalLocation")
            pf = self.typed(res, "partialFingerprints", dict, p)
            for k, v in (pf or {}).items():
                if not isinstance(v, str):
                    self.err(f"{p}.partialFingerprints.{k}", "value is not a string")
                else:
                    fps.add(v)
            # Lock-order inversions carry one thread flow per edge; other findings have none.
            inversion = isinstance(rid, str) and rid.startswith("lock-order-inversion")
            cfs = self.typed(res, "codeFlows", list, p, required=inversion) or []
            if inversion and not cfs:
                self.err(p, "no codeFlows")
            for j, cf in enumerate(cfs):
                tfs = self.typed(cf, "threadFlows", list, f"{p}.codeFlows[{j}]") or []
                if not tfs:
                    self.err(f"{p}.codeFlows[{j}]", "threadFlows is empty (minItems 1)")
                for k, tf in enumerate(tfs):
                    tp = f"{p}.codeFlows[{j}].threadFlows[{k}]"
                    tls = self.typed(tf, "locations", list, tp) or []
                    if not tls:
                        self.err(tp, "locations is empty (minItems 1)")
                    for m, tl in enumerate(tls):
                        lp = f"{tp}.locations[{m}]"
                        loc = self.typed(tl, "location", dict, lp)
                        if loc is not None:
                            self.location(loc, f"{lp}.location", base_ids)
                        eo = tl.get("executionOrder", 0)
                        if not isinstance(eo, int) or eo < -1:
                            self.err(lp, "executionOrder must be an integer >= -1")
                        st = self.typed(tl, "stack", dict, lp)
                        frames = self.typed(st or {}, "frames", list, f"{lp}.stack") or []
                        if not frames:
                            self.err(f"{lp}.stack", "no frames")
                        for n, fr in enumerate(frames):
                            fl = self.typed(fr, "location", dict, f"{lp}.stack.frames[{n}]",
                                            required=False)
                            if fl is not None:
                                self.location(fl, f"{lp}.stack.frames[{n}].location", base_ids)
        if a.message and not any(re.search(a.message, t) for t in texts):
            self.err("results", f"no message matches {a.message!r}: {texts}")
        if a.uri and a.uri not in uris:
            self.err("results", f"no primary location with uri {a.uri!r} (got {sorted(u for u in uris if u)})")
        if a.fingerprints:
            want = set()
            with open(a.fingerprints, encoding="utf-8") as f:
                for line in f:
                    m = re.match(r"^([0-9a-f]{16}) ", line)
                    if m:
                        want.add(m.group(1))
            if want != fps:
                self.err("partialFingerprints", f"{sorted(fps)} differ from the baseline's {sorted(want)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sarif")
    ap.add_argument("--results", type=int)
    ap.add_argument("--uri")
    ap.add_argument("--fingerprints")
    ap.add_argument("--message", help="a regular expression some result's message must match")
    a = ap.parse_args()
    try:
        with open(a.sarif, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"check_sarif: cannot read {a.sarif}: {e}")
        return 1
    c = Checker()
    c.run(doc, a)
    for e in c.errors:
        print("check_sarif:", e)
    return 1 if c.errors else 0


if __name__ == "__main__":
    sys.exit(main())
