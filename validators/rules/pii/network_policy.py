"""NetworkPolicy egress, evaluated as Kubernetes applies it — no rule logic here.

- Policies are additive: a pod's allowed egress is the union of the egress rules of every policy
  that selects it (its namespace, `podSelector`; `{}` selects every pod of the namespace).
- A pod's egress is restricted only when at least one selecting policy has `Egress` in
  `policyTypes`, or has `egress` rules and no `policyTypes` (the API server then defaults
  policyTypes to Ingress plus Egress). A policy with `policyTypes: [Ingress]` ignores its egress.
- A rule with no `to` (or an empty one) allows every destination on its ports; a peer with a
  `namespaceSelector` and/or `podSelector` is a pod of the cluster; an `ipBlock` is a CIDR whose
  `except` list carves holes but never makes the block smaller than its CIDR for our purposes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Iterable

from hubguard.model import K8sObject
from hubguard.rules.addresses import cidr_within
from hubguard.rules.selectors import selector_matches

DNS_PORT = 53
# CoreDNS and kube-dns name their container ports like this; NetworkPolicies may use the names.
DNS_PORT_NAMES = ("dns", "dns-tcp")


class PeerKind(str, enum.Enum):
    ANYWHERE = "anywhere"  # a rule with no `to`
    CLUSTER = "cluster"  # namespaceSelector / podSelector
    IP_BLOCK = "ipBlock"


@dataclass(frozen=True)
class EgressRule:
    policy: K8sObject
    index: int
    rule: dict

    @property
    def path(self) -> tuple:
        return ("spec", "egress", self.index)

    @property
    def ports(self) -> list:
        ports = self.rule.get("ports")
        return ports if isinstance(ports, list) else []

    @property
    def dns_only(self) -> bool:
        """Every port of the rule is DNS (53, or CoreDNS's named ports): resolver traffic."""
        return bool(self.ports) and all(_is_dns_port(p) for p in self.ports)


@dataclass(frozen=True)
class Peer:
    """One destination an egress rule allows."""

    rule: EgressRule
    kind: PeerKind
    index: int | None = None  # position in `to`; None for a rule without `to`
    cidr: str | None = None
    excepts: tuple[str, ...] = ()

    @property
    def path(self) -> tuple:
        """Where to point: the ipBlock's cidr, the peer, or the whole rule when it has no `to`."""
        if self.index is None:
            return self.rule.path
        if self.kind is PeerKind.IP_BLOCK:
            return self.rule.path + ("to", self.index, "ipBlock", "cidr")
        return self.rule.path + ("to", self.index)

    def within(self, onprem_cidrs: Iterable[str]) -> bool:
        """Only meaningful for ipBlocks: the whole CIDR (ignoring `except`) is on-prem."""
        return self.kind is PeerKind.IP_BLOCK and self.cidr is not None and cidr_within(self.cidr, onprem_cidrs)


@dataclass(frozen=True)
class EgressView:
    """What NetworkPolicies say about one pod's egress."""

    selecting: tuple[K8sObject, ...]  # every policy that selects the pod, whatever its types
    restricting: tuple[K8sObject, ...]  # those that restrict its egress

    @property
    def restricted(self) -> bool:
        return bool(self.restricting)

    @property
    def rules(self) -> list[EgressRule]:
        return [r for policy in self.restricting for r in egress_rules(policy)]

    @property
    def peers(self) -> list[Peer]:
        return [p for r in self.rules for p in peers_of(r)]


def policy_types(policy: K8sObject) -> set[str]:
    """Effective policyTypes, with the API server's defaulting when the field is absent."""
    declared = policy.get("spec", "policyTypes")
    if isinstance(declared, list) and declared:
        return {str(t) for t in declared}
    types = {"Ingress"}
    egress = policy.get("spec", "egress")
    if isinstance(egress, list) and egress:
        types.add("Egress")
    return types


def restricts_egress(policy: K8sObject) -> bool:
    return "Egress" in policy_types(policy)


def selects(policy: K8sObject, namespace: str, pod_labels: dict) -> bool:
    if (policy.namespace or "default") != namespace:
        return False
    selector = policy.get("spec", "podSelector")
    if selector is None:  # required by the API; a missing one behaves like `{}` after defaulting
        selector = {}
    return selector_matches(selector, pod_labels, empty_matches_all=True)


def egress_for(namespace: str, pod_labels: dict, policies: Iterable[K8sObject]) -> EgressView:
    selecting = tuple(p for p in policies if p.kind == "NetworkPolicy" and selects(p, namespace, pod_labels))
    return EgressView(selecting, tuple(p for p in selecting if restricts_egress(p)))


def egress_rules(policy: K8sObject) -> list[EgressRule]:
    if not restricts_egress(policy):
        return []
    rules = policy.get("spec", "egress")
    if not isinstance(rules, list):
        return []  # Egress with no rules: deny all
    return [EgressRule(policy, i, r if isinstance(r, dict) else {}) for i, r in enumerate(rules)]


def peers_of(rule: EgressRule) -> list[Peer]:
    to = rule.rule.get("to")
    if not isinstance(to, list) or not to:
        return [Peer(rule, PeerKind.ANYWHERE)]
    peers: list[Peer] = []
    for index, peer in enumerate(to):
        if not isinstance(peer, dict):
            continue
        block = peer.get("ipBlock")
        if isinstance(block, dict):
            excepts = block.get("except") if isinstance(block.get("except"), list) else []
            peers.append(Peer(rule, PeerKind.IP_BLOCK, index, str(block.get("cidr", "")), tuple(map(str, excepts))))
        elif "namespaceSelector" in peer or "podSelector" in peer:
            peers.append(Peer(rule, PeerKind.CLUSTER, index))
        # A peer with none of the three is rejected by the API server: it allows nothing.
    return peers


def _is_dns_port(port: object) -> bool:
    if not isinstance(port, dict):
        return False
    value = port.get("port")
    if value is None:  # a protocol without a port means every port
        return False
    if isinstance(value, str) and not value.isdigit():
        return value in DNS_PORT_NAMES
    end = port.get("endPort")
    try:
        return int(value) == DNS_PORT and (end is None or int(end) == DNS_PORT)
    except (TypeError, ValueError):
        return False
