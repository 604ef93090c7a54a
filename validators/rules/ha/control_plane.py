"""ha/control-plane: AKS Engine cluster definitions with a control plane and workers that survive a failure."""

from __future__ import annotations

from typing import Iterator

from hubguard.findings import Finding, Location, Severity
from hubguard.model import Document
from hubguard.rules.aks_engine import is_api_model
from hubguard.rules.ha.common import as_int, hub_of_path
from hubguard.rules.registry import Rule, RuleContext, Scope


def _hub_of(doc: Document, ctx: RuleContext, hubs: list[str]) -> str | None:
    by_path = hub_of_path(doc.path, ctx.repo, hubs)
    if by_path is not None:
        return by_path
    location = str(doc.data.get("location") or doc.data["properties"].get("location") or "").lower()
    matches = [h for h in hubs if location and (ctx.policy.hubs[h].location or "").lower() == location]
    return matches[0] if len(matches) == 1 else None


def check_control_plane(ctx: RuleContext) -> Iterator[Finding]:
    min_masters, min_workers = ctx.options["min_masters"], ctx.options["min_workers"]
    hubs = sorted(ctx.policy.hubs)
    for doc in ctx.repo.documents(containing="vlabs"):  # an API model's apiVersion
        if not (is_api_model(doc.data) and isinstance(doc.data["properties"].get("masterProfile"), dict)):
            continue
        hub = _hub_of(doc, ctx, hubs)
        if hub is not None and hub not in ctx.repo.hubs_in_run:
            continue  # `--hub` left that hub out of this run
        masters = as_int(doc.data["properties"]["masterProfile"].get("count"), 1)
        if masters is not None and (masters < min_masters or masters % 2 == 0):
            why = "an even count adds no failure tolerance over one fewer" if masters >= min_masters else "etcd loses quorum when one fails"
            line, column = doc.position("properties", "masterProfile", "count")
            yield ctx.finding(
                f"cluster definition has {masters} master(s): {why}; use an odd count of at least {min_masters}",
                Location(doc.path, line, column), hub=hub,
            )
        pools = doc.data["properties"].get("agentPoolProfiles")
        pools = pools if isinstance(pools, list) else []
        counts = [as_int(p.get("count"), 0) if isinstance(p, dict) else 0 for p in pools]
        if any(c is None for c in counts):
            continue  # a parameterised count cannot be judged
        workers = sum(counts)
        if workers < min_workers:
            path = ("properties", "agentPoolProfiles", 0, "count") if pools else ("properties", "masterProfile")
            line, column = doc.position(*path)
            yield ctx.finding(
                f"cluster definition has {workers} worker node(s) in its agent pools; at least {min_workers} "
                "are needed to drain one and keep serving",
                Location(doc.path, line, column), hub=hub,
            )


CONTROL_PLANE = Rule(
    id="ha/control-plane",
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="A cluster definition (AKS Engine API model) has fewer than 3 masters or an even count, or fewer than 2 workers.",
    doc="""Each hub's Kubernetes cluster must survive losing a node: the control plane's etcd needs a
majority of masters (so 3, 5 or 7; an even count tolerates no more failures than one fewer), and
the agent pools need at least two worker nodes so that one can be drained (patched, rebooted)
while the other serves. The rule reads AKS Engine API models (`"apiVersion": "vlabs"` with
`properties.masterProfile`, as deployed on Azure Stack Hub) anywhere in the repository; a
definition under `clusters/<hub>/`, under a hub's roots, or whose `location` is a hub's
`location` in .hubguard.yaml is reported for that hub.

FAIL (clusters/munich/aks-engine/apimodel.json):

    {"apiVersion": "vlabs",
     "properties": {
       "masterProfile": {"count": 2, "dnsPrefix": "munich", "vmSize": "Standard_D2_v2"},
       "agentPoolProfiles": [{"name": "linuxpool", "count": 1, "vmSize": "Standard_D2_v2"}]}}

PASS:

       "masterProfile": {"count": 3, ...},
       "agentPoolProfiles": [{"name": "linuxpool", "count": 3, ...}]
""",
    remediation="""Set `properties.masterProfile.count` to 3 (or 5) and give the agent pools at least 2 nodes in
total, then apply it with `aks-engine upgrade`/`scale` (a new cluster for the master count):

    "masterProfile": {"count": 3, "dnsPrefix": "munich", "vmSize": "Standard_D2_v2"},
    "agentPoolProfiles": [{"name": "linuxpool", "count": 3, "vmSize": "Standard_D4_v2"}]

Tune the thresholds in .hubguard.yaml: `rules: {ha/control-plane: {min_masters: 5, min_workers: 3}}`.
JSON has no comments: suppress with `rules: {ha/control-plane: {enabled: false}}` or `ignore_paths`.""",
    check=check_control_plane,
    options={
        "min_masters": {"type": "integer", "minimum": 1, "default": 3,
                        "description": "least masters; the count must also be odd"},
        "min_workers": {"type": "integer", "minimum": 1, "default": 2,
                        "description": "least worker nodes over all agent pools"},
    },
)

RULES = [CONTROL_PLANE]
