"""ha/replicas, ha/hpa-min, ha/statefulset-quorum: enough pods to survive losing one."""

from __future__ import annotations

from typing import Iterator

from hubguard.findings import Finding, Severity
from hubguard.model import HubInventory
from hubguard.rules.ha.common import (
    HPA_FLOOR,
    HPA_KIND,
    REPLICATED_KINDS,
    as_int,
    effective_replicas,
)
from hubguard.rules.registry import Rule, RuleContext, Scope


def check_replicas(hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    minimum = ctx.options["min"]
    for workload in hub.of_kind(*REPLICATED_KINDS):
        replicas = effective_replicas(workload, hub)
        if replicas is None or replicas.count >= minimum:
            continue
        if replicas.from_hpa and replicas.count < HPA_FLOOR:
            # ha/hpa-min reports this HPA at this very line: one problem, one finding.
            continue
        yield ctx.finding(
            f"{workload.kind} {workload.name} keeps only {replicas.count} pod(s) ({replicas.describe()}); "
            f"at least {minimum} are needed to survive a node drain or crash",
            replicas.locate(),
            hub=hub.name,
            obj=workload,
        )


def check_hpa_min(hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    minimum = ctx.options["min"]
    for hpa in hub.of_kind(HPA_KIND):
        count = as_int(hpa.get("spec", "minReplicas"), 1)
        if count is None or count >= minimum:
            continue
        unset = "" if hpa.get("spec", "minReplicas") is not None else " (unset means 1)"
        yield ctx.finding(
            f"HorizontalPodAutoscaler {hpa.name} may scale down to {count} pod(s){unset}; set minReplicas to at least {minimum}",
            hpa.locate("spec", "minReplicas"),
            hub=hub.name,
            obj=hpa,
        )


def check_quorum(hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    minimum = ctx.options["min"]
    for sts in hub.of_kind("StatefulSet"):
        replicas = effective_replicas(sts, hub)
        if replicas is None:
            continue
        if replicas.count >= minimum and replicas.count % 2 == 1:
            continue
        why = (f"an even count ({replicas.count}) tolerates no more failures than {replicas.count - 1} and can split the vote"
               if replicas.count >= minimum else f"{replicas.count} member(s) cannot keep a majority when one fails")
        yield ctx.finding(
            f"StatefulSet {sts.name} runs {replicas.count} member(s) ({replicas.describe()}): {why}; "
            f"use an odd count of at least {minimum}",
            replicas.locate(),
            hub=hub.name,
            obj=sts,
        )


REPLICAS = Rule(
    id="ha/replicas",
    severity=Severity.ERROR,
    scope=Scope.HUB,
    summary="A Deployment or StatefulSet keeps fewer than 2 pods (its replicas, or its HPA's minReplicas).",
    doc="""A workload with one pod is down whenever that pod is: during every node drain (kured reboots,
upgrades), every eviction and every crash. The count that matters is the effective minimum:
`spec.replicas` (unset means 1), unless a HorizontalPodAutoscaler in the same namespace targets the
workload (`scaleTargetRef` kind and name), in which case the HPA's `minReplicas` (unset means 1)
counts and `replicas` is ignored. The check runs on what each hub receives: a base with 3 replicas
that one hub's overlay patches down to 1 is a finding for that hub only, pointing at the patch.
When the governing HPA itself has `minReplicas` below 2, ha/hpa-min reports it (once, on the HPA).

FAIL:

    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: ratings-api}
    spec:
      replicas: 1

PASS (replicas: 1 is fine: the HPA keeps at least 3):

    kind: Deployment
    metadata: {name: ratings-api}
    spec:
      replicas: 1
    ---
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata: {name: ratings-api}
    spec:
      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: ratings-api}
      minReplicas: 3
      maxReplicas: 10
""",
    remediation="""Raise `spec.replicas` (or the HPA's `minReplicas`) at the reported line; if the line is in a
hub overlay patch, fix the patch rather than the base:

    # apps/munich/replicas-patch.yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: ratings-api}
    spec:
      replicas: 2

Tune the threshold in .hubguard.yaml: `rules: {ha/replicas: {min: 3}}`. A workload that must run
as a singleton (a leader-elected controller, say) is suppressed with
`# hubguard: ignore[ha/replicas] singleton by design` above its `replicas:` line.""",
    check=check_replicas,
    options={"min": {"type": "integer", "minimum": 1, "default": 2,
                     "description": "least effective replicas a Deployment/StatefulSet must keep"}},
)

HPA_MIN = Rule(
    id="ha/hpa-min",
    severity=Severity.ERROR,
    scope=Scope.HUB,
    summary="A HorizontalPodAutoscaler has minReplicas below 2 (unset means 1).",
    doc="""An HPA overrides the replica count of the workload it scales: at night, or whenever load is
low, it scales down to `minReplicas`. With 1 (the default when the field is unset) the workload is
a single pod most of the time, and is down during every node drain or crash.

FAIL:

    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata: {name: ratings-web}
    spec:
      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: ratings-web}
      maxReplicas: 10          # minReplicas unset: 1

PASS:

    spec:
      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: ratings-web}
      minReplicas: 2
      maxReplicas: 10
""",
    remediation="""Set `spec.minReplicas` to 2 or more at the reported line:

    spec:
      minReplicas: 2

Tune the threshold in .hubguard.yaml: `rules: {ha/hpa-min: {min: 3}}`.""",
    check=check_hpa_min,
    options={"min": {"type": "integer", "minimum": 1, "default": 2,
                     "description": "least minReplicas an HPA must keep"}},
)

QUORUM = Rule(
    id="ha/statefulset-quorum",
    severity=Severity.ERROR,
    scope=Scope.HUB,
    summary="A StatefulSet (a quorum store such as a MongoDB replica set) runs fewer than 3 members or an even count.",
    doc="""Replicated stores (MongoDB replica sets, etcd, ZooKeeper, Kafka KRaft) elect a primary by
majority. Two members cannot keep a majority when one fails, and an even count tolerates no more
failures than the odd count below it while adding a way to split the vote. The count is the
effective one (`replicas`, or the `minReplicas` of an HPA scaling the StatefulSet).

FAIL:

    apiVersion: apps/v1
    kind: StatefulSet
    metadata: {name: mongodb}
    spec:
      replicas: 2

PASS:

    spec:
      replicas: 3
""",
    remediation="""Use an odd number of members, at least 3, at the reported line:

    spec:
      replicas: 3

Tune the threshold in .hubguard.yaml: `rules: {ha/statefulset-quorum: {min: 5}}`. A StatefulSet that
is not a quorum store (a single-writer cache, say) is suppressed with
`# hubguard: ignore[ha/statefulset-quorum] not a quorum store` above its `replicas:` line.""",
    check=check_quorum,
    options={"min": {"type": "integer", "minimum": 1, "default": 3,
                     "description": "least members; the count must also be odd"}},
)

RULES = [REPLICAS, HPA_MIN, QUORUM]
