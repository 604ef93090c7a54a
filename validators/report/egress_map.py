"""Where personal data can go, per hub: each workload that handles personal data and the classes of
destination its egress reaches, from the same NetworkPolicy evaluator the pii/* rules use.

Classes, from contained to exposed: pods of its namespace, other namespaces of the cluster, this
hub's on-prem ranges, other hubs' on-prem ranges, private ranges declared on-prem by no hub, the
public internet, and DNS only (rules whose every port is DNS). An edge is `explicit` when a
NetworkPolicy allows it; a workload no egress policy selects can reach everything, which the map
shows as an implicit edge to the internet ("no policy"), drawn differently from what a policy allows.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Iterable

from hubguard.model import HubInventory
from hubguard.policy import Policy
from hubguard.rules.addresses import Network, parse_networks, subtract
from hubguard.rules.pii.classification import pii_workloads
from hubguard.rules.pii.network_policy import (
    Peer,
    PeerKind,
    PortSpec,
    egress_for,
    governed_by_network_policy,
    peers_of,
)

# (id, label), from contained to exposed: the order of columns in every picture.
CLASSES: tuple[tuple[str, str], ...] = (
    ("namespace", "pods of its namespace"),
    ("cluster", "other namespaces"),
    ("onprem", "this hub's on-prem ranges"),
    ("other-hubs", "other hubs' on-prem ranges"),
    ("private", "private ranges not declared on-prem"),
    ("internet", "public internet"),
    ("dns", "DNS only"),
)
CLASS_LABELS = dict(CLASSES)
EXPOSED = frozenset({"private", "internet"})  # drawn in the warning colour
ANY_PORT = "any port"

_PRIVATE = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "127.0.0.0/8",
    "fc00::/7", "fe80::/10", "::1/128"))


@dataclass(frozen=True)
class Workload:
    ref: str  # Kind/namespace/name
    namespace: str
    restricted: bool  # some NetworkPolicy restricts its egress
    host_network: bool  # hostNetwork pods are outside NetworkPolicy in most network plugins


@dataclass(frozen=True)
class Edge:
    workload: str
    destination: str  # a class id of CLASSES
    ports: tuple[str, ...]  # "TCP/443", "UDP/53", "TCP/8000-8100", or ANY_PORT
    explicit: bool  # allowed by a NetworkPolicy; False: nothing restricts the workload's egress
    via: tuple[str, ...]  # what allows it: "NetworkPolicy ns/name" with the peer, or "no NetworkPolicy"


@dataclass(frozen=True)
class HubEgress:
    hub: str
    workloads: tuple[Workload, ...]
    edges: tuple[Edge, ...]


def hub_egress(hub: HubInventory, policy: Policy) -> HubEgress:
    own = policy.hubs[hub.name].onprem_cidrs if hub.name in policy.hubs else ()
    others = tuple(c for name, h in policy.hubs.items() if name != hub.name for c in h.onprem_cidrs)
    policies = hub.of_kind("NetworkPolicy")
    workloads: list[Workload] = []
    edges: dict[tuple[str, str, bool], tuple[set[str], set[str]]] = {}

    def add(ref: str, destination: str, ports: Iterable[str], explicit: bool, via: str) -> None:
        ports_seen, vias = edges.setdefault((ref, destination, explicit), (set(), set()))
        ports_seen.update(ports)
        vias.add(via)

    for item in sorted(pii_workloads(hub, policy.pii), key=lambda w: w.ref):
        view = egress_for(item.namespace, item.template.labels, policies)
        governed = governed_by_network_policy(item.template)
        workloads.append(Workload(item.ref, item.namespace, view.restricted, not governed))
        if not governed or not view.restricted:
            why = "hostNetwork: NetworkPolicy does not apply" if not governed else "no NetworkPolicy restricts its egress"
            add(item.ref, "internet", (ANY_PORT,), False, why)
            continue
        for rule in view.rules:
            for peer in peers_of(rule):
                for destination, ports in _reaches(peer, own, others):
                    add(item.ref, destination, ports, True, _via(peer))
    ordered = sorted(edges.items(), key=lambda kv: (kv[0][0], _rank(kv[0][1]), not kv[0][2]))
    return HubEgress(
        hub=hub.name,
        workloads=tuple(workloads),
        edges=tuple(Edge(ref, dest, _sorted_ports(ports), explicit, tuple(sorted(via)))
                    for (ref, dest, explicit), (ports, via) in ordered),
    )


def _rank(destination: str) -> int:
    return [c for c, _ in CLASSES].index(destination)


def _reaches(peer: Peer, own: tuple[str, ...], others: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
    """(class, ports) this peer opens: pods by their selector; addresses, exactly (CIDR minus its
    `except` list), split over this hub's on-prem ranges, the other hubs', undeclared private ranges
    and the internet. Cluster DNS is "DNS only"; DNS to an address outside the premises is not."""
    rule = peer.rule
    if peer.kind is PeerKind.CLUSTER:
        to = rule.rule["to"][peer.index]
        ports = rule.ports
        dns = bool(ports) and all(p.dns for p in ports)
        return [("dns" if dns else "cluster" if "namespaceSelector" in to else "namespace", _ports(ports))]
    if not rule.reaches_outside:
        return []  # only named ports: they resolve on pods, and an address has none
    allowed = peer.networks()
    if allowed is None:  # a CIDR the API server refuses: nobody can tell, so assume the worst
        return [("internet", _ports(rule.external_ports))]
    ports = _ports(rule.external_ports)
    own_nets, other_nets = parse_networks(own), parse_networks(others)
    parts = {
        "onprem": _intersect(allowed, own_nets),
        "other-hubs": _intersect(subtract(allowed, own_nets), other_nets),
    }
    off_prem = subtract(allowed, own_nets + other_nets)
    parts["private"] = _intersect(off_prem, list(_PRIVATE))
    parts["internet"] = subtract(off_prem, list(_PRIVATE))
    if rule.dns_only and not parts["internet"] and not parts["private"]:
        return [("dns", ports)]
    return [(cls, ports) for cls, nets in parts.items() if nets]


def _intersect(networks: list[Network], within: list[Network]) -> list[Network]:
    return subtract(networks, subtract(networks, within))


def _via(peer: Peer) -> str:
    policy = peer.rule.policy
    name = f"NetworkPolicy {policy.namespace or 'default'}/{policy.name}"
    if peer.kind is PeerKind.ANYWHERE:
        return f"{name}: a rule with no `to`"
    if peer.kind is PeerKind.IP_BLOCK:
        holes = f" except {', '.join(peer.excepts)}" if peer.excepts else ""
        return f"{name}: ipBlock {peer.cidr}{holes}"
    to = peer.rule.rule["to"][peer.index]
    return f"{name}: {'namespace selector' if 'namespaceSelector' in to else 'pod selector'}"


def _ports(ports: list[PortSpec] | None) -> tuple[str, ...]:
    if ports is None:
        return (ANY_PORT,)
    out = []
    for port in ports:
        if port.port is None:
            out.append(f"{port.protocol}/{ANY_PORT}")
        elif port.end_port is not None and port.end_port != port.port:
            out.append(f"{port.protocol}/{port.port}-{port.end_port}")
        else:
            out.append(f"{port.protocol}/{port.port}")
    return tuple(out) or (ANY_PORT,)


def _sorted_ports(ports: set[str]) -> tuple[str, ...]:
    if ANY_PORT in ports:
        return (ANY_PORT,)

    def key(text: str):
        protocol, _, number = text.partition("/")
        head = number.split("-")[0]
        return (protocol, int(head) if head.isdigit() else 1 << 20, number)

    return tuple(sorted(ports, key=key))


def as_json(maps: list[HubEgress]) -> dict:
    return {
        "classes": [{"id": c, "label": label, "exposed": c in EXPOSED} for c, label in CLASSES],
        "hubs": [
            {
                "hub": m.hub,
                "workloads": [vars(w) for w in m.workloads],
                "edges": [{**vars(e), "ports": list(e.ports), "via": list(e.via)} for e in m.edges],
            }
            for m in maps
        ],
    }
