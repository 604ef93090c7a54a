"""Shared pieces of the ha/* rules: effective replicas, the workloads they apply to, policy positions."""

from __future__ import annotations

from dataclasses import dataclass

from hubguard.findings import Location
from hubguard.model import HubInventory, K8sObject, RepoContext
from hubguard.policy import POLICY_FILE

# Workloads with a replica count (DaemonSets run one pod per node; Jobs and CronJobs are batch).
REPLICATED_KINDS = ("Deployment", "StatefulSet")
HPA_KIND = "HorizontalPodAutoscaler"
# Below this an HPA is ha/hpa-min's finding (SPEC: "minReplicas below 2").
HPA_FLOOR = 2


@dataclass(frozen=True)
class Replicas:
    """How many pods a workload keeps at least, and which field says so."""

    count: int
    owner: K8sObject  # the workload itself, or the HPA that scales it
    path: tuple  # the field in `owner` that sets the count (may be absent: then it is the default)

    @property
    def from_hpa(self) -> bool:
        return self.owner.kind == HPA_KIND

    def locate(self) -> Location:
        return self.owner.locate(*self.path)

    def describe(self) -> str:
        if self.from_hpa:
            how = "minReplicas" if self.owner.get(*self.path) is not None else "minReplicas unset, so"
            return f"{how} {self.count} of HorizontalPodAutoscaler {self.owner.name}"
        how = "replicas" if self.owner.get(*self.path) is not None else "replicas unset, so"
        return f"{how} {self.count}"


def as_int(value: object, default: int) -> int | None:
    """An integer field as Kubernetes reads it; None when it is not a number (an unrendered
    `${VAR}`, say), so that rules do not guess."""
    if value is None:
        return default
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def governing_hpa(workload: K8sObject, hub: HubInventory) -> K8sObject | None:
    """The HPA in the workload's namespace whose scaleTargetRef names it (kind and name)."""
    for hpa in hub.in_namespace(workload.namespace, HPA_KIND):
        target = hpa.get("spec", "scaleTargetRef")
        if isinstance(target, dict) and target.get("kind") == workload.kind and target.get("name") == workload.name:
            return hpa
    return None


def effective_replicas(workload: K8sObject, hub: HubInventory) -> Replicas | None:
    """The workload's `replicas` (unset = 1), or the `minReplicas` (unset = 1) of the HPA that
    scales it: an HPA overrides `replicas`, so `replicas: 1` under an HPA of 3 is fine."""
    hpa = governing_hpa(workload, hub)
    if hpa is not None:
        count = as_int(hpa.get("spec", "minReplicas"), 1)
        return Replicas(count, hpa, ("spec", "minReplicas")) if count is not None else None
    count = as_int(workload.get("spec", "replicas"), 1)
    return Replicas(count, workload, ("spec", "replicas")) if count is not None else None


def replicated_workloads(hub: HubInventory, minimum: int) -> list[tuple[K8sObject, Replicas]]:
    """Deployments and StatefulSets that keep at least `minimum` pods (the ones that can be spread
    and protected by a PDB)."""
    out = []
    for workload in hub.of_kind(*REPLICATED_KINDS):
        replicas = effective_replicas(workload, hub)
        if replicas is not None and replicas.count >= minimum:
            out.append((workload, replicas))
    return out


def policy_location(repo: RepoContext, *path: object) -> Location | None:
    """Where `path` is written in the repository's `.hubguard.yaml` (the nearest ancestor present,
    else line 1); None when the repository has no policy file."""
    src = repo.file(POLICY_FILE)
    if src is None:
        return None
    if not src.documents:
        return Location(POLICY_FILE, 1, 1)
    doc = src.documents[0]
    line, column = doc.position(*path) if path else (1, 1)
    return Location(POLICY_FILE, line, column)


def hub_of_path(path: str, repo: RepoContext, hubs: list[str]) -> str | None:
    """The hub a repository file belongs to: under `clusters/<hub>/` (at any depth) or under one
    of the hub's declared roots."""
    parts = path.split("/")
    for index, part in enumerate(parts[:-1]):
        if part == "clusters" and index + 1 < len(parts) - 1 and parts[index + 1] in hubs:
            return parts[index + 1]
    for name in hubs:
        for root in repo.policy.hubs[name].roots:
            root = root.strip("/")
            if root and root != "." and path.startswith(root + "/"):
                return name
    return None
