"""NetworkPolicy egress, evaluated as Kubernetes applies it — no rule logic here.

- Policies are additive: a pod's allowed egress is the union of the egress rules of every policy
  that selects it (its namespace, `podSelector`; `{}` selects every pod of the namespace).
- A pod's egress is restricted only when at least one selecting policy has `Egress` in
  `policyTypes`, or has `egress` rules and no `policyTypes` (the API server then defaults
  policyTypes to Ingress plus Egress). A policy with `policyTypes: [Ingress]` ignores its egress.
- A pod with `hostNetwork: true` shares its node's network namespace: most network plugins apply
  no NetworkPolicy to it, so its egress is not governed by any of them.
- A rule with no `to` (or an empty one) allows every destination on its ports; a peer with a
  `namespaceSelector` and/or `podSelector` is a pod of the cluster; an `ipBlock` allows its CIDR
  minus its `except` CIDRs, computed exactly (`Peer.networks`).
- Ports: a rule without `ports` allows every port. A numbered port (or `port`..`endPort` range)
  applies to any destination; a named port (`port: https`) is resolved on the destination pod's
  containers, so it never matches an address outside the cluster (`EgressRule.external_ports`).
  The protocol defaults to TCP. DNS is UDP or TCP port 53 only: SCTP 53 is ordinary traffic.
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass
from typing import Iterable

from hubguard.model import K8sObject
from hubguard.rules.addresses import Network, parse_network, parse_networks, subtract
from hubguard.rules.selectors import selector_matches
from hubguard.rules.workloads import PodTemplate

DNS_PORT = 53
DNS_PROTOCOLS = ("UDP", "TCP")
EVERY_ADDRESS: tuple[Network, ...] = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))


class PeerKind(str, enum.Enum):
    ANYWHERE = "anywhere"  # a rule with no `to`
    CLUSTER = "cluster"  # namespaceSelector / podSelector
    IP_BLOCK = "ipBlock"


@dataclass(frozen=True)
class PortSpec:
    """One entry of an egress rule's `ports`."""

    protocol: str  # TCP (the API default), UDP or SCTP
    port: int | str | None  # None: every port of the protocol; a str: a named port
    end_port: int | None = None

    @property
    def named(self) -> bool:
        return isinstance(self.port, str)

    @property
    def dns(self) -> bool:
        """UDP or TCP port 53 exactly: resolver traffic."""
        return (self.protocol in DNS_PROTOCOLS and self.port == DNS_PORT
                and (self.end_port is None or self.end_port == DNS_PORT))

    def describe(self) -> str:
        if self.port is None:
            return f"every {self.protocol} port"
        if self.named:
            return f"{self.protocol} named port {self.port}"
        if self.end_port is not None and self.end_port != self.port:
            return f"{self.protocol} {self.port}-{self.end_port}"
        return f"{self.protocol} {self.port}"


def parse_port(entry: object) -> PortSpec | None:
    """A `ports` entry as the API server reads it; None for one it would reject (no rule then)."""
    if not isinstance(entry, dict):
        return None
    protocol = str(entry.get("protocol") or "TCP").upper()
    value = entry.get("port")
    if isinstance(value, str) and not value.strip().isdigit():
        return PortSpec(protocol, value.strip())
    port = _as_int(value)
    if value is not None and port is None:
        return None
    end = _as_int(entry.get("endPort"))
    return PortSpec(protocol, port, end if port is not None else None)


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


@dataclass(frozen=True)
class EgressRule:
    policy: K8sObject
    index: int
    rule: dict

    @property
    def path(self) -> tuple:
        return ("spec", "egress", self.index)

    @property
    def ports(self) -> list[PortSpec] | None:
        """The rule's ports; None when it has none (every port of every protocol)."""
        ports = self.rule.get("ports")
        if not isinstance(ports, list) or not ports:
            return None
        return [p for p in map(parse_port, ports) if p is not None]

    @property
    def external_ports(self) -> list[PortSpec] | None:
        """The ports that can match an address outside the cluster: every port (None), or the
        numbered ones — a named port is looked up on the destination pod, and an address outside
        the cluster has no pod. An empty list: the rule can reach no external address."""
        ports = self.ports
        return None if ports is None else [p for p in ports if not p.named]

    @property
    def reaches_outside(self) -> bool:
        return self.external_ports != []

    @property
    def dns_only(self) -> bool:
        """Every port that can reach an external address is DNS (UDP/TCP 53): resolver traffic."""
        ports = self.external_ports
        return bool(ports) and all(p.dns for p in ports)

    def describe_ports(self) -> str:
        ports = self.external_ports
        if ports is None:
            return "every port"
        return ", ".join(p.describe() for p in ports)


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

    def networks(self) -> list[Network] | None:
        """The addresses this peer allows, exactly: every address for a rule without `to`, an
        ipBlock's CIDR minus its `except` CIDRs, nothing for a pod peer (in the cluster). None
        when the CIDR does not parse (the API server refuses the policy; nobody can tell)."""
        if self.kind is PeerKind.ANYWHERE:
            return list(EVERY_ADDRESS)
        if self.kind is PeerKind.CLUSTER:
            return []
        block = parse_network(self.cidr or "")
        if block is None:
            return None
        return subtract([block], parse_networks(self.excepts))

    def outside(self, onprem_cidrs: Iterable[str]) -> list[Network] | None:
        """The addresses this peer allows outside `onprem_cidrs` (empty: it stays on-prem); None
        for an unreadable CIDR."""
        allowed = self.networks()
        if allowed is None:
            return None
        return subtract(allowed, parse_networks(onprem_cidrs))

    def within(self, onprem_cidrs: Iterable[str]) -> bool:
        """An ipBlock whose allowed addresses (CIDR minus `except`) all lie in `onprem_cidrs`."""
        return self.kind is PeerKind.IP_BLOCK and self.outside(onprem_cidrs) == []


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


def governed_by_network_policy(template: PodTemplate) -> bool:
    """False for a host-network pod: it uses its node's network namespace, which most network
    plugins (Calico, Cilium, Azure NPM, …) do not police with NetworkPolicy."""
    return template.spec.get("hostNetwork") is not True


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
