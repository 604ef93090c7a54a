"""`hubguard explain ha/<rule>`: why, a FAIL and a PASS example, the fix with YAML, how to tune."""

from __future__ import annotations

import re

import pytest
from hubguard.cli import main
from hubguard.rules.registry import all_rules

HA_RULES = sorted(i for i in all_rules() if i.startswith("ha/"))
# How each rule's threshold (or exception list) is tuned, as the explanation must show it.
TUNING = {
    "ha/hub-count": "min_hubs: 3",
    "ha/hub-parity": "hub_local:",
    "ha/backup-offsite": "no threshold",
    "ha/engine-overlap": "no threshold",
}


def test_thirteen_rules() -> None:
    assert len(HA_RULES) == 13


@pytest.mark.parametrize("rule_id", HA_RULES)
def test_explain(rule_id: str, capsys) -> None:
    assert main(["explain", rule_id]) == 0
    text = capsys.readouterr().out
    why, _, fix = text.partition("How to fix:")
    assert fix, "no fix section"
    assert "FAIL" in why and "PASS" in why
    # The fix carries an indented YAML (or JSON) example.
    assert re.search(r"^    \S.*[:{]", fix, re.MULTILINE), fix
    assert TUNING.get(rule_id, f"rules: {{{rule_id}: {{") in fix
    for name, spec in all_rules()[rule_id].options.items():
        assert f"  {name}: " in text and spec.get("description")


@pytest.mark.parametrize("rule_id", HA_RULES)
def test_rule_declaration(rule_id: str) -> None:
    rule = all_rules()[rule_id]
    assert rule.summary and "\n" not in rule.summary
    assert all("default" in spec for spec in rule.options.values())
