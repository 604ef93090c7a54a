"""Suppressed findings are listed with their kind and reason, in JSON `suppressed` and SARIF
`suppressions` (SPEC "JSON output", "Suppressions"), so that suppressions can be audited."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from testkit import web_deployment

SARIF_SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"
DEPLOY = web_deployment(
    metadata="  annotations:\n    hubguard.io/ignore: ha/probes\n"
             "    hubguard.io/ignore-reason: probes come from the service mesh sidecar\n",
    spec="  replicas: 1  # hubguard: ignore[ha/replicas] batch-like, restarts are fine\n",
    container="        resources: {requests: {cpu: 10m, memory: 16Mi}}\n")
FILES = {
    ".hubguard.yaml": "hubs:\n  a: {roots: [apps]}\n  b: {roots: [apps]}\n",
    "apps/kustomization.yaml": "resources:\n- deploy.yaml\n",
    "apps/deploy.yaml": DEPLOY,
    "notes/scratch.yaml": "# hubguard: ignore-file[schema/yaml-error] a scratch file, never applied\na: 1\na: 2\n",
}
RULES = ("--select", "ha/replicas", "--select", "ha/probes", "--select", "schema/yaml-error")


def test_json_lists_each_suppressed_finding_with_kind_and_reason(make_repo, validate_json):
    root = make_repo(FILES)
    code, report = validate_json(root, *RULES)
    assert (code, report["findings"]) == (0, [])
    listed = {(s["rule"], s["path"], s["line"]): s["suppression"] for s in report["suppressed"]}
    assert listed == {
        ("ha/replicas", "apps/deploy.yaml", 10): {"kind": "comment", "reason": "batch-like, restarts are fine"},
        ("ha/probes", "apps/deploy.yaml", 16): {"kind": "annotation", "reason": "probes come from the service mesh sidecar"},
        ("schema/yaml-error", "notes/scratch.yaml", 3): {"kind": "file", "reason": "a scratch file, never applied"},
    }
    assert all(s["hub"] is None for s in report["suppressed"])  # the same on both hubs: listed once
    assert report["summary"]["suppressed"] == 3
    from hubguard.resources import load_json_schema

    schema = load_json_schema("output.schema.json")
    jsonschema.Draft202012Validator(schema).validate(report)
    bad = {**report, "suppressed": [{**report["suppressed"][0], "suppression": {"kind": "magic", "reason": ""}}]}
    assert not jsonschema.Draft202012Validator(schema).is_valid(bad)


def test_the_baseline_is_a_suppression_kind_too(make_repo, validate_json, hubguard, tmp_path):
    root = make_repo({**FILES, "notes/known.yaml": "a: 1\na: 2\n"})
    baseline = tmp_path / "baseline.json"
    assert hubguard("validate", str(root), *RULES, "--write-baseline", str(baseline))[0] == 0
    code, report = validate_json(root, *RULES, "--baseline", str(baseline))
    assert code == 0 and report["findings"] == [] and report["summary"]["baseline"] == 1
    kinds = {(s["path"], s["suppression"]["kind"]) for s in report["suppressed"]}
    assert kinds == {("apps/deploy.yaml", "comment"), ("apps/deploy.yaml", "annotation"), ("notes/scratch.yaml", "file"),
                     ("notes/known.yaml", "baseline")}
    assert all("baseline.json" in s["suppression"]["reason"] for s in report["suppressed"] if s["suppression"]["kind"] == "baseline")


def test_sarif_lists_suppressions_and_stays_valid(make_repo, hubguard):
    root = make_repo(FILES)
    code, out, err = hubguard("validate", str(root), *RULES, "--format", "sarif")
    assert code == 0
    doc = json.loads(out)
    jsonschema.validate(doc, json.loads(SARIF_SCHEMA.read_text()), cls=jsonschema.Draft4Validator)
    results = doc["runs"][0]["results"]
    assert len(results) == 3 and all(len(r["suppressions"]) == 1 for r in results)
    by_rule = {r["ruleId"]: r["suppressions"][0] for r in results}
    assert by_rule["ha/replicas"] == {"kind": "inSource", "status": "accepted", "justification": "batch-like, restarts are fine"}
    assert by_rule["schema/yaml-error"]["justification"] == "a scratch file, never applied"
