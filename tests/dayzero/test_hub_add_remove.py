"""`hubguard hub add` / `hub remove` on real generated repositories (kustomize, sops, git)."""

from __future__ import annotations

import json
import os
import stat

import pytest
import yaml
from dayzero_support import OSLO, commit_all, git, tracked

THREE_HUBS = [
    {"name": "seattle", "location": "westus2", "kubernetes_version": "1.34", "ingress_host": "ratings.seattle.corp.example",
     "onprem_cidrs": ["10.10.0.0/16"], "backup_hub": "munich", "portal_url": "https://portal.westus2.azurestack.corp.example/"},
    {"name": "munich", "location": "germanywestcentral", "kubernetes_version": "1.34",
     "ingress_host": "ratings.munich.corp.example", "onprem_cidrs": ["10.20.0.0/16"], "backup_hub": "seattle",
     "portal_url": "https://portal.germanywestcentral.azurestack.corp.example/"},
    # what `hub add oslo` fills in: seattle's Kubernetes version and Azure Stack Hub domain
    {"name": "oslo", "location": "norwayeast", "kubernetes_version": "1.34", "ingress_host": "ratings.oslo.corp.example",
     "onprem_cidrs": ["10.30.0.0/16"], "backup_hub": "seattle", "portal_url": "https://portal.norwayeast.azurestack.corp.example/"},
]
SEATTLE = "apps/ratings/overlays/seattle"
PATCH = """# Our team's patch: the web tier carries its owner.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ratings-web
  namespace: ratings
  annotations:
    team.corp.example/owner: ratings-team   # asked by the on-call rota
"""


def user_edits(repo):
    """Edits a user makes after generation, in files hub add must change and files it must not."""
    kustomization = repo / SEATTLE / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text() + "# Seattle runs our owner patch too.\npatches:\n  - path: owner-patch.yaml\n")
    (repo / SEATTLE / "owner-patch.yaml").write_text(PATCH)
    cross = repo / SEATTLE / "networkpolicy-cross-hub.yaml"
    cross.write_text(cross.read_text().replace("  policyTypes:", "  # Reviewed by the network team (change 4711).\n  policyTypes:", 1))
    policy = repo / ".hubguard.yaml"
    policy.write_text(policy.read_text().replace("    location: westus2\n", "    location: westus2   # the Redmond data centre\n")
                      + "# Ask the platform team before changing min_hubs.\n")
    traffic = repo / "global/traffic-manager.json"
    traffic.write_text(traffic.read_text().replace('"ttl": 30', '"ttl": 60'))
    readme = repo / "README.md"
    readme.write_text(readme.read_text() + "\n## Our notes\n\nOn-call: ratings-team.\n")
    commit_all(repo, "Our edits")


def test_add_a_third_hub_keeps_user_edits_and_validates_clean(repo_copy, hubguard, validate_json):
    repo = repo_copy()
    user_edits(repo)
    before = tracked(repo)
    code, out, err = hubguard("hub", "add", "oslo", *OSLO, "-C", str(repo), "--commit")
    assert (code, err) == (0, "")
    assert "created  clusters/oslo/flux-system/gotk-sync.yaml" in out
    assert "changed  apps/ratings/overlays/seattle/networkpolicy-cross-hub.yaml" in out
    assert "committed" in out
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "log", "-1", "--format=%s").strip() == "Add hub oslo (hubguard hub add)"
    after = tracked(repo)
    # Files the user owns are untouched, byte for byte; edited files keep every edit.
    for rel in (f"{SEATTLE}/kustomization.yaml", f"{SEATTLE}/owner-patch.yaml"):
        assert after[rel] == before[rel]
    assert "  # Reviewed by the network team (change 4711).\n  policyTypes:" in after[f"{SEATTLE}/networkpolicy-cross-hub.yaml"]
    assert "    location: westus2   # the Redmond data centre\n" in after[".hubguard.yaml"]
    assert after[".hubguard.yaml"].endswith("# Ask the platform team before changing min_hubs.\n")
    assert '"ttl": 60' in after["global/traffic-manager.json"]
    assert after["README.md"].endswith("## Our notes\n\nOn-call: ratings-team.\n")
    assert "| oslo | norwayeast |" in after["README.md"]
    # The new hub is everywhere the hub list matters.
    cross = list(yaml.safe_load_all(after[f"{SEATTLE}/networkpolicy-cross-hub.yaml"]))[0]["spec"]
    # munich's node network and site (generated), then oslo's (added to the edited file): each hub's
    # node network is its own /16 of the address space, the second and the third
    expected = ["10.241.0.0/20", "10.20.0.0/16", "10.242.0.0/20", "10.30.0.0/16"]
    assert [p["ipBlock"]["cidr"] for p in cross["egress"][0]["to"]] == expected
    assert [p["ipBlock"]["cidr"] for p in cross["ingress"][0]["from"]] == expected
    assert after[f"{SEATTLE}/networkpolicy-cross-hub.yaml"].startswith("# MongoDB traffic with the other hubs (munich, oslo)")
    profile = json.loads(after["global/traffic-manager.json"])["resources"][0]["properties"]
    assert [(e["name"], e["properties"]["priority"]) for e in profile["endpoints"]] == [("seattle", 1), ("munich", 2), ("oslo", 3)]
    policy = yaml.safe_load(after[".hubguard.yaml"])
    assert policy["hubs"]["oslo"]["backup_hub"] == "seattle"
    assert "oslo.corp.example" in policy["pii"]["onprem_domains"]
    sops_rules = yaml.safe_load(after[".sops.yaml"])["creation_rules"]
    assert [r["path_regex"] for r in sops_rules][-1] == r"^apps/ratings/overlays/oslo/.*\.sops\.yaml$"
    key = repo / ".age/oslo.agekey"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert ".age/oslo.agekey" not in after and "AGE-SECRET-KEY" not in "".join(after.values())
    assert sops_rules[-1]["age"] in key.read_text()
    for hub in ("seattle", "munich", "oslo"):
        code, out, err = hubguard("render", str(repo), "--hub", hub)
        assert code == 0, err
        assert "kind: NetworkPolicy" in out
    code, report = validate_json(repo)
    assert (code, report["findings"]) == (0, [])
    assert report["summary"]["hubs"] == ["munich", "oslo", "seattle"]

    # Removing it again gives back the two-hub repository with the user's edits.
    code, out, err = hubguard("hub", "remove", "oslo", "-C", str(repo), "--commit")
    assert (code, err) == (0, "")
    assert "deleted  clusters/oslo/flux-system/gotk-sync.yaml" in out
    assert tracked(repo) == before
    assert git(repo, "status", "--porcelain") == ""


def test_adding_a_hub_equals_generating_with_it(generated, repo_copy, hubguard):
    """Into an unedited repository, hub add writes exactly what `hubguard new` makes for three hubs."""
    answers = {"secrets_backend": "external-secrets-vault", "gitops_engine": "both"}
    # each hub runs one engine; oslo takes seattle's (the first hub's) unless told otherwise
    engines = [dict(hub, gitops_engine=engine) for hub, engine in zip(THREE_HUBS, ("flux", "argocd", "flux"))]
    repo = repo_copy(**answers, hubs=json.dumps(engines[:2]))
    code, _, err = hubguard("hub", "add", "oslo", *OSLO, "-C", str(repo))
    assert (code, err) == (0, "")
    assert tracked(repo) == tracked(generated(**answers, hubs=json.dumps(engines)))


def test_dirty_work_tree_is_a_dry_run(repo_copy, hubguard):
    repo = repo_copy()
    (repo / "README.md").write_text((repo / "README.md").read_text() + "uncommitted\n")
    code, out, err = hubguard("hub", "add", "oslo", *OSLO, "-C", str(repo), "--commit")
    assert (code, err) == (0, "")
    assert "dry run: the work tree has uncommitted changes" in out
    assert "+            \"name\": \"oslo\"," in out  # the diff of a changed file is shown
    assert not (repo / "clusters/oslo").exists() and not (repo / ".age/oslo.agekey").exists()
    assert git(repo, "status", "--porcelain") == " M README.md\n"


def test_without_commit_nothing_is_committed(repo_copy, hubguard):
    repo = repo_copy()
    head = git(repo, "rev-parse", "HEAD")
    code, out, _ = hubguard("hub", "add", "oslo", *OSLO, "-C", str(repo))
    assert code == 0 and "not committed" in out
    assert git(repo, "rev-parse", "HEAD") == head
    assert "?? clusters/oslo/" in git(repo, "status", "--porcelain")


@pytest.mark.parametrize(("args", "message"), [
    (["Oslo_1", *OSLO], "hub name 'Oslo_1' is not a DNS-1123 label"),
    (["munich", *OSLO], "hub munich already exists"),
    (["oslo", *OSLO[:5], "10.30.0.0/33"], "onprem_cidrs: '10.30.0.0/33' is not a valid network"),
    (["oslo", *OSLO[:5], "10.10.128.0/17"], "overlaps 10.10.0.0/16 of hub seattle"),
    (["oslo", *OSLO[:6], "--backup-hub", "paris"], "backup hub 'paris' is not one of the hubs"),
    (["oslo", *OSLO[:6], "--backup-hub", "oslo"], "backup hub 'oslo' is the hub itself"),
    (["oslo", *OSLO, "--kubernetes-version", "latest"], "kubernetes_version 'latest' must be"),
    (["oslo", *OSLO, "--kubernetes-version", "1.33"],  # AKS Engine creates it; the repository's Flux v2.9.4 does not support it
     "hub oslo: kubernetes_version 1.33 is not supported by Flux v2.9.4 (Flux 2.9 supports Kubernetes 1.34 to 1.36)"),
])
def test_add_refuses_bad_input_in_one_line_and_changes_nothing(repo_copy, hubguard, args, message):
    repo = repo_copy()
    code, out, err = hubguard("hub", "add", *args, "-C", str(repo))
    assert code == 2
    assert err.count("\n") == 1 and message in err, err
    assert git(repo, "status", "--porcelain") == ""
    assert sorted(p.name for p in (repo / ".age").iterdir()) == ["munich.agekey", "seattle.agekey"]


@pytest.mark.parametrize(("name", "min_hubs", "message"), [
    ("munich", 2, "refusing to remove hub munich: hubs seattle, oslo back up to it"),
    ("seattle", 2, "refusing to remove hub seattle: hub munich backs up to it; move its backups to another hub first"),
    ("oslo", 3, "refusing to remove hub oslo: 2 hub(s) would be left, at least 3 are needed"),
    ("paris", 2, "no hub 'paris'"),
])
def test_remove_refusals(repo_copy, hubguard, name, min_hubs, message):
    repo = repo_copy()
    code, _, err = hubguard("hub", "add", "oslo", *OSLO[:6], "--backup-hub", "munich", "-C", str(repo), "--commit")
    assert code == 0, err
    assert json.loads((repo / ".hubguard-template.json").read_text())["hubs"][2]["backup_hub"] == "munich"
    policy = repo / ".hubguard.yaml"
    policy.write_text(policy.read_text().replace("min_hubs: 2", f"min_hubs: {min_hubs}"))
    commit_all(repo, "min hubs")
    code, out, err = hubguard("hub", "remove", name, "-C", str(repo))
    assert code == 2
    assert err.count("\n") == 1 and message in err, err
    assert git(repo, "status", "--porcelain") == ""


def test_removing_a_middle_hub_equals_generating_without_it(generated, repo_copy, hubguard):
    """Priorities close up, the other hubs stop allowing its ranges, its domain leaves the policy;
    the user's edit of the traffic manager (a structured JSON edit) stays."""
    three = [dict(THREE_HUBS[0], backup_hub="oslo"), THREE_HUBS[1], THREE_HUBS[2]]
    answers = {"secrets_backend": "external-secrets-keyvault", "gitops_engine": "argocd",
               "azure_tenant_id": "0b5a1f4e-2c3d-4e5f-8a9b-0c1d2e3f4a5b"}
    repo = repo_copy(**answers, hubs=json.dumps(three))
    traffic = repo / "global/traffic-manager.json"
    traffic.write_text(traffic.read_text().replace('"ttl": 30', '"ttl": 60'))
    commit_all(repo, "Longer TTL")
    code, out, err = hubguard("hub", "remove", "munich", "-C", str(repo), "--commit")
    assert (code, err) == (0, ""), out
    # oslo keeps its address block (the third /16): a deployed cluster's networks never move
    expected = tracked(generated(**answers, hubs=json.dumps([three[0], dict(three[2], address_block="10.242.0.0/16")])))
    expected["global/traffic-manager.json"] = expected["global/traffic-manager.json"].replace('"ttl": 30', '"ttl": 60')
    assert tracked(repo) == expected


def test_geographic_routing_needs_and_gets_the_new_hubs_geo_mapping(repo_copy, hubguard, validate_json):
    two = [THREE_HUBS[0], dict(THREE_HUBS[1], geo_mapping=["GEO-EU"])]
    repo = repo_copy(traffic_routing="Geographic", hubs=json.dumps(two))
    code, _, err = hubguard("hub", "add", "oslo", *OSLO, "-C", str(repo))
    assert code == 2 and "hub oslo: traffic_routing Geographic needs geo_mapping" in err
    code, _, err = hubguard("hub", "add", "oslo", *OSLO, "--geo-mapping", "NO", "--geo-mapping", "SE", "-C", str(repo))
    assert (code, err) == (0, "")
    profile = json.loads((repo / "global/traffic-manager.json").read_text())["resources"][0]["properties"]
    assert [e["properties"]["geoMapping"] for e in profile["endpoints"]] == [["WORLD"], ["GEO-EU"], ["NO", "SE"]]
    assert '              "geoMapping": ["NO", "SE"],\n' in (repo / "global/traffic-manager.json").read_text()
    code, report = validate_json(repo)
    assert (code, report["findings"]) == (0, [])


def test_a_generated_record_follows_its_schema_and_a_damaged_one_is_refused_in_one_line(repo_copy, hubguard):
    from hubguard.generator.template_record import record_problem

    repo = repo_copy()
    record_path = repo / ".hubguard-template.json"
    record = json.loads(record_path.read_text())
    assert record_problem(record) is None
    assert [h["name"] for h in record["hubs"]] == ["seattle", "munich"] and all(h["age_recipient"].startswith("age1") for h in record["hubs"])
    damaged = {**record, "hubs": [{**record["hubs"][0], "name": "Seattle!"}, record["hubs"][1]]}
    record_path.write_text(json.dumps(damaged))
    commit_all(repo, "damage the record")
    code, out, err = hubguard("hub", "add", "oslo", *OSLO, "-C", str(repo))
    assert code == 2 and err.count("\n") == 1, err
    assert ".hubguard-template.json: hubs.0.name: 'Seattle!' does not match" in err and "restore it from git history" in err
    assert git(repo, "status", "--porcelain") == ""
