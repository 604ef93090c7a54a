"""Output formats: golden files, SARIF valid against the 2.1.0 schema, JUnit that parses, no secrets."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from hubguard.findings import Finding, Report, Severity
from hubguard.report.formats import FORMATTERS
from hubguard.rules.registry import all_rules

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
SARIF_SCHEMA = HERE.parent / "data" / "sarif-schema-2.1.0.json"


def sample_report() -> Report:
    findings = [
        Finding("schema/render-error", Severity.ERROR, "apps/b/kustomization.yaml", 4, 9, "b", None,
                "patch file 'missing.yaml' does not exist"),
        Finding("schema/yaml-error", Severity.ERROR, "notes/broken.yaml", 3, 2, None, None,
                "while parsing a flow sequence expected ',' or ']'"),
        Finding("schema/yaml-error", Severity.WARNING, "notes/odd, name.yaml", 1, None, None, "ConfigMap/demo/x",
                "100% odd: message\nwith a newline"),
    ]
    return Report(findings=findings, files=12, objects=80, hubs=["a", "b"], suppressed=1)


def rules_used() -> dict:
    rules = all_rules()
    return {k: rules[k] for k in ("schema/render-error", "schema/yaml-error")}


@pytest.mark.parametrize("name", sorted(FORMATTERS))
def test_golden(name):
    text = FORMATTERS[name](sample_report(), rules_used())
    golden = GOLDEN / f"report.{name}"
    assert text == golden.read_text(encoding="utf-8"), f"regenerate {golden} if the change is intended"


def test_json_has_the_spec_shape():
    doc = json.loads(FORMATTERS["json"](sample_report(), rules_used()))
    assert set(doc) >= {"tool", "summary", "findings"}
    assert doc["summary"] == {"files": 12, "objects": 80, "hubs": ["a", "b"], "errors": 2, "warnings": 1, "suppressed": 1}
    assert set(doc["findings"][0]) == {"rule", "severity", "path", "line", "column", "hub", "object", "message"}


def test_sarif_is_valid_against_the_official_schema():
    doc = json.loads(FORMATTERS["sarif"](sample_report(), all_rules()))
    jsonschema.validate(doc, json.loads(SARIF_SCHEMA.read_text()), cls=jsonschema.Draft4Validator)
    results = doc["runs"][0]["results"]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results] == [4, 3, 1]
    assert results[2]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "ConfigMap/demo/x"
    ids = [r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]]
    assert ids == sorted(all_rules())

    def no_empty(node):
        if isinstance(node, dict):
            assert node, "empty object in SARIF"
            for v in node.values():
                no_empty(v)
        elif isinstance(node, list):
            for v in node:
                no_empty(v)

    no_empty(doc)


def test_junit_parses_with_a_suite_per_family_and_a_failure_per_finding():
    root = ET.fromstring(FORMATTERS["junit"](sample_report(), all_rules()))
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert "hubguard.schema" in suites
    schema = suites["hubguard.schema"]
    assert len(schema.findall("testcase")) == int(schema.get("tests"))
    assert len(root.findall(".//failure")) == 3
    assert schema.get("failures") == "2"  # two rules failed, three findings


def test_github_escapes_properties_and_data():
    out = FORMATTERS["github"](sample_report(), rules_used())
    assert "::warning file=notes/odd%2C name.yaml,line=1,title=schema/yaml-error::100%25 odd: message%0Awith a newline" in out


SECRET = "s3cr3tV4lue-that-must-not-leak"


@pytest.mark.parametrize("name", sorted(FORMATTERS))
def test_a_secret_in_a_repository_reaches_no_output_format(make_repo, hubguard, name):
    root = make_repo({"creds.yaml": f"password: {SECRET}\npassword: {SECRET}x\n", "other.yaml": f"token: [{SECRET}\n"})
    code, out, err = hubguard("validate", str(root), "--format", name)
    assert code == 1
    assert SECRET not in out and SECRET not in err
