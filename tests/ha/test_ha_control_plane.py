"""ha/control-plane: AKS Engine API models with an odd master count >= 3 and >= 2 workers."""

from __future__ import annotations

import json

import pytest
from ha_support import line_of
from testkit import repo_from_files, run_rule


def api_model(masters: object = 3, pools: list[object] = (3,), *, location: str | None = None) -> str:
    model: dict = {"apiVersion": "vlabs"}
    if location:
        model["location"] = location
    model["properties"] = {
        "orchestratorProfile": {"orchestratorType": "Kubernetes", "orchestratorRelease": "1.30"},
        "masterProfile": {"count": masters, "dnsPrefix": "hub", "vmSize": "Standard_D2_v2"},
        "agentPoolProfiles": [{"name": f"pool{i}", "count": c, "vmSize": "Standard_D2_v2"} for i, c in enumerate(pools)],
    }
    return json.dumps(model, indent=2) + "\n"


MASTERS = '"count": %s,'


@pytest.mark.parametrize(("masters", "pools", "needles"), [
    (3, [3], []),
    (5, [1, 1], []),  # workers are summed over pools
    (1, [3], [MASTERS % 1]),
    (2, [3], [MASTERS % 2]),  # even master count
    (4, [3], [MASTERS % 4]),
    (3, [1], ['"count": 1']),
    (3, [], ['"masterProfile"']),  # no agent pools at all: point at the master profile
    (2, [1], [MASTERS % 2, '"count": 1\n']),
    ("[parameters('masterCount')]", ["[parameters('n')]"], []),  # parameterised: not judged
], ids=["ok", "summed-pools", "one-master", "even-master", "four-masters", "one-worker", "no-pools", "both",
        "parameterised"])
def test_control_plane(masters: object, pools: list, needles: list[str]) -> None:
    text = api_model(masters, pools)
    repo = repo_from_files({"infra/apimodel.json": text}, hubs={"seattle": [], "munich": []})
    got = [(f.rule, f.path, f.line, f.hub) for f in run_rule("ha/control-plane", repo)]
    assert got == [("ha/control-plane", "infra/apimodel.json", line_of(text, n.rstrip("\n")), None) for n in needles]


@pytest.mark.parametrize(("path", "location", "policy", "hub"), [
    ("clusters/munich/aks/apimodel.json", None, {}, "munich"),
    ("infra/clusters/seattle/apimodel.json", None, {}, "seattle"),
    ("infra/apimodel.json", "munich-dc", {"hubs": {"munich": {"location": "munich-dc"}, "seattle": {"location": "sea"}}}, "munich"),
    ("infra/apimodel.json", "elsewhere", {"hubs": {"munich": {"location": "munich-dc"}, "seattle": {}}}, None),
    ("hub-roots/munich/apimodel.json", None, {"hubs": {"munich": {"roots": ["hub-roots/munich"]}, "seattle": {}}}, "munich"),
])
def test_attribution_to_a_hub(path: str, location: str | None, policy: dict, hub: str | None) -> None:
    repo = repo_from_files({path: api_model(2, location=location)}, hubs={"seattle": [], "munich": []}, policy=policy)
    assert [(f.path, f.hub) for f in run_rule("ha/control-plane", repo)] == [(path, hub)]


def test_thresholds_are_options() -> None:
    repo = repo_from_files({"m.json": api_model(3, [2])}, policy={"rules": {"ha/control-plane": {"min_masters": 5, "min_workers": 3}}})
    assert len(run_rule("ha/control-plane", repo)) == 2


def test_yaml_api_models_and_other_json_are_read_as_such() -> None:
    yaml_model = "apiVersion: vlabs\nproperties:\n  masterProfile:\n    count: 1\n  agentPoolProfiles:\n  - {name: p, count: 2}\n"
    other = json.dumps({"apiVersion": "v1", "properties": {"masterProfile": {"count": 1}}})
    repo = repo_from_files({"m.yaml": yaml_model, "other.json": other})
    assert [(f.path, f.line) for f in run_rule("ha/control-plane", repo)] == [("m.yaml", 4)]


def test_only_files_that_mention_an_api_model_are_parsed() -> None:
    """A repository rule runs in every focused run too: it parses the files that may hold what it
    looks for (any case: AKS Engine accepts VLabs), not every file of the repository."""
    model = api_model(2, [3]).replace('"vlabs"', '"VLabs"')
    repo = repo_from_files({"infra/apimodel.yaml": model, "apps/web.yaml": "kind: ConfigMap\nmetadata: {name: web}\n"},
                           hubs={"seattle": [], "munich": []})
    got = [(f.path, f.line) for f in run_rule("ha/control-plane", repo)]
    assert got == [("infra/apimodel.yaml", line_of(model, MASTERS % 2))]
    assert repo.file("apps/web.yaml")._parsed is None and repo.file("infra/apimodel.yaml")._parsed is not None
