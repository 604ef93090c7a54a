"""pii/public-egress: egress allowed to PII workloads never leaves the cluster and the on-prem CIDRs."""

from __future__ import annotations

from typing import Iterator

from hubguard.findings import Finding, Severity
from hubguard.model import HubInventory, K8sObject
from hubguard.rules.pii.classification import PiiWorkload, pii_workloads
from hubguard.rules.pii.network_policy import (
    PeerKind,
    egress_for,
    egress_rules,
    peers_of,
)
from hubguard.rules.registry import Rule, RuleContext, Scope


def _policies_for_pii(hub: HubInventory, ctx: RuleContext) -> dict[int, tuple[K8sObject, list[PiiWorkload]]]:
    """Egress-restricting policies that select at least one PII workload, with those workloads."""
    policies = hub.of_kind("NetworkPolicy")
    found: dict[int, tuple[K8sObject, list[PiiWorkload]]] = {}
    for workload in pii_workloads(hub, ctx.policy.pii):
        for policy in egress_for(workload.namespace, workload.template.labels, policies).restricting:
            found.setdefault(id(policy), (policy, []))[1].append(workload)
    return found


def _who(workloads: list[PiiWorkload]) -> str:
    names = [w.ref for w in workloads]
    return names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more PII workload(s)"


def check(hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    onprem = ctx.policy.all_onprem_cidrs
    for policy, workloads in _policies_for_pii(hub, ctx).values():
        for rule in egress_rules(policy):
            if ctx.options["dns_is_cluster"] and rule.dns_only:
                continue  # resolver traffic (port 53) counts as in-cluster
            for peer in peers_of(rule):
                if peer.kind is PeerKind.ANYWHERE:
                    what = f"egress rule {rule.index} has no `to`, so it allows every destination"
                elif peer.kind is PeerKind.IP_BLOCK and not peer.within(onprem):
                    what = f"ipBlock {peer.cidr} lies outside the on-prem CIDRs of every hub"
                    if peer.excepts:
                        what += " (its `except` list does not make it on-prem)"
                else:
                    continue
                yield ctx.finding(
                    f"NetworkPolicy {policy.name} lets {_who(workloads)} send personal data off the premises: {what}",
                    policy.locate(*peer.path),
                    hub=hub.name,
                    obj=policy,
                    key=f"{policy.ref}:{'.'.join(map(str, peer.path))}",
                )


REMEDIATION = """Allow only in-cluster peers, DNS and the on-prem CIDRs declared for the hubs in
.hubguard.yaml (`hubs.<hub>.onprem_cidrs`; cross-hub replication over the site-to-site VPN is
on-prem traffic). A compliant policy for a PII namespace, ready to copy:

    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata:
      name: egress-onprem-only
      namespace: ratings
    spec:
      podSelector: {}              # every pod of the namespace
      policyTypes: [Egress]        # default-deny egress, then the allowances below
      egress:
      - ports:                     # DNS to the cluster resolver
        - {protocol: UDP, port: 53}
        - {protocol: TCP, port: 53}
      - to:                        # pods of the cluster (same or other namespaces)
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: ratings
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: monitoring
      - to:                        # on-prem networks only (must lie inside onprem_cidrs)
        - ipBlock:
            cidr: 10.10.0.0/16
        ports:
        - {protocol: TCP, port: 27017}

Replace `0.0.0.0/0` (or `::/0`) by the on-prem CIDRs; an `except` list does not make a wide block
safe. If an ipBlock is on-prem but not yet declared, add its CIDR to the hub's `onprem_cidrs`.
Option `dns_is_cluster` (default true) treats rules whose ports are all 53 as in-cluster; set it
to false in `rules: {pii/public-egress: {dns_is_cluster: false}}` to require DNS peers too. To
accept a finding, put `# hubguard: ignore[pii/public-egress] reason` on or above the line, or
annotate the NetworkPolicy `hubguard.io/ignore: "pii/public-egress"` with
`hubguard.io/ignore-reason` (a reason is required for pii/* rules)."""

RULE = Rule(
    id="pii/public-egress",
    severity=Severity.ERROR,
    scope=Scope.HUB,
    summary="A NetworkPolicy lets a PII workload reach destinations outside the cluster and the on-prem CIDRs.",
    doc="""Checks every egress rule of each NetworkPolicy that restricts the egress of a workload handling
personal data, per hub. Policies are additive, so one permissive rule anywhere opens the pod. A
rule with no `to` allows every destination; a `namespaceSelector`/`podSelector` peer stays in the
cluster; an `ipBlock` is allowed only when its CIDR (IPv4 or IPv6) lies within the on-prem CIDRs
declared for any hub — its `except` list does not make a wide block like `0.0.0.0/0` safe. Rules
whose ports are all DNS (53) are resolver traffic and count as in-cluster. The finding points at
the `cidr` line, or at the rule without `to`.

FAIL:

    spec:
      podSelector: {}
      policyTypes: [Egress]
      egress:
      - to:
        - ipBlock:
            cidr: 0.0.0.0/0
            except: [169.254.169.254/32]

PASS (10.10.0.0/16 is listed in a hub's onprem_cidrs):

    spec:
      podSelector: {}
      policyTypes: [Egress]
      egress:
      - to:
        - ipBlock: {cidr: 10.10.4.0/24}
        - namespaceSelector: {}
""",
    remediation=REMEDIATION,
    check=check,
    options={
        "dns_is_cluster": {
            "type": "boolean",
            "default": True,
            "description": "Rules whose ports are all 53 (DNS) count as in-cluster resolver traffic.",
        }
    },
)

RULES = [RULE]
