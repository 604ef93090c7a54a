"""ha/backup-offsite on real rendered repositories: the destination decides (IPv4, IPv6, host names
attributed to a hub by its ingress host, its domain or pii.onprem_domains), a label that contradicts
it is a finding, and a `${HUB}`-labelled job is one finding for the hubs where it holds."""

from __future__ import annotations

import pytest
from ha_support import dedent, line_of
from testkit import flux_hub_repo

HUBS = {
    "seattle": {"onprem_cidrs": ["10.10.0.0/16", "fd00:10::/32"], "ingress_host": "ratings.seattle.corp.example"},
    "munich": {"onprem_cidrs": ["10.20.0.0/16", "fd00:20::/32"], "ingress_host": "ratings.apps.munich.example"},
    "paris": {"onprem_cidrs": ["10.30.0.0/16"], "ingress_host": "ratings.paris.corp.example"},
}
POLICY = {"pii": {"onprem_domains": ["corp.example", "munich.example"]}}


def cronjob(label: str | None, target: str, source: str = "mongodb://mongodb.ratings.svc.cluster.local:27017") -> str:
    labels = f"\n  labels:\n    hubguard.io/backup-target: {label}" if label else ""
    text = dedent(f"""
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: mongodb-backup
          namespace: ratings@LABELS@
        spec:
          schedule: "15 2 * * *"
          jobTemplate:
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers:
                  - name: backup
                    image: mongo:7
                    env:
                    - name: SOURCE_URI
                      value: {source}
                    - name: TARGET_URI
                      value: {target}
        """)
    return text.replace("@LABELS@", labels)


def run(make_repo, validate_json, base: dict, overlays: dict | None = None) -> list[dict]:
    files = flux_hub_repo(base, hubs=HUBS, overlays=overlays, policy=POLICY)
    _, report = validate_json(make_repo(files), "--select", "ha/backup-offsite")
    return report["findings"]


# (id, label, TARGET_URI, SOURCE_URI or None, needle of the reported line or None, words of the message)
CASES = [
    ("ipv4-own-cidr", "munich", "mongodb://10.10.4.4:27017/backup", None, "value: mongodb://10.10",
     ["10.10.4.4", "seattle's onprem_cidrs 10.10.0.0/16", "label hubguard.io/backup-target: munich says otherwise"]),
    ("ipv4-other-hub", "munich", "mongodb://10.20.0.5:27017/backup", None, None, []),
    ("ipv6-own-cidr", None, "mongodb://[fd00:10::5]:27017/backup", None, "value: mongodb://[fd00:10",
     ["fd00:10::5", "seattle's onprem_cidrs fd00:10::/32"]),
    ("ipv6-other-hub", "munich", "mongodb://[fd00:20::5]:27017/backup", None, None, []),
    ("host-under-own-domain", "munich", "https://backup.seattle.corp.example/upload", None, "value: https://backup",
     ["backup.seattle.corp.example", "seattle's domain seattle.corp.example"]),
    ("own-ingress-host", None, "https://ratings.seattle.corp.example/backup", None, "value: https://ratings",
     ["seattle's domain"]),
    ("host-under-other-hubs-onprem-domain", "munich", "s3://store.munich.example/backups", None, None, []),
    ("shared-onprem-domain-names-no-hub", "munich", "s3://store.corp.example/backups", None, None, []),
    ("label-self-destination-elsewhere", "seattle", "mongodb://10.20.0.5:27017/backup", None,
     "hubguard.io/backup-target: seattle", ["targets the hub it backs up", "10.20.0.5", "fix the label"]),
    ("label-contradicts-destination", "munich", "s3://store.paris.corp.example/b", None,
     "hubguard.io/backup-target: munich", ["labelled hubguard.io/backup-target: munich", "paris's domain"]),
    ("label-self-no-destination", "seattle", "s3://backups.example.net/b", None,
     "hubguard.io/backup-target: seattle", ["targets the hub it backs up"]),
    ("source-is-not-a-destination", "munich", "mongodb://10.20.0.5/backup", "mongodb://10.10.4.4:27017", None, []),
]


@pytest.mark.parametrize(("label", "target", "source", "needle", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_destination_decides(make_repo, validate_json, label, target, source, needle, words):
    job = cronjob(label, target, *([source] if source else []))
    findings = run(make_repo, validate_json, {"ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ratings\n"},
                   {"seattle": {"backup.yaml": job}})
    assert [(f["path"], f["line"], f["hub"]) for f in findings] == (
        [("apps/seattle/backup.yaml", line_of(job, needle), "seattle")] if needle else [])
    for word in words:
        assert word in findings[0]["message"]


def test_onprem_domain_attributes_a_host_to_its_hub(make_repo, validate_json):
    """munich.example holds munich's ingress host and no other hub's: a host under it is munich's."""
    job = cronjob("seattle", "s3://store.munich.example/backups")
    findings = run(make_repo, validate_json, {"ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ratings\n"},
                   {"munich": {"backup.yaml": job}})
    assert [(f["path"], f["line"], f["hub"]) for f in findings] == [("apps/munich/backup.yaml", line_of(job, "value: s3://"), "munich")]
    assert "munich's domain munich.example" in findings[0]["message"]


LABEL_PATCH = "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: mongodb-backup\n  namespace: ratings\n  labels:\n    hubguard.io/backup-target: seattle\n"


@pytest.mark.parametrize(
    ("overlays", "hubs"),
    [
        ({}, [None]),  # `${HUB}` on every hub: one finding, hub null
        ({"paris": {"patch-label.yaml": LABEL_PATCH}}, ["munich", "seattle"]),  # paris fixed: the other two, each named
    ],
    ids=["every-hub", "some-hubs"],
)
def test_hub_substituted_label_is_one_finding_per_place(make_repo, validate_json, overlays, hubs):
    job = cronjob("${HUB}", "s3://backups.example.net/b")
    findings = run(make_repo, validate_json, {"backup.yaml": job}, overlays)
    assert [(f["path"], f["line"], f["hub"]) for f in findings] == [
        ("apps/base/backup.yaml", line_of(job, "backup-target: ${HUB}"), hub) for hub in hubs]
    if hubs == [None]:
        message = findings[0]["message"]
        assert all(f"on {hub}:" in message and f"backup-target: {hub})" in message for hub in HUBS)
    else:
        assert [f"backup-target: {hub})" in f["message"] for f, hub in zip(findings, hubs)] == [True, True]
