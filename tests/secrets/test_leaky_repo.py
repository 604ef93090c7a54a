"""The leaky fixture repository: every planted secret found at its file, line and rule; no decoy."""

from __future__ import annotations

import leaky_fixture as leaky
import pytest
from hubguard.rules.registry import matching
from hubguard.rules.runner import run_rules
from testkit import repo_from_files


@pytest.fixture(scope="module")
def findings():
    repo = repo_from_files(leaky.FILES, hubs={"seattle": []})
    return run_rules(repo, list(matching(["secret/"])))


def test_fixture_is_big_enough() -> None:
    assert len(leaky.PLANTED) >= 25 and len(leaky.DECOYS) >= 25
    from hubguard.rules.secret import RULES

    assert {rule for rule, _, _ in leaky.PLANTED} == {r.id for r in RULES}


@pytest.mark.parametrize(("rule", "path", "line"), leaky.PLANTED, ids=[f"{r}:{p}:{n}" for r, p, n in leaky.PLANTED])
def test_planted_secret_is_found(findings, rule: str, path: str, line: int) -> None:
    assert (rule, path, line) in {(f.rule, f.path, f.line) for f in findings}


@pytest.mark.parametrize(("label", "path", "line"), leaky.DECOYS, ids=[label for label, _, _ in leaky.DECOYS])
def test_decoy_is_quiet(findings, label: str, path: str, line: int) -> None:
    assert [f for f in findings if (f.path, f.line) == (path, line)] == []


def test_nothing_but_the_planted_secrets(findings) -> None:
    assert sorted((f.rule, f.path, f.line) for f in findings) == sorted(leaky.PLANTED)


def test_messages_and_keys_never_hold_a_secret(findings) -> None:
    for finding in findings:
        for secret in leaky.SECRETS:
            assert secret not in finding.message and secret not in (finding.key or "")
        assert finding.key  # every secret finding has a baseline identity
