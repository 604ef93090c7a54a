"""ha/probes: readiness and liveness for every container; init containers and batch jobs excluded."""

from __future__ import annotations

import pytest
from ha_support import dedent, findings_of, line_of

READY = "readinessProbe: {httpGet: {path: /ready, port: 8080}}"
LIVE = "livenessProbe: {httpGet: {path: /live, port: 8080}}"


def workload(kind: str, container_probes: list[str], *, init: str = "", sidecar_probes: list[str] | None = None) -> str:
    def container(name: str, probes: list[str]) -> str:
        lines = [f"- name: {name}", f"  image: example/{name}:1.0", *(f"  {p}" for p in probes)]
        return "\n".join(lines) + "\n"

    pod = ""
    if init:
        pod += "initContainers:\n" + container(init, [])
    pod += "containers:\n" + container("app", container_probes)
    if sidecar_probes is not None:
        pod += container("sidecar", sidecar_probes)
    pod_yaml = "".join(f"      {line}\n" for line in pod.splitlines())
    head = f"apiVersion: apps/v1\nkind: {kind}\nmetadata: {{name: shop, namespace: shop}}\nspec:\n"
    if kind == "CronJob":
        return (head.replace("apps/v1", "batch/v1") + "  schedule: '@daily'\n  jobTemplate:\n    spec:\n      template:\n"
                "        spec:\n" + "".join(f"    {line}\n" for line in pod_yaml.splitlines()))
    if kind == "Job":
        return head.replace("apps/v1", "batch/v1") + "  template:\n    spec:\n" + pod_yaml
    return head + "  template:\n    metadata: {labels: {app: shop}}\n    spec:\n" + pod_yaml


CASES = [
    ("both", "Deployment", [READY, LIVE], {}, []),
    ("no-liveness", "Deployment", [READY], {}, ["- name: app"]),
    ("no-readiness", "StatefulSet", [LIVE], {}, ["- name: app"]),
    ("none", "DaemonSet", [], {}, ["- name: app"]),
    ("init-container-excluded", "Deployment", [READY, LIVE], {"init": "migrate"}, []),
    ("each-container-checked", "Deployment", [READY, LIVE], {"sidecar_probes": [READY]}, ["- name: sidecar"]),
    ("two-containers-two-findings", "Deployment", [], {"sidecar_probes": []}, ["- name: app", "- name: sidecar"]),
    ("job-excluded", "Job", [], {}, []),
    ("cronjob-excluded", "CronJob", [], {}, []),
]


@pytest.mark.parametrize(("kind", "probes", "extra", "needles"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_probes(kind: str, probes: list[str], extra: dict, needles: list[str]) -> None:
    text = workload(kind, probes, **extra)
    assert findings_of("ha/probes", {"w.yaml": text}) == [("ha/probes", "w.yaml", line_of(text, n)) for n in needles]


def test_readiness_only_policy() -> None:
    text = workload("Deployment", [READY])
    assert findings_of("ha/probes", {"w.yaml": text}, policy={"rules": {"ha/probes": {"probes": ["readinessProbe"]}}}) == []


def test_message_names_the_missing_probe() -> None:
    from testkit import repo_from_files, run_rule

    (finding,) = run_rule("ha/probes", repo_from_files({"w.yaml": workload("Deployment", [READY])}))
    assert "container app of Deployment shop has no livenessProbe" == finding.message


def test_helper_builds_what_it_says() -> None:
    assert dedent(workload("Deployment", [READY])).count("readinessProbe") == 1


@pytest.mark.parametrize("kind", ["Job", "CronJob", "Deployment"])
def test_excluded_kinds_really_have_containers(kind: str) -> None:
    """Guards the exclusion cases above: they pass because of the kind, not a broken fixture."""
    from hubguard.rules.workloads import containers
    from testkit import repo_from_files

    repo = repo_from_files({"w.yaml": workload(kind, [])})
    (obj,) = repo.hubs["a"].objects
    assert [c["name"] for _, c in containers(obj)] == ["app"]
