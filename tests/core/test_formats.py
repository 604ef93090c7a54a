"""Output formats: golden files, SARIF valid against the 2.1.0 schema, JUnit that parses, no secrets."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from hubguard.findings import Finding, Report, Severity, Suppressed
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
        Finding("secret/known-token", Severity.ERROR, "docs/100% a:b.md", 2, 5, None, None, "GitHub token ghp_…(40)",
                key="ghp"),
    ]
    suppressed = [
        Suppressed(Finding("schema/yaml-error", Severity.ERROR, "notes/scratch.yaml", 3, 1, None, None, "duplicate key"),
                   "comment", "a scratch file, never applied"),
        Suppressed(Finding("secret/sensitive-literal", Severity.ERROR, "apps/x.yaml", 9, 7, "a", None, "literal password"),
                   "baseline", "recorded in the baseline .hubguard-baseline.json"),
    ]
    return Report(findings=findings, files=12, objects=80, hubs=["a", "b"], suppressed=1, suppressed_findings=suppressed,
                  notes=["2 files not checked (2 binary); --verbose lists them"],
                  skipped_files=["img/a.png: binary file, not checked", "img/b.png: binary file, not checked"])


def rules_used() -> dict:
    rules = all_rules()
    return {k: rules[k] for k in ("schema/render-error", "schema/yaml-error", "secret/known-token")}


@pytest.mark.parametrize("name", sorted(FORMATTERS))
def test_golden(name):
    text = FORMATTERS[name](sample_report(), rules_used())
    golden = GOLDEN / f"report.{name}"
    assert text == golden.read_text(encoding="utf-8"), f"regenerate {golden} if the change is intended"


def test_json_has_the_spec_shape():
    doc = json.loads(FORMATTERS["json"](sample_report(), rules_used()))
    assert set(doc) >= {"tool", "summary", "findings"}
    assert doc["summary"] == {"files": 12, "objects": 80, "hubs": ["a", "b"], "errors": 3, "warnings": 1, "suppressed": 1}
    assert set(doc["findings"][0]) == {"rule", "severity", "path", "line", "column", "hub", "object", "message"}
    # Every note, the files not checked in full too; suppressed findings with kind and reason.
    assert doc["notes"] == ["2 files not checked (2 binary); --verbose lists them", "img/a.png: binary file, not checked",
                            "img/b.png: binary file, not checked"]
    assert [(s["rule"], s["hub"], s["suppression"]) for s in doc["suppressed"]] == [
        ("schema/yaml-error", None, {"kind": "comment", "reason": "a scratch file, never applied"}),
        ("secret/sensitive-literal", "a", {"kind": "baseline", "reason": "recorded in the baseline .hubguard-baseline.json"})]


def test_text_summarises_skipped_files_and_lists_them_with_verbose():
    from hubguard.report.formats.text import render

    plain = render(sample_report(), rules_used())
    assert "note: 2 files not checked (2 binary); --verbose lists them" in plain and "img/a.png" not in plain
    verbose = render(sample_report(), rules_used(), verbose=True)
    assert "note: img/a.png: binary file, not checked" in verbose
    quiet = render(sample_report(), rules_used(), quiet=True)
    assert "note:" not in quiet and "error(s)" not in quiet and "notes/broken.yaml:3:2 error schema/yaml-error" in quiet


def test_sarif_is_valid_against_the_official_schema():
    doc = json.loads(FORMATTERS["sarif"](sample_report(), all_rules()))
    jsonschema.validate(doc, json.loads(SARIF_SCHEMA.read_text()), cls=jsonschema.Draft4Validator)
    results = doc["runs"][0]["results"]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results] == [4, 3, 1, 2, 3, 9]
    assert results[2]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "ConfigMap/demo/x"
    # Relative URI references, percent-encoded (a space, `,`, `%`, `:` in a file name), and no
    # relative originalUriBaseIds (SARIF 2.1.0 §3.14.14 wants them absolute; omitted here).
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    assert uris[2:4] == ["notes/odd%2C%20name.yaml", "docs/100%25%20a%3Ab.md"]
    assert "originalUriBaseIds" not in doc["runs"][0]
    # Code scanning tracks a finding across commits by its fingerprint: not by its line.
    assert all(len(r["partialFingerprints"]["hubguardFinding/v1"]) == 64 for r in results)
    moved = sample_report()
    moved.findings[3] = Finding("secret/known-token", Severity.ERROR, "docs/100% a:b.md", 7, 5, None, None,
                                "GitHub token ghp_…(40)", key="ghp")
    again = json.loads(FORMATTERS["sarif"](moved, all_rules()))["runs"][0]["results"]
    assert again[3]["partialFingerprints"] == results[3]["partialFingerprints"] != results[2]["partialFingerprints"]
    # Security rules carry the score code scanning ranks alerts by; suppressions are listed with their reason.
    descriptors = {d["id"]: d for d in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert descriptors["secret/known-token"]["properties"] == {"tags": ["security", "secret"], "security-severity": "9.0"}
    assert "security-severity" not in descriptors["schema/yaml-error"]["properties"]
    assert [r.get("suppressions") for r in results[4:]] == [
        [{"kind": "inSource", "status": "accepted", "justification": "a scratch file, never applied"}],
        [{"kind": "external", "status": "accepted", "justification": "recorded in the baseline .hubguard-baseline.json"}]]
    assert all("suppressions" not in r for r in results[:4])
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


def test_junit_has_one_testcase_per_finding_and_consistent_counts():
    """Azure Pipelines keeps only the first <failure> of a testcase: each finding is its own
    testcase, named by rule, file and line; counts match what the file holds."""
    root = ET.fromstring(FORMATTERS["junit"](sample_report(), all_rules()))
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    schema = suites["hubguard.schema"]
    for suite in [root, *suites.values()]:
        cases = suite.findall(".//testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
        assert int(suite.get("skipped")) == sum(1 for c in cases if c.find("skipped") is not None)
    assert all(len(case.findall("failure")) <= 1 for case in root.iter("testcase"))
    assert root.get("failures") == "4" and len(root.findall(".//failure")) == 4
    failed = [c.get("name") for c in schema.findall("testcase") if c.find("failure") is not None]
    assert failed == ["schema/render-error apps/b/kustomization.yaml:4:9 [hub b]", "schema/yaml-error notes/broken.yaml:3:2",
                      "schema/yaml-error notes/odd, name.yaml:1"]
    skipped = [(c.get("name"), c.find("skipped").get("message")) for c in root.iter("testcase") if c.find("skipped") is not None]
    assert skipped == [("schema/yaml-error notes/scratch.yaml:3:1", "suppressed (comment): a scratch file, never applied"),
                       ("secret/sensitive-literal apps/x.yaml:9:7 [hub a]",
                        "suppressed (baseline): recorded in the baseline .hubguard-baseline.json")]
    passing = [c.get("name") for c in root.iter("testcase") if not list(c)]
    assert "ha/pdb" in passing and "schema/yaml-error" not in passing  # a rule without findings passes once


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
