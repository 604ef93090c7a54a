"""Without hubs declared in .hubguard.yaml, hubs are inferred from `clusters/<hub>/` and named in a
note; per-object and per-hub rules run on them, the cross-hub rules do not (SPEC "Hubs, rendering
and classification")."""

from __future__ import annotations

from testkit import flux_kustomization

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: demo}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: registry.local/web:1.0.0}
"""
CROSS_HUB_NOTE = ("not run: ha/backup-offsite, ha/hub-count, ha/hub-parity, ha/traffic-routing: cross-hub rules need "
                  "the hubs declared in .hubguard.yaml (`hubguard init` writes one)")
STAGING_ONLY = {
    "clusters/staging/apps.yaml": flux_kustomization("./apps/staging"),
    "clusters/production/apps.yaml": flux_kustomization("./apps/production"),
    "apps/staging/kustomization.yaml": "resources:\n- deploy.yaml\n",
    "apps/staging/deploy.yaml": DEPLOY,
    "apps/production/kustomization.yaml": "resources: []\n",
}


def test_inferred_hubs_are_named_and_only_per_hub_rules_run(make_repo, validate_json):
    root = make_repo(STAGING_ONLY)
    code, report = validate_json(root, "--select", "ha/")
    assert report["summary"]["hubs"] == ["production", "staging"]
    assert report["notes"][:2] == [
        "hubs inferred from the folders under clusters/ (none declared in .hubguard.yaml): production, staging",
        CROSS_HUB_NOTE,
    ]
    # staging's single replica is found on the hub that receives it; that production lacks the
    # workload is no parity gap: nobody said staging and production are an HA pair.
    replicas = [(f["path"], f["line"], f["hub"]) for f in report["findings"] if f["rule"] == "ha/replicas"]
    assert replicas == [("apps/staging/deploy.yaml", 5, "staging")]
    assert not {f["rule"] for f in report["findings"]} & {"ha/hub-parity", "ha/hub-count", "ha/traffic-routing"}
    assert code == 1


def test_declared_hubs_run_the_cross_hub_rules(make_repo, validate_json):
    policy = "hubs:\n  staging: {}\n  production: {}\n"
    root = make_repo({**STAGING_ONLY, ".hubguard.yaml": policy})
    _, report = validate_json(root, "--select", "ha/hub-parity")
    assert [(f["rule"], f["path"], f["hub"]) for f in report["findings"]] == [
        ("ha/hub-parity", "apps/staging/deploy.yaml", "production")]
    assert not any("inferred" in n or "not run" in n for n in report.get("notes", []))


def test_no_hubs_at_all_is_a_note_not_a_hub_count_error(make_repo, validate_json):
    root = make_repo({"guestbook/deploy.yaml": DEPLOY})
    code, report = validate_json(root)
    assert report["summary"]["hubs"] == []
    assert not any(f["rule"].startswith("ha/") for f in report["findings"])
    assert report["notes"][:2] == [
        "no hubs: .hubguard.yaml declares none and there is no clusters/<hub>/ folder, so only the checks of "
        "files ran (no rendered objects)",
        CROSS_HUB_NOTE,
    ]


def test_a_selection_without_cross_hub_rules_needs_no_note_about_them(make_repo, validate_json):
    _, report = validate_json(make_repo(STAGING_ONLY), "--select", "secret/")
    assert CROSS_HUB_NOTE not in report.get("notes", [])
    assert report["notes"][0].startswith("hubs inferred from the folders under clusters/")
