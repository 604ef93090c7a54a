"""pii/public-egress: egress allowed to PII workloads never leaves the cluster and the on-prem CIDRs."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator

from hubguard.findings import Finding, Severity
from hubguard.model import HubInventory, K8sObject
from hubguard.rules.addresses import describe_networks
from hubguard.rules.pii.classification import PiiWorkload, pii_workloads
from hubguard.rules.pii.network_policy import (
    EgressRule,
    Peer,
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


def _what(rule: EgressRule, peer: Peer, onprem: tuple[str, ...]) -> str | None:
    """What the peer lets out, in words; None when it stays in the cluster or on-prem."""
    outside = peer.outside(onprem)
    if outside == []:
        return None
    ports = rule.describe_ports()
    if peer.kind is PeerKind.ANYWHERE:
        return f"egress rule {rule.index} has no `to`, so it allows every destination on {ports}"
    if outside is None:
        return f"ipBlock {peer.cidr} is not a CIDR, so nobody can tell where it leads"
    block = f"ipBlock {peer.cidr}" + (f" except {', '.join(peer.excepts)}" if peer.excepts else "")
    return f"{block} still reaches {describe_networks(outside)} outside the on-prem CIDRs of every hub, on {ports}"


def check(hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    onprem = ctx.policy.all_onprem_cidrs
    for policy, workloads in _policies_for_pii(hub, ctx).values():
        for rule in egress_rules(policy):
            if not rule.reaches_outside:
                continue  # only named ports: they resolve on destination pods, never an outside address
            for peer in peers_of(rule):
                what = _what(rule, peer, onprem)
                if what is None:
                    continue
                resolver = ctx.options["dns_is_cluster"] and rule.dns_only
                message = (f"NetworkPolicy {policy.name} lets {_who(workloads)} send DNS queries off the premises, "
                           f"a channel out: {what}; restrict `to` to the cluster DNS or on-prem resolvers"
                           if resolver else
                           f"NetworkPolicy {policy.name} lets {_who(workloads)} send personal data off the premises: {what}")
                finding = ctx.finding(message, policy.locate(*peer.path), hub=hub.name, obj=policy,
                                      key=f"{policy.ref}:{'.'.join(map(str, peer.path))}")
                yield replace(finding, severity=Severity.WARNING) if resolver else finding


REMEDIATION = """Allow only in-cluster peers, DNS to the cluster resolver and the on-prem CIDRs declared
for the hubs in .hubguard.yaml (`hubs.<hub>.onprem_cidrs`; cross-hub replication over the
site-to-site VPN is on-prem traffic). A compliant policy for a PII namespace, ready to copy:

    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata:
      name: egress-onprem-only
      namespace: ratings
    spec:
      podSelector: {}              # every pod of the namespace
      policyTypes: [Egress]        # default-deny egress, then the allowances below
      egress:
      - to:                        # DNS to the cluster resolver only
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: kube-system
          podSelector:
            matchLabels:
              k8s-app: kube-dns
        ports:
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

Replace `0.0.0.0/0` (or `::/0`) by the on-prem CIDRs, or carve the off-prem part out with
`except` (the message lists what a block still reaches). If an ipBlock is on-prem but not yet
declared, add its CIDR to the hub's `onprem_cidrs`. Option `dns_is_cluster` (default true)
reports rules whose ports are all UDP/TCP 53 as a warning (a resolver channel) rather than an
error; set it to false in `rules: {pii/public-egress: {dns_is_cluster: false}}` to treat DNS like
any other port. To accept a finding, put `# hubguard: ignore[pii/public-egress] reason` on or
above the line, or annotate the NetworkPolicy `hubguard.io/ignore: "pii/public-egress"` with
`hubguard.io/ignore-reason` (a reason is required for pii/* rules)."""

RULE = Rule(
    id="pii/public-egress",
    severity=Severity.ERROR,
    scope=Scope.HUB,
    summary="A NetworkPolicy lets a PII workload reach destinations outside the cluster and the on-prem CIDRs.",
    doc="""Checks every egress rule of each NetworkPolicy that restricts the egress of a workload handling
personal data, per hub. Policies are additive, so one permissive rule anywhere opens the pod. A
rule with no `to` allows every destination; a `namespaceSelector`/`podSelector` peer stays in the
cluster; an `ipBlock` allows its CIDR minus its `except` CIDRs, computed exactly, and is fine when
all of that lies within the on-prem CIDRs declared for any hub (IPv4 or IPv6); otherwise the
message lists what remains reachable. Ports count too: a named port (`port: https`) is resolved
on the destination pod's containers, so it never matches an address outside the cluster. DNS is
UDP or TCP port 53 only (SCTP 53 is ordinary traffic); a DNS rule towards any address or a public
one is a channel out and reported as a warning until its `to` names the cluster DNS or on-prem
resolvers. The finding points at the `cidr` line, or at the rule without `to`.

FAIL:

    spec:
      podSelector: {}
      policyTypes: [Egress]
      egress:
      - to:
        - ipBlock:
            cidr: 0.0.0.0/0
            except: [169.254.169.254/32]   # still reaches the whole internet

FAIL (warning: DNS to any resolver can tunnel data out):

      egress:
      - ports:
        - {protocol: UDP, port: 53}

PASS (10.10.0.0/16 is listed in a hub's onprem_cidrs; the except removes the rest of 10.10.0.0/15):

    spec:
      podSelector: {}
      policyTypes: [Egress]
      egress:
      - to:
        - ipBlock: {cidr: 10.10.4.0/24}
        - ipBlock: {cidr: 10.10.0.0/15, except: [10.11.0.0/16]}
        - namespaceSelector: {}
      - ports:
        - {port: https}                  # named: only pods of the cluster can match it
""",
    remediation=REMEDIATION,
    check=check,
    options={
        "dns_is_cluster": {
            "type": "boolean",
            "default": True,
            "description": "Rules whose ports are all UDP/TCP 53 (DNS) are resolver traffic: a warning, not an error.",
        }
    },
)

RULES = [RULE]
