"""ha/probes: without probes, Kubernetes sends traffic to pods that are not ready and keeps hung ones."""

from __future__ import annotations

from typing import Iterator

from hubguard.findings import Finding, Severity
from hubguard.model import HubInventory
from hubguard.rules.registry import Rule, RuleContext, Scope
from hubguard.rules.workloads import SERVING_KINDS, containers

PROBES = ("readinessProbe", "livenessProbe")


def check_probes(hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    required = list(ctx.options["probes"])
    # Jobs and CronJobs run to completion: no traffic to gate, nothing to restart.
    for workload in hub.of_kind(*SERVING_KINDS):
        for path, container in containers(workload):  # init containers finish before traffic flows
            missing = [p for p in required if not isinstance(container.get(p), dict)]
            if not missing:
                continue
            name = container.get("name", "?")
            yield ctx.finding(
                f"container {name} of {workload.kind} {workload.name} has no {' and no '.join(missing)}",
                workload.locate(*path, "name"),
                hub=hub.name,
                obj=workload,
                key=f"{name}:{','.join(missing)}",
            )


PROBES_RULE = Rule(
    id="ha/probes",
    severity=Severity.ERROR,
    scope=Scope.HUB,
    summary="A container of a Deployment, StatefulSet, DaemonSet or ReplicaSet lacks a readiness or a liveness probe.",
    doc="""A readiness probe keeps a Service (and the traffic manager's health probe behind it) from sending
requests to a pod that is starting or overloaded; during a rolling update without one, clients
see errors. A liveness probe restarts a container that hangs without exiting. Every container
needs both; init containers are excluded (they finish before the pod serves), and so are Jobs and
CronJobs (they run to completion).

FAIL:

    containers:
    - name: ratings-api
      image: ratings-api:1.4.0
      readinessProbe:
        httpGet: {path: /healthz, port: 3000}

PASS:

    containers:
    - name: ratings-api
      image: ratings-api:1.4.0
      readinessProbe:
        httpGet: {path: /healthz, port: 3000}
      livenessProbe:
        httpGet: {path: /healthz, port: 3000}
        failureThreshold: 6
""",
    remediation="""Add the missing probe to the container at the reported line:

    livenessProbe:
      httpGet: {path: /healthz, port: 3000}
      periodSeconds: 10
      failureThreshold: 6

Tune which probes are required in .hubguard.yaml: `rules: {ha/probes: {probes: [readinessProbe]}}`
requires readiness only. A sidecar that has no endpoint to probe is suppressed with
`# hubguard: ignore[ha/probes] no endpoint` above its `- name:` line.""",
    check=check_probes,
    options={"probes": {"type": "array", "items": {"enum": list(PROBES)}, "uniqueItems": True,
                        "default": list(PROBES), "description": "probes every container must have"}},
)

RULES = [PROBES_RULE]
