"""ha/resources: pods without requests are scheduled blindly and evicted first under pressure."""

from __future__ import annotations

from typing import Iterator

from hubguard.findings import Finding, Severity
from hubguard.model import HubInventory, K8sObject
from hubguard.rules.registry import Rule, RuleContext, Scope
from hubguard.rules.workloads import SERVING_KINDS, containers

RESOURCES = ("cpu", "memory")


def namespace_defaults(hub: HubInventory, namespace: str | None) -> set[str]:
    """Resources a LimitRange of the namespace fills in as default requests for containers: those
    are set on the pods when they are admitted, so the manifest need not repeat them."""
    filled: set[str] = set()
    for limit_range in hub.in_namespace(namespace, "LimitRange"):
        for limit in limit_range.get("spec", "limits", default=[]) or []:
            if isinstance(limit, dict) and limit.get("type", "Container") == "Container":
                # A default limit also becomes the request when no request is given.
                for key in ("defaultRequest", "default"):
                    if isinstance(limit.get(key), dict):
                        filled |= {str(k) for k in limit[key]}
    return filled


def _location_path(container: dict) -> tuple:
    resources = container.get("resources")
    if isinstance(resources, dict) and isinstance(resources.get("requests"), dict):
        return ("resources", "requests")
    if isinstance(resources, dict):
        return ("resources",)
    return ("name",)


def check_resources(hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    required = list(ctx.options["requests"])
    for workload in hub.of_kind(*SERVING_KINDS):
        defaults = namespace_defaults(hub, workload.namespace)
        yield from _check_workload(workload, required, defaults, hub, ctx)


def _check_workload(workload: K8sObject, required: list[str], defaults: set[str], hub: HubInventory,
                    ctx: RuleContext) -> Iterator[Finding]:
    for path, container in containers(workload):
        resources = container.get("resources") if isinstance(container.get("resources"), dict) else {}
        requests = resources.get("requests") if isinstance(resources.get("requests"), dict) else {}
        limits = resources.get("limits") if isinstance(resources.get("limits"), dict) else {}
        # A limit without a request makes the request equal to the limit (API server defaulting).
        missing = [r for r in required if r not in requests and r not in limits and r not in defaults]
        if not missing:
            continue
        name = container.get("name", "?")
        yield ctx.finding(
            f"container {name} of {workload.kind} {workload.name} has no {' and no '.join(missing)} request",
            workload.locate(*path, *_location_path(container)),
            hub=hub.name,
            obj=workload,
            key=f"{name}:{','.join(missing)}",
        )


RESOURCES_RULE = Rule(
    id="ha/resources",
    severity=Severity.ERROR,
    scope=Scope.HUB,
    summary="A container of a serving workload has no CPU or no memory request.",
    doc="""The scheduler places pods by their requests. Without them it packs pods onto nodes that cannot
run them, and under memory pressure the kubelet evicts pods without requests (BestEffort) first,
so a node that is merely busy takes replicas down. After a hub fails over, the surviving hub
must absorb the load: requests are how it knows whether it can. A request counts when set in
`resources.requests`, implied by `resources.limits` (the API server copies a limit into a missing
request), or filled in by a LimitRange of the namespace (`defaultRequest` or `default`).
Init containers, Jobs and CronJobs are not checked.

FAIL:

    containers:
    - name: ratings-web
      image: ratings-web:1.4.0
      resources:
        requests: {cpu: 100m}

PASS:

    containers:
    - name: ratings-web
      image: ratings-web:1.4.0
      resources:
        requests: {cpu: 100m, memory: 128Mi}
        limits: {memory: 256Mi}
""",
    remediation="""Add the missing requests to the container at the reported line, sized from what it uses
(`kubectl top pod`):

    resources:
      requests:
        cpu: 100m
        memory: 128Mi

Or give the namespace a LimitRange with `defaultRequest`. Tune which requests are required in
.hubguard.yaml: `rules: {ha/resources: {requests: [memory]}}`; many teams make it a warning:
`rules: {ha/resources: {severity: warning}}`.""",
    check=check_resources,
    options={"requests": {"type": "array", "items": {"type": "string"}, "uniqueItems": True,
                          "default": list(RESOURCES), "description": "resource requests every container must have"}},
)

RULES = [RESOURCES_RULE]
