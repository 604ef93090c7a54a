"""`hubguard init`: a starter .hubguard.yaml from discovery, every key explained, never overwritten,
and accepted by `validate` as written."""

from __future__ import annotations

import re

from testkit import flux_kustomization

NAMESPACES = ("apiVersion: v1\nkind: Namespace\nmetadata: {name: customer-data}\n---\n"
              "apiVersion: v1\nkind: Namespace\nmetadata: {name: ingress-nginx}\n")
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: payments}\ndata: {LOG_LEVEL: info}\n"
PROFILE = ('{"resources": [{"type": "Microsoft.Network/trafficManagerProfiles", "name": "tm", "properties": '
           '{"monitorConfig": {"path": "/healthz"}, "endpoints": [{"name": "seattle", "properties": {"target": "s"}}, '
           '{"name": "munich", "properties": {"target": "m"}}]}}]}\n')
REPO = {
    "clusters/seattle/apps.yaml": flux_kustomization("./apps"),
    "clusters/munich/apps.yaml": flux_kustomization("./apps"),
    "apps/kustomization.yaml": "resources:\n- namespaces.yaml\n- cm.yaml\n",
    "apps/namespaces.yaml": NAMESPACES,
    "apps/cm.yaml": CM,
    "global/traffic-manager.json": PROFILE,
}


def test_init_writes_what_discovery_found(make_repo, hubguard, validate_json):
    root = make_repo(REPO)
    code, out, err = hubguard("init", str(root))
    assert (code, out) == (0, "")
    assert "wrote" in err and "hubs: munich, seattle" in err
    text = (root / ".hubguard.yaml").read_text()
    assert "  munich:   # from clusters/munich/\n    roots: [clusters/munich]" in text
    assert "  seattle:   # from clusters/seattle/\n    roots: [clusters/seattle]" in text
    assert "\ntraffic_routing: [azure-traffic-manager]   # users reach the hubs through the Traffic Manager profile in global/traffic-manager.json\n" in text
    # a guess about personal data is a suggestion for a human, not a setting
    assert "\n  namespaces: []" in text and "\n  # namespaces: [customer-data, payments]" in text
    code, report = validate_json(root)
    assert report["summary"]["hubs"] == ["munich", "seattle"]
    assert not any(n.startswith(("hubs inferred", "not run")) for n in report.get("notes", []))


def test_every_key_of_the_starter_policy_is_explained(make_repo, hubguard):
    root = make_repo(REPO)
    hubguard("init", str(root))
    keys = [line for line in (root / ".hubguard.yaml").read_text().splitlines() if re.match(r"\s*[a-z_]+:", line)]
    assert len(keys) >= 15
    assert [line for line in keys if "#" not in line] == []


def test_init_refuses_to_overwrite(make_repo, hubguard):
    root = make_repo({**REPO, ".hubguard.yaml": "min_hubs: 3\n"})
    code, out, err = hubguard("init", str(root / "apps"))  # found upward, as validate finds it
    assert (code, out) == (2, "")
    assert err.strip() == f"hubguard: {root / '.hubguard.yaml'}: already exists; not overwritten (edit it, or remove it to start again)"
    assert (root / ".hubguard.yaml").read_text() == "min_hubs: 3\n"


def test_a_repository_without_hubs_gets_a_valid_policy_that_shows_how_to_declare_them(make_repo, hubguard, validate_json):
    root = make_repo({"guestbook/cm.yaml": CM})
    assert hubguard("init", str(root))[0] == 0
    text = (root / ".hubguard.yaml").read_text()
    assert "hubs: {}   # none found" in text and "#  seattle:\n#    roots: [clusters/seattle]" in text
    assert "traffic_routing: []" in text
    assert validate_json(root)[1]["summary"]["hubs"] == []


def test_init_on_a_missing_folder_is_a_usage_error(tmp_path, hubguard):
    code, _, err = hubguard("init", str(tmp_path / "nope"))
    assert code == 2 and "no such directory" in err


def test_init_finds_a_traffic_manager_profile_written_in_bicep(make_repo, hubguard):
    bicep = ("resource tm 'Microsoft.Network/trafficmanagerprofiles@2022-04-01' = {\n  name: 'tm'\n  properties: {\n"
             "    monitorConfig: { path: '/healthz' }\n    endpoints: [\n      { name: 'seattle' }\n      { name: 'munich' }\n    ]\n  }\n}\n")
    files = {**{k: v for k, v in REPO.items() if not k.endswith(".json")}, "infra/tm.bicep": bicep}
    root = make_repo(files)
    assert hubguard("init", str(root))[0] == 0
    assert "\ntraffic_routing: [azure-traffic-manager]   # users reach the hubs through the Traffic Manager profile in infra/tm.bicep\n" in (root / ".hubguard.yaml").read_text()
    code, out, err = hubguard("validate", str(root), "--select", "ha/traffic-routing")
    assert code == 0, out + err
