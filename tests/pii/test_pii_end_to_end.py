"""`hubguard validate --format json --select pii/` on two-hub fixture repositories (real kustomize).

`fixtures/leaky` breaks every pii/* rule once; `fixtures/compliant` is its twin with the same
workloads kept on the premises: default-deny egress plus allowances to in-cluster peers and
on-prem CIDRs, Application Insights only in the non-PII monitoring namespace, log agents excluding
the PII namespace. Both carry a non-PII namespace (shop) with public egress and App Insights,
which must never be reported.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hubguard.cli import main

FIXTURES = Path(__file__).parent / "fixtures"

LEAKY = [
    ("pii/public-endpoint", "apps/ratings/api-config.yaml", 8, None, "ConfigMap/ratings/ratings-api-config"),
    ("pii/telemetry-export", "apps/ratings/api.yaml", 26, None, "Deployment/ratings/ratings-api"),
    # DNS to any resolver is a channel out (a warning); the wide ipBlock an error
    ("pii/public-egress", "apps/ratings/egress.yaml", 12, None, "NetworkPolicy/ratings/ratings-api-egress"),
    ("pii/public-egress", "apps/ratings/egress.yaml", 18, None, "NetworkPolicy/ratings/ratings-api-egress"),
    ("pii/public-endpoint", "apps/ratings/mongodb-external.yaml", 8, None, "Service/ratings/mongodb"),
    # seattle's overlay adds an egress policy for ratings-web; munich's does not
    ("pii/no-egress-policy", "apps/ratings/web.yaml", 4, "munich", "Deployment/ratings/ratings-web"),
    ("pii/log-collection", "platform/monitoring/container-azm-ms-agentconfig.yaml", 16, None,
     "ConfigMap/kube-system/container-azm-ms-agentconfig"),
    ("pii/log-collection", "platform/monitoring/fluent-bit.yaml", 15, None, "ConfigMap/monitoring/fluent-bit"),
]


def fixture_files(name: str) -> dict[str, str]:
    root = FIXTURES / name
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name, expected", [("leaky", LEAKY), ("compliant", [])])
def test_pii_rules_end_to_end(make_repo, capsys, name, expected):
    root = make_repo(fixture_files(name))
    code = main(["validate", str(root), "--format", "json", "--select", "pii/"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    report = json.loads(out)
    assert report["summary"]["hubs"] == ["munich", "seattle"]
    found = [(f["rule"], f["path"], f["line"], f["hub"], f["object"]) for f in report["findings"]]
    assert found == expected
    assert code == (1 if expected else 0)
    assert not any("/shop/" in (f["object"] or "") for f in report["findings"])  # non-PII namespace
    assert all("00000000-0000" not in f["message"] for f in report["findings"])  # keys never echoed


def test_every_pii_rule_fires_in_the_leaky_fixture():
    from hubguard.rules.registry import matching

    assert {rule.id for rule in matching(["pii/"])} == {f[0] for f in LEAKY}


def test_explain_public_egress_shows_a_copyable_policy(capsys):
    assert main(["explain", "pii/public-egress"]) == 0
    out = capsys.readouterr().out
    assert "kind: NetworkPolicy" in out and "policyTypes: [Egress]" in out and "ipBlock:" in out
