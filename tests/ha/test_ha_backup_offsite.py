"""ha/backup-offsite: neither the policy nor a backup CronJob sends a hub's backups to itself."""

from __future__ import annotations

import pytest
from ha_support import dedent, line_of
from testkit import repo_from_files, run_rule

HUBS = {"seattle": {"onprem_cidrs": ["10.10.0.0/16"], "ingress_host": "ratings.seattle.example.local"},
        "munich": {"onprem_cidrs": ["10.20.0.0/16"], "ingress_host": "ratings.munich.example.local"}}


def cronjob(name: str = "mongodb-backup", *, label: str | None = None, pod_label: str | None = None,
            env: str = "s3://10.20.0.5:9000/backups", args: str = "--gzip") -> str:
    text = dedent(f"""
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: {name}
          namespace: ratings@LABELS@
        spec:
          schedule: "0 2 * * *"
          jobTemplate:
            spec:
              template:@POD_LABELS@
                spec:
                  restartPolicy: OnFailure
                  containers:
                  - name: dump
                    image: mongo:7
                    args: ["mongodump", "{args}"]
                    env:
                    - name: SOURCE
                      value: mongodb://mongodb.ratings.svc.cluster.local:27017
                    - name: DESTINATION
                      value: {env}
        """)
    labels = f"\n  labels: {{hubguard.io/backup-target: {label}}}" if label else ""
    pod_labels = f"\n        metadata: {{labels: {{hubguard.io/backup-target: {pod_label}}}}}" if pod_label else ""
    return text.replace("@LABELS@", labels).replace("@POD_LABELS@", pod_labels)


CASES = [
    # (id, CronJob YAML rendered for seattle, needle or None)
    ("label-other-hub", cronjob(label="munich"), None),
    ("label-self", cronjob(label="seattle"), "backup-target"),
    ("pod-template-label-self", cronjob(pod_label="seattle"), "backup-target"),
    ("destination-wins-over-label", cronjob(label="munich", env="s3://10.10.4.4/b"), "value: s3://10.10.4.4"),
    ("address-other-hub", cronjob(), None),
    ("address-own-cidr", cronjob(env="s3://10.10.4.4:9000/backups"), "value: s3://10.10.4.4"),
    ("address-in-args", cronjob(env="s3://backup.example.net/b", args="--host=10.10.0.9"), "args:"),
    ("own-ingress-host", cronjob(env="https://ratings.seattle.example.local/backup"), "value: https://ratings"),
    ("cluster-local-source-is-not-a-destination", cronjob(env="s3://10.20.0.5/b"), None),
    ("not-a-backup-job", cronjob("report-mailer", env="smtp://10.10.0.25"), None),
]


@pytest.mark.parametrize(("text", "needle"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_backup_jobs(text: str, needle: str | None) -> None:
    repo = repo_from_files({"apps/backup.yaml": text}, hubs={"seattle": ["apps/backup.yaml"], "munich": []}, policy={"hubs": HUBS})
    got = [(f.rule, f.path, f.line, f.hub) for f in run_rule("ha/backup-offsite", repo)]
    assert got == ([("ha/backup-offsite", "apps/backup.yaml", line_of(text, needle), "seattle")] if needle else [])


def test_policy_backup_hub_itself() -> None:
    text = dedent("""
        hubs:
          seattle:
            backup_hub: seattle
          munich:
            backup_hub: seattle
        """)
    policy = {"hubs": {"seattle": {"backup_hub": "seattle"}, "munich": {"backup_hub": "seattle"}}}
    repo = repo_from_files({".hubguard.yaml": text}, hubs={"seattle": [], "munich": []}, policy=policy)
    assert [(f.path, f.line, f.hub) for f in run_rule("ha/backup-offsite", repo)] == [
        (".hubguard.yaml", line_of(text, "backup_hub: seattle"), "seattle")]


def test_same_base_job_differs_per_hub() -> None:
    """The same rendered label is wrong on one hub only: the finding names that hub."""
    text = cronjob(label="munich")
    repo = repo_from_files({"b.yaml": text}, hubs={"seattle": ["b.yaml"], "munich": ["b.yaml"]}, policy={"hubs": HUBS})
    assert [(f.hub, f.object) for f in run_rule("ha/backup-offsite", repo)] == [("munich", "CronJob/ratings/mongodb-backup")]
