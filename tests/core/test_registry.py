"""The rule catalog: every SPEC rule exists, each is declared completely, and each is tested."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest
from hubguard.rules.registry import Scope, all_rules

TESTS = Path(__file__).resolve().parents[1]

# The stable ids of SPEC.md's rule catalog (more may be added; none renamed).
SPEC_RULES = {
    "secret/plaintext-secret", "secret/sensitive-literal", "secret/credential-in-uri", "secret/known-token",
    "secret/kubeconfig", "secret/cluster-definition", "secret/sops-unencrypted",
    "ha/hub-count", "ha/hub-parity", "ha/replicas", "ha/hpa-min", "ha/statefulset-quorum", "ha/pdb", "ha/spread",
    "ha/probes", "ha/resources", "ha/control-plane", "ha/traffic-routing", "ha/backup-offsite",
    "pii/no-egress-policy", "pii/public-egress", "pii/telemetry-export", "pii/public-endpoint", "pii/log-collection",
    "schema/yaml-error", "schema/render-error", "schema/invalid", "schema/unknown-kind",
}


def test_every_spec_rule_is_registered():
    assert SPEC_RULES - set(all_rules()) == set()


def test_ids_are_family_slash_kebab_case():
    for rule_id in all_rules():
        assert re.fullmatch(r"[a-z]+/[a-z0-9]+(-[a-z0-9]+)*", rule_id), rule_id


@pytest.mark.parametrize("rule_id", sorted(all_rules()))
def test_rule_is_declared_completely(rule_id):
    rule = all_rules()[rule_id]
    assert rule.summary and "\n" not in rule.summary and len(rule.summary) <= 140
    assert "FAIL" in rule.doc and "PASS" in rule.doc, "doc needs a failing and a passing example"
    assert len(rule.remediation.strip()) > 40
    assert isinstance(rule.scope, Scope) and callable(rule.check)
    assert (rule.scope is Scope.FLEET) == callable(rule.summarise), "a fleet rule says what it keeps of each hub"
    for name, spec in rule.options.items():
        assert "default" in spec and "type" in spec, f"option {name} needs a type and a default"
    # The engine validates options without re-checking their schema each run: check it here.
    schema = {"type": "object", "properties": dict(rule.options)}
    jsonschema.validators.validator_for(schema).check_schema(schema)
    assert not list(jsonschema.validators.validator_for(schema)(schema).iter_errors(rule.default_options()))


@pytest.fixture(scope="module")
def test_sources() -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in TESTS.rglob("*.py"))


@pytest.mark.parametrize("rule_id", sorted(all_rules()))
def test_rule_has_tests(rule_id, test_sources):
    here = Path(__file__).read_text()
    elsewhere = test_sources.replace(here, "")
    assert f'"{rule_id}"' in elsewhere or f"'{rule_id}'" in elsewhere, f"no test names {rule_id}"


def test_policy_schema_lists_every_rule_with_its_options():
    """The policy file's JSON Schema names every rule ID and each rule's options (editors complete
    them); `scripts/policy-schema-rules` rewrites the listing from the registry."""
    import json

    from hubguard.resources import load_json_schema

    listed = load_json_schema("policy.schema.json")["properties"]["rules"]["properties"]
    assert set(listed) == set(all_rules())
    for rule_id, rule in all_rules().items():
        assert set(listed[rule_id]["properties"]) == {"severity", "enabled", *rule.options}, rule_id
        for name, spec in rule.options.items():
            documented = {k: spec[k] for k in ("description", "default") if k in spec}
            assert json.dumps(listed[rule_id]["properties"][name], sort_keys=True) == json.dumps(documented, sort_keys=True)


def test_catalog_and_sarif_list_every_rule(make_repo, hubguard):
    """`hubguard rules --format json` and the SARIF driver of a real run list every rule ID."""
    import json

    code, out, _ = hubguard("rules", "--format", "json")
    assert code == 0
    catalog = json.loads(out)
    ids = [r["id"] for r in catalog]
    assert sorted(ids) == sorted(all_rules())
    root = make_repo({"clusters/a/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"})
    code, out, _ = hubguard("validate", str(root), "--format", "sarif")
    assert code in (0, 1)
    driver = json.loads(out)["runs"][0]["tool"]["driver"]
    assert [r["id"] for r in driver["rules"]] == sorted(all_rules())
