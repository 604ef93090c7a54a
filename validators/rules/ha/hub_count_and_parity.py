"""ha/hub-count and ha/hub-parity: the same application on enough independent hubs."""

from __future__ import annotations

from typing import Iterator

from hubguard.findings import Finding, Location, Severity
from hubguard.model import HubInventory
from hubguard.rules.ha.common import policy_location
from hubguard.rules.registry import Rule, RuleContext, Scope
from hubguard.rules.workloads import SERVING_KINDS

WorkloadKey = tuple[str, str | None, str]


def check_hub_count(ctx: RuleContext) -> Iterator[Finding]:
    policy = ctx.policy
    hubs = sorted(policy.hubs)
    if len(hubs) >= policy.min_hubs:
        return
    found = f"{len(hubs)} hub(s) ({', '.join(hubs)})" if hubs else "no hubs"
    origin = "declared in .hubguard.yaml" if policy.hubs_declared else "found under clusters/"
    at = policy_location(ctx.repo, "hubs") if policy.hubs_declared else policy_location(ctx.repo, "min_hubs")
    yield ctx.finding(
        f"{found} {origin}, the policy asks for at least {policy.min_hubs}: one hub is a single point of failure",
        at,
    )


def _hub_local(ctx: RuleContext) -> dict[WorkloadKey, set[str]]:
    """(kind, namespace, name) -> hubs it is declared local to; a namespace-less entry matches any."""
    declared: dict[WorkloadKey, set[str]] = {}
    for entry in ctx.policy.hub_local:
        key = (str(entry["kind"]), entry.get("namespace"), str(entry["name"]))
        declared.setdefault(key, set()).add(str(entry["hub"]))
    return declared


def _declared_hubs(declared: dict[WorkloadKey, set[str]], key: WorkloadKey) -> set[str]:
    kind, namespace, name = key
    return declared.get(key, set()) | declared.get((kind, None, name), set())


def deployed_workloads(hub: HubInventory, ctx: RuleContext) -> list[list]:
    """What hub-parity keeps of a hub: each workload's kind, namespace, name, reference and where
    its name is written (path, line, column)."""
    rows = []
    for obj in hub.of_kind(*SERVING_KINDS):
        at = obj.locate("metadata", "name")
        rows.append([obj.kind, obj.namespace, obj.name, obj.ref, at.path, at.line, at.column])
    return rows


def check_hub_parity(ctx: RuleContext) -> Iterator[Finding]:
    deployed = ctx.repo.summaries_of(ctx.rule.id)
    hubs = sorted(deployed)
    if len(hubs) < 2 or hubs != ctx.repo.hubs_in_run:
        # Nothing to compare (one hub, or `--hub` chose one); or not every hub of the run was
        # summarised (a run focused on a change renders every hub for this rule, or none).
        return
    where: dict[WorkloadKey, dict[str, list]] = {}
    for name in hubs:
        for row in deployed[name]:
            where.setdefault((row[0], row[1], row[2]), {})[name] = row
    declared = _hub_local(ctx)
    for key, present in sorted(where.items(), key=lambda item: (item[0][0], item[0][1] or "", item[0][2])):
        if len(present) == len(hubs) or set(present) <= _declared_hubs(declared, key):
            continue
        # The finding points at the definition (in a hub that has it) and is attributed to each hub
        # that lacks it: that is the hub whose users lose the workload on failover.
        kind, _, name, ref, path, line, column = present[min(present)]
        on = ", ".join(sorted(present))
        for missing in (h for h in hubs if h not in present):
            yield ctx.finding(
                f"{kind} {name} is deployed on {on} but not on {missing}: add it to {missing}'s "
                f"overlay, or declare it in hub_local of .hubguard.yaml if it belongs on {on} only",
                Location(path, line, column),
                hub=missing,
                obj=ref,
            )


HUB_COUNT = Rule(
    id="ha/hub-count",
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="The repository deploys to fewer hubs than the policy minimum (default 2).",
    doc="""The availability design runs the same application on at least two independent hubs behind a
DNS traffic manager, so that losing a whole hub (power, network, an Azure Stack Hub update gone
wrong) loses no service. Hubs are the `hubs:` of .hubguard.yaml; like the other cross-hub rules,
this one does not run on hubs inferred from `clusters/<hub>/` folders (a note says so), since only
the policy can say which clusters form the HA set (`hubguard init` writes a starter policy).

FAIL (.hubguard.yaml):

    hubs:
      seattle: {}

PASS:

    hubs:
      seattle: {backup_hub: munich}
      munich: {backup_hub: seattle}
""",
    remediation="""Add the second hub: `hubguard hub add munich` in a generated repository, or by hand a
`clusters/munich/` folder and an entry under `hubs:` in .hubguard.yaml:

    hubs:
      munich:
        roots: [clusters/munich]
        ingress_host: ratings.munich.example.local

Tune the threshold with the top-level `min_hubs: 3` in .hubguard.yaml (`min_hubs: 1` accepts a
single hub, for a lab).""",
    check=check_hub_count,
    cross_hub=True,
)

HUB_PARITY = Rule(
    id="ha/hub-parity",
    severity=Severity.ERROR,
    scope=Scope.FLEET,
    summary="A workload is deployed on some hubs but not on others.",
    doc="""Failover only works if the surviving hub runs everything the failed one ran. hubguard renders
each hub and compares the workloads (Deployments, StatefulSets, DaemonSets, ReplicaSets, by kind,
namespace and name) it receives. A workload present on some hubs and missing on others is a
finding for each hub that lacks it (`hub` names that hub), located at the workload's definition in
a hub that has it. A workload that belongs on one hub only is declared in the policy's
`hub_local:`, so that the exception is written down and reviewed, not silently allowed.

FAIL: `apps/seattle/kustomization.yaml` lists `site-survey.yaml`; `apps/munich/kustomization.yaml`
does not, and .hubguard.yaml does not mention it.

PASS (.hubguard.yaml):

    hub_local:
    - {hub: seattle, kind: Deployment, namespace: tools, name: site-survey}
""",
    remediation="""Add the workload to the other hubs' overlays (better: move it to the shared base), or, if it
really belongs on some hubs only, declare it in .hubguard.yaml:

    hub_local:
    - {hub: seattle, kind: Deployment, namespace: tools, name: site-survey}

(`namespace` may be omitted to match the name in any namespace.)""",
    check=check_hub_parity,
    cross_hub=True,
    summarise=deployed_workloads,
)

RULES = [HUB_COUNT, HUB_PARITY]
