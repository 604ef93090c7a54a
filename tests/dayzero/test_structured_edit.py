"""Structured edits keep every byte they do not concern, or refuse."""

from __future__ import annotations

import json

import pytest
from hubguard.generator.hub_entries import cross_hub, traffic_manager
from hubguard.generator.preserving_edits import (
    NotStructured,
    YamlDocs,
    append_item,
    json_spans,
    remove_item,
)

CROSS = """# MongoDB traffic with the other hubs (munich) over the site-to-site VPN:
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: mongodb-cross-hub   # keep this name: hubguard finds it
spec:
  podSelector: {matchLabels: {app: mongodb}}
  ingress:
    - from:
        - ipBlock:
            cidr: 10.20.0.0/16   # munich
      ports:
        - {protocol: TCP, port: 27017}
  egress:
    - to:
        - ipBlock: {cidr: 10.20.0.0/16}
      ports:
        - protocol: TCP
          port: 27017
---
# A second document the edit does not concern.
kind: ConfigMap
"""


def test_cross_hub_edit_adds_and_removes_ranges_and_keeps_the_rest():
    added = cross_hub("x.yaml", CROSS, "", "", "oslo", True, ["10.30.0.0/16"], ["munich"], ["munich", "oslo"])
    assert added.startswith("# MongoDB traffic with the other hubs (munich, oslo) over")
    assert "            cidr: 10.20.0.0/16   # munich\n        - ipBlock:\n            cidr: 10.30.0.0/16\n      ports:" in added
    assert "  name: mongodb-cross-hub   # keep this name: hubguard finds it\n" in added
    assert "  podSelector: {matchLabels: {app: mongodb}}\n" in added
    assert added.endswith("---\n# A second document the edit does not concern.\nkind: ConfigMap\n")
    removed = cross_hub("x.yaml", added, "", "", "oslo", False, ["10.30.0.0/16"], ["munich", "oslo"], ["munich"])
    assert removed == CROSS


@pytest.mark.parametrize(("text", "message"), [
    ("a:\n   b: 1\n  # odd\n   c: [1,   2]\n", "its layout would change on a YAML round trip"),
    ("a: [unclosed\n", "not valid YAML"),
])
def test_yaml_that_would_be_reformatted_is_refused(text, message):
    with pytest.raises(NotStructured, match=message):
        YamlDocs("f.yaml", text)


TM = """{
  "resources": [{"type": "Microsoft.Network/trafficManagerProfiles",
    "properties": {"endpoints": [
      {"name": "a", "properties": {"priority": 1}},
      {"name": "b", "properties": {"priority": 2}},
      {"name": "c", "properties": {"priority": 3}}
    ]}}]
}
"""


@pytest.mark.parametrize(("name", "left", "priorities"), [
    ("a", ["b", "c"], [1, 2]),
    ("b", ["a", "c"], [1, 2]),
    ("c", ["a", "b"], [1, 2]),
])
def test_traffic_manager_endpoint_removal_closes_priorities_up(name, left, priorities):
    text = traffic_manager("tm.json", TM, TM, TM, name, False)
    endpoints = json.loads(text)["resources"][0]["properties"]["endpoints"]
    assert [e["name"] for e in endpoints] == left
    assert [e["properties"]["priority"] for e in endpoints] == priorities
    assert text.startswith('{\n  "resources": [{"type": "Microsoft.Network/trafficManagerProfiles",\n')


def test_custom_priorities_are_left_alone():
    custom = TM.replace('"priority": 1', '"priority": 10')
    text = traffic_manager("tm.json", custom, custom, custom, "b", False)
    assert [e["properties"]["priority"] for e in json.loads(text)["resources"][0]["properties"]["endpoints"]] == [10, 3]


def test_json_append_and_remove_keep_the_layout():
    text = '{"xs": [\n    1,\n    {"a": [2, 3]}\n  ], "y": "]"}\n'
    spans = json_spans(text).keys["xs"]
    grown = append_item(text, spans, '{\n  "b": 4\n}', "")
    assert grown == '{"xs": [\n    1,\n    {"a": [2, 3]},\n    {\n      "b": 4\n    }\n  ], "y": "]"}\n'
    assert remove_item(grown, json_spans(grown).keys["xs"], 2) == text
    with pytest.raises(NotStructured):
        json_spans('{"a": }')
