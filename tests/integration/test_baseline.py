"""Baselines: fingerprints survive line moves, new findings of the same rule are reported, and the
baseline file holds no secret."""

from __future__ import annotations

import json

import pytest
from hubguard.findings import Finding, Report, Severity
from hubguard.report.baseline import filter_known, write

DB_PASSWORD = "Zq8vR2mLx9TpW4nB"
SHELL_PASSWORD = "Kp3xV9qLm2ZrT8wY"
API_TOKEN = "Yt7uJ3kPq9WmX2cE"
CONFIG = f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: app
data:
  LOG_LEVEL: info
  DB_PASSWORD: {DB_PASSWORD}
"""
FILES = {"config/app.yaml": CONFIG, "scripts/run.sh": f'#!/bin/sh\npassword="{SHELL_PASSWORD}"\n'}
SELECT = ("--select", "secret/")


def where(report: dict) -> list[tuple]:
    return [(f["rule"], f["path"], f["line"]) for f in report["findings"]]


@pytest.fixture
def adopted(make_repo, hubguard, validate_json):
    """A repository with two known secrets and its baseline (written into the repository)."""
    root = make_repo(FILES)
    code, before = validate_json(root, *SELECT)
    assert where(before) == [("secret/sensitive-literal", "config/app.yaml", 7), ("secret/sensitive-literal", "scripts/run.sh", 2)]
    baseline = root / ".hubguard-baseline.json"
    code, out, err = hubguard("validate", str(root), *SELECT, "--write-baseline", str(baseline))
    assert code == 0 and "wrote 2 finding(s) to the baseline" in err
    return root, baseline


@pytest.mark.parametrize("inserted", [
    "  A: b\n  C: d\n",                      # lines above the finding, in the same object
    "  # a comment\n\n\n",
])
def test_known_findings_stay_quiet_after_lines_move(adopted, validate_json, inserted):
    root, baseline = adopted
    path = root / "config/app.yaml"
    path.write_text(path.read_text().replace("  LOG_LEVEL: info\n", "  LOG_LEVEL: info\n" + inserted))
    (root / "scripts/run.sh").write_text(f'#!/bin/sh\nset -eu\n\n# deploy\npassword="{SHELL_PASSWORD}"\n')
    code, report = validate_json(root, *SELECT, "--baseline", str(baseline))
    assert (code, report["findings"], report["summary"]["baseline"]) == (0, [], 2)


def test_a_new_finding_of_the_same_rule_in_the_same_file_is_reported(adopted, validate_json):
    root, baseline = adopted
    with (root / "config/app.yaml").open("a") as out:
        out.write(f"  API_TOKEN: {API_TOKEN}\n")
    code, report = validate_json(root, *SELECT, "--baseline", str(baseline))
    assert code == 1
    assert where(report) == [("secret/sensitive-literal", "config/app.yaml", 8)]
    assert report["summary"]["baseline"] == 2


def test_a_moved_problem_is_known_and_one_in_another_file_is_new(make_repo, hubguard, validate_json):
    root = make_repo({"notes/a.yaml": "a: [broken\n"})
    baseline = root.parent / "baseline.json"
    assert hubguard("validate", str(root), "--select", "schema/", "--write-baseline", str(baseline))[0] == 0
    code, report = validate_json(root, "--select", "schema/", "--baseline", str(baseline))
    assert (code, report["findings"], report["summary"]["baseline"]) == (0, [], 1)
    (root / "notes/a.yaml").write_text("x: 1\ny: [broken\n")  # the same problem on another line: still known
    assert validate_json(root, "--select", "schema/", "--baseline", str(baseline))[0] == 0
    (root / "notes/b.yaml").write_text("b: {broken\n")  # another file: new
    code, report = validate_json(root, "--select", "schema/", "--baseline", str(baseline))
    assert code == 1 and where(report) == [("schema/yaml-error", "notes/b.yaml", 2)]


def test_the_baseline_holds_no_secret(adopted):
    root, baseline = adopted
    text = baseline.read_text()
    for secret in (DB_PASSWORD, SHELL_PASSWORD):
        assert secret not in text
        assert secret[:4] not in text  # not even the redacted prefix shown in messages
    assert "DB_PASSWORD" not in text and "ConfigMap/app" not in text  # object and key only hashed
    document = json.loads(text)
    assert document["version"] == 1 and len(document["salt"]) == 32
    assert [(e["rule"], e["path"]) for e in document["findings"]] == [
        ("secret/sensitive-literal", "config/app.yaml"), ("secret/sensitive-literal", "scripts/run.sh")]
    assert set(document["findings"][0]) == {"rule", "path", "fingerprint"}


def test_rewriting_keeps_the_salt_so_unchanged_findings_keep_their_fingerprints(adopted, hubguard):
    root, baseline = adopted
    first = baseline.read_text()
    assert hubguard("validate", str(root), *SELECT, "--write-baseline", str(baseline))[0] == 0
    assert baseline.read_text() == first


def test_the_text_summary_counts_known_findings(adopted, hubguard):
    root, baseline = adopted
    code, out, err = hubguard("validate", str(root), *SELECT, "--baseline", str(baseline))
    assert code == 0 and "2 known from the baseline" in out


@pytest.mark.parametrize("content, message", [
    (None, "baseline not found (create it with --write-baseline)"),
    ("{not json", "not a hubguard baseline"),
    ('{"version": 99, "salt": "ab", "findings": []}', "baseline version 99 is not supported"),
    ('{"version": 1, "findings": []}', "salt and findings are required"),
    ('{"version": 1, "salt": "ab", "findings": [{"count": 0}]}', "bad entry"),
])
def test_a_bad_baseline_is_a_usage_error(make_repo, hubguard, tmp_path, content, message):
    root = make_repo(FILES)
    baseline = tmp_path / "baseline.json"
    if content is not None:
        baseline.write_text(content)
    code, out, err = hubguard("validate", str(root), *SELECT, "--baseline", str(baseline))
    assert code == 2 and message in err


def test_findings_sharing_a_fingerprint_are_counted(tmp_path):
    """Without a key, two findings of one rule on one object share a fingerprint: the baseline
    counts them, and one more than recorded is reported."""
    def finding(line: int) -> Finding:
        return Finding("ha/probes", Severity.ERROR, "apps/web.yaml", line, 5, None, "Deployment/ratings/web", "no probe")

    baseline = tmp_path / "baseline.json"
    write(baseline, [finding(10), finding(20)])
    assert json.loads(baseline.read_text())["findings"][0]["count"] == 2
    report = filter_known(Report(findings=[finding(11), finding(21), finding(31)], files=1, objects=1, hubs=[]), baseline)
    assert (report.findings, report.baseline_known) == ([finding(31)], 2)


def test_the_default_baseline_is_used_without_being_named(adopted, validate_json):
    """.hubguard-baseline.json at the root is what the hook and CI use, with no --baseline."""
    root, baseline = adopted
    assert baseline.name == ".hubguard-baseline.json"
    code, report = validate_json(root, *SELECT)
    assert (code, report["findings"], report["summary"]["baseline"]) == (0, [], 2)
    assert {s["suppression"]["kind"] for s in report["suppressed"]} == {"baseline"}


def test_the_policy_can_name_the_baseline(make_repo, hubguard, validate_json):
    root = make_repo({**FILES, ".hubguard.yaml": "baseline: ci/known-findings.json\n"})
    (root / "ci").mkdir()
    code, out, err = hubguard("validate", str(root), *SELECT, "--write-baseline", str(root / "ci/known-findings.json"))
    assert code == 0
    code, report = validate_json(root, *SELECT)
    assert (code, report["findings"], report["summary"]["baseline"]) == (0, [], 2)
    (root / "ci/known-findings.json").unlink()
    code, out, err = hubguard("validate", str(root), *SELECT)
    assert code == 2 and "baseline: ci/known-findings.json not found" in err
