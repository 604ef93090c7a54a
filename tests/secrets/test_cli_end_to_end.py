"""`hubguard validate` on the leaky repository (real git, real kustomize): the findings are exactly
the planted secrets, and no output format ever prints one in full."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import leaky_fixture as leaky
import pytest

FORMATS = ("text", "json", "sarif", "junit", "github")


def validate(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hubguard", "validate", str(root), "--select", "secret/", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def leaky_repo(make_repo) -> Path:
    return make_repo(leaky.FILES)


def test_json_findings_are_the_planted_secrets(leaky_repo: Path) -> None:
    result = validate(leaky_repo, "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["hubs"] == ["munich", "seattle"] and report["summary"]["objects"] > 0
    found = sorted((f["rule"], f["path"], f["line"]) for f in report["findings"])
    assert found == sorted(leaky.PLANTED)
    # A leak in a file both hubs receive is one finding, not one per hub.
    assert all(f["hub"] is None for f in report["findings"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_output_format_contains_a_secret(leaky_repo: Path, fmt: str) -> None:
    result = validate(leaky_repo, "--format", fmt)
    assert result.returncode == 1, result.stderr
    output = result.stdout + result.stderr
    assert "secret/known-token" in output
    leaked = [s[:8] + "..." for s in leaky.SECRETS if s in output]
    assert leaked == []


def test_suppression_with_a_reason_is_honoured(make_repo) -> None:
    files = {"app.env": "# hubguard: ignore[secret/sensitive-literal] throw-away value of the demo\nDB_PASSWORD=" + leaky.PW["db"] + "\n"
             "API_PASSWORD=" + leaky.PW["api"] + "\n"}
    result = validate(make_repo(files), "--format", "json")
    report = json.loads(result.stdout)
    assert [(f["rule"], f["path"], f["line"]) for f in report["findings"]] == [("secret/sensitive-literal", "app.env", 3)]
    assert report["summary"]["suppressed"] == 1
