"""The JSON Schemas shipped in schemas/ describe what the code really reads and writes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import referencing
from hubguard.resources import load_json_schema

ROOT = Path(__file__).resolve().parents[2]


def validator(name: str) -> jsonschema.Validator:
    registry = referencing.Registry().with_resources(
        (load_json_schema(n)["$id"].rsplit("/", 1)[-1], referencing.Resource.from_contents(load_json_schema(n)))
        for n in ("hub-inventory.schema.json", "cookiecutter-context.schema.json", "output.schema.json", "policy.schema.json")
    )
    schema = load_json_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, registry=registry)


def test_json_output_matches_its_schema(make_repo, validate_json):
    root = make_repo({"clusters/a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "b.yaml": "a: [\n"})
    _, report = validate_json(root)
    validator("output.schema.json").validate(report)
    assert report["findings"], "the report under test has findings"


def test_output_schema_rejects_a_finding_without_its_line_key():
    bad = {"tool": {"name": "hubguard", "version": "0"}, "summary": {"files": 0, "objects": 0, "hubs": [], "errors": 0,
           "warnings": 0, "suppressed": 0}, "findings": [{"rule": "a/b", "severity": "error", "path": None}]}
    with pytest.raises(jsonschema.ValidationError):
        validator("output.schema.json").validate(bad)


def test_template_defaults_match_the_context_schema():
    context = json.loads((ROOT / "cookiecutter.json").read_text())
    defaults = {k: (v[0] if isinstance(v, list) else v) for k, v in context.items() if not k.startswith("_")}
    defaults["hubs"] = json.loads(defaults["hubs"])
    defaults["repo_name"] = "ratings-on-hubs"  # the default is a Jinja expression of project_name
    validator("cookiecutter-context.schema.json").validate(defaults)


@pytest.mark.parametrize("hubs", [
    [{"name": "one", "location": "x", "kubernetes_version": "1.30", "ingress_host": "h", "onprem_cidrs": ["10.0.0.0/16"], "backup_hub": "two"}],
    [{"name": "Bad_Name", "location": "x", "kubernetes_version": "1.30", "ingress_host": "h", "onprem_cidrs": ["10.0.0.0/16"], "backup_hub": "b"},
     {"name": "b", "location": "x", "kubernetes_version": "1.30", "ingress_host": "h", "onprem_cidrs": ["10.1.0.0/16"], "backup_hub": "Bad_Name"}],
])
def test_hub_inventory_schema_refuses_what_the_hooks_refuse(hubs):
    with pytest.raises(jsonschema.ValidationError):
        validator("hub-inventory.schema.json").validate(hubs)


def test_policy_schema_is_a_valid_schema():
    validator("policy.schema.json")
