"""A starter `.hubguard.yaml` (`hubguard init`) from what discovery finds in a repository: the hubs
and their roots, a Traffic Manager profile, namespaces whose names suggest personal data. Every key
carries a comment saying what it does; guesses that need a human decision stay commented out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from hubguard.load.policy_file import discover_hub_folders
from hubguard.load.sources import SourceLoader, discover, helm_chart_dirs

# Words in a namespace name that suggest it holds personal data (a suggestion, never a decision).
_PERSONAL = re.compile(
    r"(?:^|[-_.])(pii|personal|gdpr|customers?|clients?|patients?|users?|members?|citizens?|employees?|staff|"
    r"payroll|payments?|billing|accounts?|identity|profiles?|crm|hr|health|medical)(?:[-_.]|$)"
)
_TRAFFIC_MANAGER = "microsoft.network/trafficmanagerprofiles"


@dataclass(frozen=True)
class Discovery:
    hubs: list[str]  # folders under clusters/
    traffic_manager: str | None  # a file defining a Traffic Manager profile
    personal_namespaces: list[str]  # namespaces named like they hold personal data


def discover_repository(root: Path) -> Discovery:
    paths, _ = discover(root)
    loader = SourceLoader(root, paths, helm_chart_dirs(paths))
    namespaces: set[str] = set()
    traffic_manager = None
    for src in loader.all():
        template = src.kind in ("json", "yaml") or src.path.endswith(".bicep")  # what ha/traffic-routing reads
        if traffic_manager is None and template and _TRAFFIC_MANAGER in (src.text or "").lower():
            traffic_manager = src.path
        for doc in src.documents:
            namespaces.update(_namespaces(doc.data))
    return Discovery(discover_hub_folders(root), traffic_manager, sorted(n for n in namespaces if _PERSONAL.search(n)))


def _namespaces(data: object) -> set[str]:
    if not isinstance(data, dict):
        return set()
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
    found = {meta.get("namespace"), spec.get("targetNamespace")}
    if data.get("kind") == "Namespace":
        found.add(meta.get("name"))
    return {n for n in found if isinstance(n, str) and n}


def starter_policy(found: Discovery) -> str:
    """The text of the starter policy: valid as it stands, every key explained."""
    out = [
        "# hubguard policy, written by `hubguard init` from what it found in this repository.",
        "# Review it: only you know which clusters serve the same application (an HA set of hubs) and",
        "# which namespaces hold personal data. `hubguard explain RULE_ID` documents each rule.",
        "",
        "min_hubs: 2   # fewer hubs than this is ha/hub-count: one hub is a single point of failure",
        "",
    ]
    out += _hubs(found.hubs)
    out.append("")
    if found.traffic_manager:
        out.append(f"traffic_routing: [azure-traffic-manager]   # users reach the hubs through the Traffic Manager "
                   f"profile in {found.traffic_manager}")
    else:
        out += ["traffic_routing: []   # how users reach the hubs; [azure-traffic-manager] demands a Traffic Manager",
                "                      # profile (ARM template) with an endpoint for every hub"]
    out += [
        "",
        "hub_local: []   # workloads meant for one hub only, e.g. {hub: seattle, kind: Deployment, namespace: tools, name: survey}",
        "",
        "pii:   # personal data stays on premises",
        "  label: hubguard.io/data-classification   # a namespace or pod template with this label and one of",
        "  values: [pii]                            # these values handles personal data",
        "  namespaces: []                           # namespaces that always hold personal data, labelled or not",
    ]
    if found.personal_namespaces:
        out.append(f"  # namespaces: [{', '.join(found.personal_namespaces)}]   # named like personal data: confirm, "
                   "then replace the line above")
    out += [
        "  onprem_domains: []                       # host names that never leave the premises (e.g. corp.example)",
        "",
        "schema:   # how objects are checked against their schemas (schema/invalid, schema/unknown-kind)",
        "  strict: true      # unknown fields are errors, as the API server drops or rejects them",
        "  crd_paths: []     # folders or files with more CRD schemas (CRD YAML, or <group>/<kind>_<version>.json)",
        "",
        "rules: {}   # per rule: severity, enabled, options, e.g. {ha/replicas: {min: 3}, ha/resources: {severity: warning}}",
        "",
        "ignore_paths: []   # glob patterns of files hubguard does not read, e.g. [\"docs/**\"]",
    ]
    return "\n".join(out) + "\n"


def _hubs(hubs: list[str]) -> list[str]:
    if not hubs:
        return [
            "hubs: {}   # none found (no clusters/<hub>/ folders); declare each hub and what it renders, e.g.",
            "#  seattle:",
            "#    roots: [clusters/seattle]",
        ]
    out = ["hubs:   # found: the folders under clusters/; keep only clusters that serve the same application"]
    for index, name in enumerate(hubs):
        other = hubs[(index + 1) % len(hubs)] if len(hubs) > 1 else "another-hub"
        out += [
            f"  {name}:   # from clusters/{name}/",
            f"    roots: [clusters/{name}]   # folders rendered for this hub (kustomize, Flux or Argo CD entry points)",
            "    # onprem_cidrs: [10.10.0.0/16]   # the hub's on-prem ranges: egress there is not public",
            '    # kubernetes_version: "1.30"     # schemas and API removals of this version (default: newest known)',
            '    # flux_version: "2.7"            # Flux API versions this Flux release still serves (default 2.7)',
            f"    # ingress_host: app.{name}.example.local   # its endpoint behind the traffic manager",
            f"    # backup_hub: {other}   # where this hub's backups go; never the hub itself",
        ]
    return out
