"""ha/traffic-routing reads Traffic Manager profiles written in Bicep (no Bicep compiler: the
declarations are read as written), through the CLI on real repositories."""

from __future__ import annotations

import pytest
from testkit import flux_hub_repo, line_of, web_deployment

HUBS = {"seattle": {"ingress_host": "ratings.seattle.example.local"},
        "munich": {"ingress_host": "ratings.munich.example.local"}}
RULE = "ha/traffic-routing"

# The shapes teams write: params and vars, an endpoint loop, decorators, comments, a condition.
LOOP = """// Global routing for the ratings service
@description('Hubs that serve users, in priority order')
param hubs array = [
  'seattle'
  'munich'
]
param probePath string = '/healthz'
param deploy bool = true
var prefix = 'ratings'

resource tm 'Microsoft.Network/trafficmanagerprofiles@2022-04-01' = if (deploy) {
  name: '${prefix}-global'
  location: 'global'
  properties: {
    trafficRoutingMethod: 'Priority'
    dnsConfig: { relativeName: prefix, ttl: 30 }
    monitorConfig: {
      protocol: 'HTTPS'
      port: 443
      path: probePath
    }
    /* one endpoint per hub */
    endpoints: [for (hub, i) in hubs: {
      name: '${hub}-ep'
      type: 'Microsoft.Network/trafficManagerProfiles/externalEndpoints'
      properties: {
        target: '${prefix}.${hub}.example.local'
        endpointStatus: 'Enabled'
        priority: i + 1
      }
    }]
  }
}
"""

SEPARATE = """param munichStatus string = '{status}'

resource profile 'Microsoft.Network/trafficManagerProfiles@2022-04-01' = {{
  name: 'ratings'
  location: 'global'
  properties: {{
    trafficRoutingMethod: 'Priority'
    monitorConfig: {{
      protocol: 'HTTPS'
      port: 443{path}
    }}
  }}

  resource primary 'externalEndpoints' = {{
    name: 'primary'
    properties: {{
      target: 'ratings.seattle.example.local'
      endpointStatus: 'Enabled'
    }}
  }}
}}

resource secondary 'Microsoft.Network/trafficManagerProfiles/externalEndpoints@2022-04-01' = {{
  parent: profile
  name: 'secondary'
  properties: {{
    target: 'ratings.munich.example.local'
    endpointStatus: munichStatus
  }}
}}
"""


def run(make_repo, validate_json, bicep: str, **policy) -> list[tuple]:
    files = flux_hub_repo({"deploy.yaml": web_deployment()}, hubs=HUBS, policy=policy,
                          extra={"infra/traffic.bicep": bicep})
    _, report = validate_json(make_repo(files), "--select", RULE)
    assert not any("traffic_routing declares" in f["message"] for f in report["findings"])
    return sorted((f["path"], f["line"], f["hub"]) for f in report["findings"])


@pytest.mark.parametrize("bicep", [LOOP, SEPARATE.format(status="Enabled", path="\n      path: '/healthz'")],
                         ids=["endpoint-loop", "nested-and-parent-endpoints"])
def test_a_bicep_profile_routing_to_every_hub_passes(make_repo, validate_json, bicep):
    # declared routing: the Bicep profile is the one it asks for
    assert run(make_repo, validate_json, bicep, traffic_routing=["azure-traffic-manager"]) == []


def test_a_hub_missing_from_the_loop_is_reported_at_the_profile(make_repo, validate_json):
    bicep = LOOP.replace("  'munich'\n", "")
    assert run(make_repo, validate_json, bicep) == [("infra/traffic.bicep", line_of(bicep, "name: '${prefix}-global'"), "munich")]


def test_a_disabled_endpoint_and_a_missing_probe_path_are_reported_where_written(make_repo, validate_json):
    bicep = SEPARATE.format(status="Disabled", path="")
    assert run(make_repo, validate_json, bicep) == sorted([
        ("infra/traffic.bicep", line_of(bicep, "monitorConfig: {"), None),
        ("infra/traffic.bicep", line_of(bicep, "endpointStatus: munichStatus"), "munich")])


def test_an_unknown_value_is_never_guessed(make_repo, validate_json):
    """A target computed by a function stays as written: the endpoint is not taken for munich's."""
    bicep = SEPARATE.format(status="Enabled", path="\n      path: '/healthz'").replace(
        "target: 'ratings.munich.example.local'", "target: toLower(munichHost)")
    assert run(make_repo, validate_json, bicep) == [("infra/traffic.bicep", line_of(bicep, "name: 'ratings'"), "munich")]


@pytest.mark.parametrize("bicep", [
    "resource tm 'Microsoft.Network/trafficManagerProfiles@2022-04-01' = " + "{a: " * 3000,
    "param p string = '" + "${'" * 2000 + "\nresource tm 'Microsoft.Network/trafficManagerProfiles@2022-04-01' = {",
    "var hubs = [\n" + "".join(f"  'h{i}'\n" for i in range(500)) + "]\nresource tm 'Microsoft.Network/trafficManagerProfiles@2022-04-01' = "
    "[for a in hubs: {\n  name: a\n  properties: {\n    endpoints: [for b in hubs: [for c in hubs: {\n      name: '${a}${b}${c}'\n    }]]\n  }\n}]\n",
], ids=["deep-nesting", "unterminated-interpolations", "nested-loops"])
def test_a_hostile_bicep_file_is_read_without_crashing(make_repo, hubguard, bicep):
    files = flux_hub_repo({"deploy.yaml": web_deployment()}, hubs=HUBS, extra={"infra/traffic.bicep": bicep})
    code, out, err = hubguard("validate", str(make_repo(files)), "--select", RULE)
    assert code in (0, 1) and "internal" not in err and "Traceback" not in err, err


RANGE_LOOP = """param hubs array = ['seattle', 'munich']

resource tm 'Microsoft.Network/trafficManagerProfiles@2022-04-01' = {
  name: 'ratings'
  location: 'global'
  properties: {
    monitorConfig: { protocol: 'HTTPS', port: 443, path: '/healthz' }
    endpoints: [for i in range(0, length(hubs)): {
      name: 'endpoint-${hubs[i]}'
      type: 'Microsoft.Network/trafficManagerProfiles/externalEndpoints'
      properties: {
        target: apps[i].outputs.fqdn
      }
    }]
  }
}
"""


def test_a_loop_counted_with_range_and_length_is_expanded(make_repo, validate_json):
    assert run(make_repo, validate_json, RANGE_LOOP) == []
    bicep = RANGE_LOOP.replace("['seattle', 'munich']", "['seattle', 'oslo']")
    assert run(make_repo, validate_json, bicep) == [("infra/traffic.bicep", line_of(bicep, "name: 'ratings'"), "munich")]


@pytest.mark.parametrize("endpoints", [
    "endpoints: endpoints",  # a param without a default
    "endpoints: [for e in regions.outputs.endpoints: {\n      name: e.name\n    }]",  # a module's output
], ids=["parameter", "loop-over-a-module-output"])
def test_endpoints_that_cannot_be_known_are_not_said_to_be_missing(make_repo, validate_json, endpoints):
    bicep = ("param endpoints object[]\n\nresource tm 'Microsoft.Network/trafficManagerProfiles@2022-04-01' = {\n"
             f"  name: 'ratings'\n  properties: {{\n    monitorConfig: {{ protocol: 'HTTPS', port: 443 }}\n    {endpoints}\n  }}\n}}\n")
    # the probe path is still judged
    assert run(make_repo, validate_json, bicep) == [("infra/traffic.bicep", line_of(bicep, "monitorConfig:"), None)]


def test_endpoints_added_to_a_profile_declared_elsewhere_are_not_a_profile(make_repo, validate_json):
    bicep = ("param profileName string\n\nresource tm 'Microsoft.Network/trafficmanagerprofiles@2022-04-01' existing = {\n"
             "  name: profileName\n}\n\nresource ep 'Microsoft.Network/trafficmanagerprofiles/ExternalEndpoints@2022-04-01' = {\n"
             "  parent: tm\n  name: 'seattle'\n  properties: {\n    target: 'ratings.seattle.example.local'\n  }\n}\n")
    assert run(make_repo, validate_json, bicep) == []
