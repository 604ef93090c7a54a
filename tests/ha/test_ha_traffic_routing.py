"""ha/traffic-routing: the Traffic Manager profile has an enabled endpoint per hub and a probe path."""

from __future__ import annotations

import json

import pytest
from ha_support import line_of
from testkit import repo_from_files, run_rule

POLICY = {"hubs": {"seattle": {"ingress_host": "ratings.seattle.example.local"},
                   "munich": {"ingress_host": "ratings.munich.example.local"}}}
EXTERNAL = "Microsoft.Network/trafficManagerProfiles/externalEndpoints"


def endpoint(name: str, target: str = "", status: str = "Enabled") -> dict:
    return {"name": name, "type": EXTERNAL, "properties": {"target": target or f"{name}.example.net", "endpointStatus": status}}


def template(endpoints: list[dict] | None = None, *, path: str | None = "/healthz", children: list[dict] = (),
             loose: list[dict] = (), parameters: dict | None = None, nested: bool = False) -> str:
    monitor = {"protocol": "HTTPS", "port": 443}
    if path is not None:
        monitor["path"] = path
    profile = {"type": "Microsoft.Network/trafficManagerProfiles", "apiVersion": "2022-04-01", "name": "ratings",
               "location": "global",
               "properties": {"trafficRoutingMethod": "Priority", "dnsConfig": {"relativeName": "ratings", "ttl": 30},
                              "monitorConfig": monitor, "endpoints": endpoints or []}}
    if children:
        profile["resources"] = list(children)
    resources = [profile, *loose]
    if nested:
        resources = [{"type": "Microsoft.Resources/deployments", "name": "tm", "apiVersion": "2022-09-01",
                      "properties": {"mode": "Incremental", "template": {"resources": resources}}}]
    doc = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
           "contentVersion": "1.0.0.0", "parameters": parameters or {}, "resources": resources}
    return json.dumps(doc, indent=2) + "\n"


BOTH = [endpoint("seattle"), endpoint("munich")]
PROFILE_NAME = '"name": "ratings"'
CASES = [
    ("both-hubs", template(BOTH), []),
    ("by-ingress-host", template([endpoint("primary", "ratings.seattle.example.local"),
                                  endpoint("secondary", "ratings.munich.example.local.")]), []),
    ("named-with-suffix", template([endpoint("seattle-ep"), endpoint("tm-munich")]), []),
    ("child-resources", template([endpoint("seattle")], children=[{**endpoint("munich"), "type": "externalEndpoints"}]), []),
    ("top-level-endpoint-resource", template([endpoint("seattle")], loose=[{**endpoint("x"), "name": "ratings/munich"}]), []),
    ("concat-name", template([endpoint("seattle")],
                             loose=[{**endpoint("x"), "name": "[concat(parameters('profile'), '/munich')]"}]), []),
    ("parameter-target", template([endpoint("seattle"), endpoint("second", "[parameters('munichHost')]")],
                                  parameters={"munichHost": {"type": "string", "defaultValue": "ratings.munich.example.local"}}), []),
    ("nested-deployment", template(BOTH, nested=True), []),
    # endpoints from a parameter without a default: not known, so no hub is said to lack one
    ("endpoints-from-a-parameter", template("[parameters('endpoints')]"), []),
    # missing endpoint for munich: a finding for munich at the profile
    ("missing-endpoint", template([endpoint("seattle")]), [(PROFILE_NAME, "munich")]),
    ("name-is-not-a-prefix-match", template([endpoint("seattle"), endpoint("munichen")]), [(PROFILE_NAME, "munich")]),
    ("disabled-endpoint", template([endpoint("seattle"), endpoint("munich", status="Disabled")]), [('"Disabled"', "munich")]),
    ("no-probe-path", template(BOTH, path=None), [('"monitorConfig"', None)]),
    ("empty-probe-path", template(BOTH, path=""), [('"monitorConfig"', None)]),
    ("no-endpoints-at-all", template([]), [(PROFILE_NAME, "munich"), (PROFILE_NAME, "seattle")]),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_traffic_routing(text: str, expected: list[tuple[str, str | None]]) -> None:
    repo = repo_from_files({"infra/traffic-manager.json": text}, hubs={"seattle": [], "munich": []}, policy=POLICY)
    got = [(f.rule, f.path, f.line, f.hub) for f in run_rule("ha/traffic-routing", repo)]
    assert sorted(got, key=lambda g: (g[2], g[3] or "")) == [
        ("ha/traffic-routing", "infra/traffic-manager.json", line_of(text, needle), hub) for needle, hub in expected]


def test_a_declared_routing_without_its_definition_is_a_finding_at_the_declaration() -> None:
    policy_text = "min_hubs: 2\nhubs:\n  seattle: {}\n  munich: {}\ntraffic_routing: [azure-traffic-manager]\n"
    repo = repo_from_files({".hubguard.yaml": policy_text}, hubs={"seattle": [], "munich": []},
                           policy={"traffic_routing": ["azure-traffic-manager"]})
    findings = run_rule("ha/traffic-routing", repo)
    assert [(f.path, f.line, f.hub) for f in findings] == [(".hubguard.yaml", 5, None)]
    assert "traffic_routing declares azure-traffic-manager" in findings[0].message


def test_no_routing_is_demanded_where_the_policy_declares_none() -> None:
    policy_text = "min_hubs: 2\nhubs:\n  seattle: {}\n  munich: {}\n"
    repo = repo_from_files({".hubguard.yaml": policy_text}, hubs={"seattle": [], "munich": []})
    assert run_rule("ha/traffic-routing", repo) == []


def test_no_hubs_no_finding() -> None:
    assert run_rule("ha/traffic-routing", repo_from_files({}, hubs={})) == []


def test_tcp_probes_accepted_when_tuned() -> None:
    repo = repo_from_files({"tm.json": template(BOTH, path=None)}, hubs={"seattle": [], "munich": []},
                           policy={"rules": {"ha/traffic-routing": {"require_monitor_path": False}}})
    assert run_rule("ha/traffic-routing", repo) == []


def test_yaml_arm_templates_are_read_too() -> None:
    text = ("resources:\n- type: Microsoft.Network/trafficManagerProfiles\n  name: ratings\n  properties:\n"
            "    monitorConfig: {protocol: HTTP, port: 80, path: /}\n    endpoints:\n    - name: seattle\n"
            "      properties: {target: a.example.net}\n")
    repo = repo_from_files({"tm.yaml": text}, hubs={"seattle": [], "munich": []})
    assert [(f.line, f.hub) for f in run_rule("ha/traffic-routing", repo)] == [(line_of(text, "name: ratings"), "munich")]
