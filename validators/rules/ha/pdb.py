"""ha/pdb: replicated workloads need a PodDisruptionBudget that still lets nodes drain."""

from __future__ import annotations

import math
from typing import Iterator

from hubguard.findings import Finding, Severity
from hubguard.model import HubInventory, K8sObject
from hubguard.rules.ha.common import replicated_workloads
from hubguard.rules.registry import Rule, RuleContext, Scope
from hubguard.rules.selectors import selector_matches
from hubguard.rules.workloads import pod_template


def covering_pdbs(workload: K8sObject, hub: HubInventory) -> list[K8sObject]:
    """PDBs in the workload's namespace whose selector matches its pod template labels."""
    template = pod_template(workload)
    if template is None:
        return []
    out = []
    for pdb in hub.in_namespace(workload.namespace, "PodDisruptionBudget"):
        # policy/v1: an empty selector selects every pod of the namespace; policy/v1beta1: none.
        empty_all = pdb.api_version != "policy/v1beta1"
        if selector_matches(pdb.get("spec", "selector"), template.labels, empty_matches_all=empty_all):
            out.append(pdb)
    return out


def scaled(value: object, replicas: int) -> int | None:
    """An int-or-percent field as the disruption controller reads it (percentages round up)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("%") and text[:-1].isdigit():
            return math.ceil(int(text[:-1]) * replicas / 100)
        if text.isdigit():
            return int(text)
    return None


def blocking_field(pdb: K8sObject, replicas: int) -> str | None:
    """The field that lets no pod be evicted, if any: maxUnavailable 0 / 0%, or minAvailable that
    covers every pod (>= the replicas, 100%, or a percentage that rounds up to all of them)."""
    max_unavailable = pdb.get("spec", "maxUnavailable")
    if max_unavailable is not None:
        return "maxUnavailable" if scaled(max_unavailable, replicas) == 0 else None
    min_available = scaled(pdb.get("spec", "minAvailable"), replicas)
    if min_available is not None and min_available >= replicas:
        return "minAvailable"
    return None


def check_pdb(hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    for workload, replicas in replicated_workloads(hub, ctx.options["min_replicas"]):
        pdbs = covering_pdbs(workload, hub)
        label = f"{workload.kind} {workload.name}"
        if not pdbs:
            yield ctx.finding(
                f"{label} runs {replicas.count} pods but no PodDisruptionBudget selects them: "
                "a node drain may evict all of them at once",
                workload.locate("metadata", "name"), hub=hub.name, obj=workload,
            )
            continue
        if len(pdbs) > 1:
            names = ", ".join(sorted(p.name for p in pdbs))
            yield ctx.finding(
                f"{label} is selected by several PodDisruptionBudgets ({names}); the eviction API refuses "
                "to evict such pods, so node drains hang",
                pdbs[1].locate("spec", "selector"), hub=hub.name, obj=workload,
            )
            continue
        pdb = pdbs[0]
        blocking = blocking_field(pdb, replicas.count)
        if blocking is not None:
            yield ctx.finding(
                f"PodDisruptionBudget {pdb.name} allows no disruption of {label} "
                f"({blocking}: {pdb.get('spec', blocking)} with {replicas.count} pods): node drains hang",
                pdb.locate("spec", blocking), hub=hub.name, obj=workload,
            )


PDB = Rule(
    id="ha/pdb",
    severity=Severity.ERROR,
    scope=Scope.HUB,
    summary="A workload with 2+ replicas has no PodDisruptionBudget, or its PDB allows no disruption at all.",
    doc="""Without a PodDisruptionBudget a node drain (kured reboots, cluster upgrades, Azure Stack Hub
patch and update runs) may evict every pod of a workload at once, so its replicas do not protect
it. A PDB covers a Deployment or StatefulSet when it is in the same namespace and its selector
(`matchLabels` and `matchExpressions`) matches the pod template labels. A PDB that allows no
disruption at all — `maxUnavailable: 0` or `0%`, `minAvailable` equal to or above the effective
replicas, or `100%` (percentages round up, as in the disruption controller) — is just as bad: the
drain hangs and the node is never patched. Pods selected by two PDBs cannot be evicted either.
Workloads with fewer than 2 effective replicas are ha/replicas' concern, not this rule's.

FAIL:

    apiVersion: policy/v1
    kind: PodDisruptionBudget
    metadata: {name: ratings-api}
    spec:
      minAvailable: 100%
      selector:
        matchExpressions:
        - {key: app, operator: In, values: [ratings-api]}

PASS:

    apiVersion: policy/v1
    kind: PodDisruptionBudget
    metadata: {name: ratings-api}
    spec:
      maxUnavailable: 1
      selector:
        matchLabels: {app: ratings-api}
""",
    remediation="""Add a PodDisruptionBudget next to the workload (same namespace, selector matching the pod
template labels) that allows at least one pod to go:

    apiVersion: policy/v1
    kind: PodDisruptionBudget
    metadata: {name: ratings-api, namespace: ratings}
    spec:
      maxUnavailable: 1
      selector:
        matchLabels: {app: ratings-api}

Tune from how many replicas a PDB is required in .hubguard.yaml:
`rules: {ha/pdb: {min_replicas: 3}}`.""",
    check=check_pdb,
    options={"min_replicas": {"type": "integer", "minimum": 2, "default": 2,
                              "description": "effective replicas from which a workload needs a PDB"}},
)

RULES = [PDB]
