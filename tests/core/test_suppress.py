"""Every accepted suppression spelling, and the reason that secret/pii suppressions need."""

from __future__ import annotations

import pytest
from hubguard.report.suppressions import comment_suppressions

BROKEN = "a: 1\na: 2"  # a schema/yaml-error (duplicate key) at line 2


@pytest.mark.parametrize(
    "text, suppressed",
    [
        (f"{BROKEN}  # hubguard: ignore[schema/yaml-error] fixture\n", True),
        (f"{BROKEN}  #hubguard:ignore[schema/yaml-error]\n", True),
        (f"{BROKEN}  # HUBGUARD: IGNORE[schema/yaml-error] shouting is fine\n", True),
        (f"{BROKEN}  # hubguard: ignore[schema/] the family\n", True),
        (f"{BROKEN}  # hubguard: ignore[schema] the family without slash\n", True),
        (f"{BROKEN}  # hubguard: ignore[ha/pdb, schema/yaml-error] -- two ids\n", True),
        (f"{BROKEN}  # hubguard: ignore[ha/pdb] another rule\n", False),
        (f"{BROKEN}  # hubguard: ignore[schema/yaml] not a prefix of the id\n", False),
        (f"# hubguard: ignore-file[schema/yaml-error] whole file\n{BROKEN}\n", True),
        (f"{BROKEN}  # hubguard ignore[schema/yaml-error] missing colon\n", False),
    ],
)
def test_comment_spellings_on_the_line(make_repo, validate_json, text, suppressed):
    root = make_repo({"f.yaml": text})
    code, report = validate_json(root, "--select", "schema/", "--select", "suppress/")
    assert (report["findings"] == []) is suppressed
    assert report["summary"]["suppressed"] == (1 if suppressed else 0)


def test_comment_on_the_line_above_covers_the_next_code_line():
    (s,) = comment_suppressions("f.yaml", "a: 1\n# hubguard: ignore[ha/pdb] why\n# another comment\nb: 2\n")
    assert s.applies_to == (2, 4) and s.reason == "why"


def test_comment_does_not_cover_lines_further_down():
    (s,) = comment_suppressions("f.yaml", "# hubguard: ignore[ha/pdb] why\na: 1\nb: 2\n")
    assert 3 not in s.applies_to


SECRET_KIND_FINDING_FILE = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: [unclosed\n"


@pytest.mark.parametrize("reason, honoured", [("because it is a test fixture", True), ("", False)])
def test_secret_and_pii_suppressions_need_a_reason(reason, honoured):
    from hubguard.engine import apply_suppressions
    from hubguard.findings import Finding, Severity
    from testkit import repo_from_files

    text = f"password: x  # hubguard: ignore[secret/sensitive-literal] {reason}\n"
    repo = repo_from_files({"f.yaml": text}, hubs={})
    finding = Finding("secret/sensitive-literal", Severity.ERROR, "f.yaml", 1, 11, None, None, "m")
    kept, suppressed, extra = apply_suppressions([finding], repo)
    assert (len(suppressed) == 1) is honoured
    assert (kept == []) is honoured
    assert [(f.rule, f.line) for f in extra] == ([] if honoured else [("suppress/missing-reason", 1)])


def test_annotation_suppression_with_reason(make_repo, validate_json):
    from hubguard.engine import apply_suppressions
    from hubguard.findings import Finding, Severity
    from testkit import repo_from_files

    manifest = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: n\n  annotations:\n"
                "    hubguard.io/ignore: \"ha/pdb,pii/public-egress\"\n    hubguard.io/ignore-reason: single-tenant lab\n")
    repo = repo_from_files({"d.yaml": manifest})
    findings = [Finding(rule, Severity.ERROR, "d.yaml", 1, 1, "a", "Deployment/n/web", "m")
                for rule in ("ha/pdb", "pii/public-egress", "ha/spread")]
    kept, suppressed, extra = apply_suppressions(findings, repo)
    assert [f.rule for f in kept] == ["ha/spread"] and [s.finding.rule for s in suppressed] == ["ha/pdb", "pii/public-egress"] and extra == []


def test_an_annotation_one_hubs_overlay_adds_suppresses_that_hubs_finding_only(make_repo, validate_json):
    """seattle's overlay annotates the shared Secret; munich receives it as the base writes it, in
    plain text, and its finding stands. A file-level finding no hub receives would take any copy's
    annotation; one on a hub takes only that hub's copy (or the annotation as the file writes it)."""
    from testkit import flux_hub_repo, line_of

    secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\nstringData:\n  password: Zq8-very-Real-pass-2024\n"
    quiet = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\n  annotations:\n"
             "    hubguard.io/ignore: secret/plaintext-secret\n    hubguard.io/ignore-reason: sealed by the vault operator\n")
    root = make_repo(flux_hub_repo({"secret.yaml": secret}, overlays={"seattle": {"patch-quiet.yaml": quiet}}))
    code, report = validate_json(root, "--select", "secret/plaintext-secret", "--no-cache")
    assert code == 1
    assert [(f["rule"], f["path"], f["line"], f["hub"]) for f in report["findings"]] == [
        ("secret/plaintext-secret", "apps/base/secret.yaml", line_of(secret, "password"), "munich")]
    assert [(f["hub"], f["suppression"]["reason"]) for f in report["suppressed"]] == [("seattle", "sealed by the vault operator")]
