"""ha/spread: replicas on one node (or one zone) fail together."""

from __future__ import annotations

from typing import Iterator

from hubguard.findings import Finding, Severity
from hubguard.model import HubInventory, K8sObject
from hubguard.rules.ha.common import replicated_workloads
from hubguard.rules.registry import Rule, RuleContext, Scope
from hubguard.rules.selectors import selector_matches
from hubguard.rules.workloads import pod_template

DEFAULT_KEYS = ["kubernetes.io/hostname", "topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"]


def _terms(pod_spec: dict) -> Iterator[dict]:
    """Pod anti-affinity terms, required and preferred alike: either keeps replicas apart."""
    anti = (pod_spec.get("affinity") or {}).get("podAntiAffinity") if isinstance(pod_spec.get("affinity"), dict) else None
    if not isinstance(anti, dict):
        return
    for term in anti.get("requiredDuringSchedulingIgnoredDuringExecution") or []:
        if isinstance(term, dict):
            yield term
    for weighted in anti.get("preferredDuringSchedulingIgnoredDuringExecution") or []:
        if isinstance(weighted, dict) and isinstance(weighted.get("podAffinityTerm"), dict):
            yield weighted["podAffinityTerm"]


def is_spread(workload: K8sObject, keys: list[str]) -> bool:
    """True when an anti-affinity term or a topology spread constraint on one of `keys` selects
    the workload's own pods (a selector that misses them spreads nothing)."""
    template = pod_template(workload)
    if template is None:
        return True
    spec = template.spec
    for term in _terms(spec):
        if term.get("topologyKey") in keys and selector_matches(term.get("labelSelector"), template.labels):
            return True
    for constraint in spec.get("topologySpreadConstraints") or []:
        if (isinstance(constraint, dict) and constraint.get("topologyKey") in keys
                and selector_matches(constraint.get("labelSelector"), template.labels)):
            return True
    return False


def check_spread(hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    keys = list(ctx.options["topology_keys"])
    for workload, replicas in replicated_workloads(hub, ctx.options["min_replicas"]):
        if is_spread(workload, keys):
            continue
        template = pod_template(workload)
        yield ctx.finding(
            f"{workload.kind} {workload.name} runs {replicas.count} pods with nothing keeping them apart: "
            "add a topology spread constraint or pod anti-affinity on kubernetes.io/hostname or a zone key "
            "whose selector matches the pods",
            workload.locate(*template.at("spec")) if template else workload.locate("metadata", "name"),
            hub=hub.name,
            obj=workload,
        )


SPREAD = Rule(
    id="ha/spread",
    severity=Severity.ERROR,
    scope=Scope.HUB,
    summary="A workload with 2+ replicas has no pod anti-affinity or topology spread constraint on hostname or zone.",
    doc="""The scheduler is free to put every replica on the same node; that node's failure or drain then
takes the whole workload down. Either of these keeps replicas apart, and either satisfies the rule:
a topology spread constraint, or a pod anti-affinity term (required or preferred), on
`kubernetes.io/hostname` or a zone key (`topology.kubernetes.io/zone`), whose label selector
matches the workload's own pod labels (`matchLabels` and `matchExpressions`).

FAIL:

    kind: Deployment
    spec:
      replicas: 3
      template:
        metadata: {labels: {app: ratings-web}}
        spec:
          containers: [...]

PASS (a spread constraint; no anti-affinity needed):

    spec:
      replicas: 3
      template:
        metadata: {labels: {app: ratings-web}}
        spec:
          topologySpreadConstraints:
          - maxSkew: 1
            topologyKey: kubernetes.io/hostname
            whenUnsatisfiable: ScheduleAnyway
            labelSelector: {matchLabels: {app: ratings-web}}
""",
    remediation="""Add to the pod template's spec (the reported line) a spread constraint or an anti-affinity
term whose selector matches the pod labels:

    affinity:
      podAntiAffinity:
        preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 100
          podAffinityTerm:
            topologyKey: kubernetes.io/hostname
            labelSelector:
              matchExpressions:
              - {key: app, operator: In, values: [ratings-web]}

Tune in .hubguard.yaml: from how many replicas spreading is required
(`rules: {ha/spread: {min_replicas: 3}}`) and which topology keys count
(`rules: {ha/spread: {topology_keys: [topology.kubernetes.io/zone]}}` to require zones).""",
    check=check_spread,
    options={
        "min_replicas": {"type": "integer", "minimum": 2, "default": 2,
                         "description": "effective replicas from which spreading is required"},
        "topology_keys": {"type": "array", "items": {"type": "string"}, "minItems": 1, "default": DEFAULT_KEYS,
                          "description": "node label keys that count as spreading"},
    },
)

RULES = [SPREAD]
