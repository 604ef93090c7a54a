"""A hub whose kubernetes_version predates every bundled schema is checked against the oldest one,
and the report says so in a note (issue 21, item 10)."""

from __future__ import annotations

import pytest
from testkit import flux_hub_repo

CONFIG = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n  a: b\n"


@pytest.mark.parametrize(
    ("version", "select", "noted"),
    [
        ("1.19", "schema/", "hub old: kubernetes_version 1.19 is older than the oldest bundled Kubernetes schema; "
                            "its objects are checked against 1.25"),
        ("v1.24.3", "schema/invalid", "hub old: kubernetes_version v1.24.3 is older than"),
        ("1.25", "schema/", None),
        ("1.30", "schema/", None),
        (None, "schema/", None),
        ("1.19", "ha/", None),  # no schema check runs: nothing was clamped
    ],
)
def test_clamped_version_is_a_note(make_repo, validate_json, version, select, noted):
    hubs = {"old": {} if version is None else {"kubernetes_version": version}, "new": {"kubernetes_version": "1.30"}}
    _, report = validate_json(make_repo(flux_hub_repo({"config.yaml": CONFIG}, hubs=hubs)), "--select", select)
    clamped = [n for n in report.get("notes", []) if "oldest bundled" in n]
    assert len(clamped) == (0 if noted is None else 1)
    assert all(n.startswith(noted or "") for n in clamped)
