"""The NetworkPolicy egress evaluator on its own: Kubernetes semantics, no rule logic."""

from __future__ import annotations

import pytest
from hubguard.findings import Location
from hubguard.model import K8sObject
from hubguard.rules.addresses import cidr_within
from hubguard.rules.pii.network_policy import PeerKind, egress_for

ONPREM = ("10.10.0.0/16", "fd00:10::/32")
POD = {"app": "api", "tier": "backend"}


def policy(name: str, spec: dict, namespace: str = "ratings") -> K8sObject:
    data = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}
    return K8sObject(data=data, source=Location("np.yaml", 1))


DENY_ALL = policy("deny", {"podSelector": {}, "policyTypes": ["Egress"]})
INGRESS_ONLY = policy("ingress", {"podSelector": {}, "policyTypes": ["Ingress"],
                                  "egress": [{}]})  # egress rules ignored: type is Ingress only
IMPLICIT_EGRESS = policy("implicit", {"podSelector": {}, "egress": [{"to": [{"podSelector": {}}]}]})
IMPLICIT_INGRESS = policy("implicit-in", {"podSelector": {}, "ingress": [{}]})
EMPTY_EGRESS_LIST = policy("empty-list", {"podSelector": {}, "egress": []})  # no policyTypes, no rules: ingress only
OTHER_NS = policy("other", {"podSelector": {}, "policyTypes": ["Egress"]}, namespace="web")
LABELLED = policy("labelled", {"podSelector": {"matchLabels": {"app": "api"}}, "policyTypes": ["Egress"]})
LABELLED_MISS = policy("labelled-miss", {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Egress"]})
EXPR_IN = policy("expr-in", {"podSelector": {"matchExpressions": [
    {"key": "tier", "operator": "In", "values": ["backend", "db"]}]}, "policyTypes": ["Egress"]})
EXPR_NOTIN = policy("expr-notin", {"podSelector": {"matchExpressions": [
    {"key": "tier", "operator": "NotIn", "values": ["backend"]}]}, "policyTypes": ["Egress"]})
EXPR_EXISTS_AND_LABEL = policy("expr-both", {"podSelector": {
    "matchLabels": {"app": "api"},
    "matchExpressions": [{"key": "canary", "operator": "DoesNotExist"}]}, "policyTypes": ["Egress"]})


@pytest.mark.parametrize(
    "policies, selecting, restricted",
    [
        ([], [], False),
        ([DENY_ALL], ["deny"], True),
        ([INGRESS_ONLY], ["ingress"], False),
        ([IMPLICIT_EGRESS], ["implicit"], True),
        ([IMPLICIT_INGRESS], ["implicit-in"], False),
        ([EMPTY_EGRESS_LIST], ["empty-list"], False),
        ([OTHER_NS], [], False),
        ([LABELLED], ["labelled"], True),
        ([LABELLED_MISS], [], False),
        ([EXPR_IN], ["expr-in"], True),
        ([EXPR_NOTIN], [], False),
        ([EXPR_EXISTS_AND_LABEL], ["expr-both"], True),
        ([INGRESS_ONLY, LABELLED_MISS, DENY_ALL], ["ingress", "deny"], True),
    ],
)
def test_selection_and_restriction(policies, selecting, restricted):
    view = egress_for("ratings", POD, policies)
    assert [p.name for p in view.selecting] == selecting
    assert view.restricted is restricted


def test_default_deny_allows_nothing():
    assert egress_for("ratings", POD, [DENY_ALL]).peers == []


def test_policies_are_additive():
    cluster = policy("cluster", {"podSelector": {}, "policyTypes": ["Egress"],
                                 "egress": [{"to": [{"namespaceSelector": {}}]}]})
    wide = policy("wide", {"podSelector": {"matchLabels": {"app": "api"}}, "policyTypes": ["Egress"],
                           "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]})
    view = egress_for("ratings", POD, [DENY_ALL, cluster, wide])
    assert [(p.rule.policy.name, p.kind, p.cidr) for p in view.peers] == [
        ("cluster", PeerKind.CLUSTER, None),
        ("wide", PeerKind.IP_BLOCK, "0.0.0.0/0"),
    ]


@pytest.mark.parametrize(
    "rule, kinds, path, dns_only",
    [
        ({}, [PeerKind.ANYWHERE], ("spec", "egress", 0), False),
        ({"to": []}, [PeerKind.ANYWHERE], ("spec", "egress", 0), False),
        ({"ports": [{"port": 443, "protocol": "TCP"}]}, [PeerKind.ANYWHERE], ("spec", "egress", 0), False),
        ({"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]},
         [PeerKind.ANYWHERE], ("spec", "egress", 0), True),
        # a named port resolves on the destination pod: never DNS to an outside address
        ({"ports": [{"port": "dns", "protocol": "UDP"}]}, [PeerKind.ANYWHERE], ("spec", "egress", 0), False),
        ({"ports": [{"port": 53, "protocol": "SCTP"}]}, [PeerKind.ANYWHERE], ("spec", "egress", 0), False),
        ({"ports": [{"port": 53, "protocol": "UDP"}, {"port": "https"}]}, [PeerKind.ANYWHERE], ("spec", "egress", 0), True),
        ({"ports": [{"port": 53, "endPort": 80}]}, [PeerKind.ANYWHERE], ("spec", "egress", 0), False),
        ({"ports": [{"protocol": "UDP"}]}, [PeerKind.ANYWHERE], ("spec", "egress", 0), False),
        ({"to": [{"podSelector": {}}]}, [PeerKind.CLUSTER], ("spec", "egress", 0, "to", 0), False),
        ({"to": [{"namespaceSelector": {"matchLabels": {"x": "y"}}, "podSelector": {}}]},
         [PeerKind.CLUSTER], ("spec", "egress", 0, "to", 0), False),
        ({"to": [{"podSelector": {}}, {"ipBlock": {"cidr": "10.10.1.0/24"}}]},
         [PeerKind.CLUSTER, PeerKind.IP_BLOCK], ("spec", "egress", 0, "to", 1, "ipBlock", "cidr"), False),
    ],
)
def test_rule_peers(rule, kinds, path, dns_only):
    view = egress_for("ratings", POD, [policy("p", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [rule]})])
    assert [p.kind for p in view.peers] == kinds
    assert view.peers[-1].path == path
    assert view.rules[0].dns_only is dns_only


@pytest.mark.parametrize(
    "block, within",
    [
        ({"cidr": "10.10.4.0/24"}, True),
        ({"cidr": "10.10.0.0/16"}, True),
        ({"cidr": "10.10.4.7/32"}, True),
        ({"cidr": "10.0.0.0/8"}, False),
        ({"cidr": "0.0.0.0/0"}, False),
        # except is evaluated exactly: what remains decides
        ({"cidr": "0.0.0.0/0", "except": ["0.0.0.0/1", "128.0.0.0/1"]}, True),
        ({"cidr": "10.10.0.0/15", "except": ["10.11.0.0/16"]}, True),
        ({"cidr": "10.10.0.0/15", "except": ["10.11.0.0/17"]}, False),
        ({"cidr": "10.0.0.0/8", "except": ["10.0.0.0/9"]}, False),
        ({"cidr": "fd00::/8", "except": ["fd00::/9", "fd80::/9"]}, True),
        ({"cidr": "0.0.0.0/0", "except": ["not-a-cidr"]}, False),
        ({"cidr": "fd00:10:1::/48"}, True),
        ({"cidr": "fd00::/8"}, False),
        ({"cidr": "::/0"}, False),
        ({"cidr": "not-a-cidr"}, False),
    ],
)
def test_ip_block_within_onprem(block, within):
    rule = {"to": [{"ipBlock": block}]}
    view = egress_for("ratings", POD, [policy("p", {"podSelector": {}, "egress": [rule]})])
    (peer,) = view.peers
    assert peer.kind is PeerKind.IP_BLOCK
    assert peer.excepts == tuple(block.get("except", ()))
    assert peer.within(ONPREM) is within


@pytest.mark.parametrize(
    "cidr, networks, expected",
    [
        ("10.10.0.0/16", ["10.10.0.0/16"], True),
        ("10.10.0.0/15", ["10.10.0.0/16"], False),
        ("10.20.1.0/24", ["10.10.0.0/16", "10.20.0.0/16"], True),  # any hub's CIDR
        ("10.10.1.0/24", [], False),
        ("10.10.1.0/24", ["fd00::/8"], False),  # different families never contain each other
        ("fd00:1::/64", ["10.0.0.0/8", "fd00::/8"], True),
        ("10.10.1.1/24", ["10.10.0.0/16"], True),  # host bits set: the network is what counts
    ],
)
def test_cidr_within(cidr, networks, expected):
    assert cidr_within(cidr, networks) is expected


@pytest.mark.parametrize(
    "block, outside",
    [
        ({"cidr": "10.10.0.0/15", "except": ["10.11.0.0/16"]}, []),
        ({"cidr": "10.10.0.0/15", "except": ["10.11.0.0/17"]}, ["10.11.128.0/17"]),
        ({"cidr": "0.0.0.0/0", "except": ["0.0.0.0/1", "128.0.0.0/1"]}, []),
        ({"cidr": "0.0.0.0/0", "except": ["0.0.0.0/1"]}, ["128.0.0.0/1"]),
        ({"cidr": "10.0.0.0/8", "except": ["10.128.0.0/9"]},
         ["10.0.0.0/13", "10.8.0.0/15", "10.11.0.0/16", "10.12.0.0/14", "10.16.0.0/12", "10.32.0.0/11", "10.64.0.0/10"]),
        ({"cidr": "fd00::/8", "except": ["fd00::/9", "fd80::/9"]}, []),
        ({"cidr": "not-a-cidr"}, None),
    ],
)
def test_ip_block_outside_is_exact(block, outside):
    """What an ipBlock still reaches once its except list and the on-prem CIDRs are taken out."""
    view = egress_for("ratings", POD, [policy("p", {"podSelector": {}, "egress": [{"to": [{"ipBlock": block}]}]})])
    (peer,) = view.peers
    got = peer.outside(ONPREM)
    assert (None if got is None else [str(n) for n in got]) == outside


@pytest.mark.parametrize(
    "ports, external, dns_only",
    [
        (None, None, False),  # no ports: every port
        ([{"port": "https"}], [], False),  # named only: no outside address can match
        ([{"port": "https"}, {"port": 443}], ["TCP 443"], False),
        ([{"port": 53, "protocol": "UDP"}, {"port": 53}], ["UDP 53", "TCP 53"], True),
        ([{"port": 53, "protocol": "SCTP"}], ["SCTP 53"], False),
        ([{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "SCTP"}], ["UDP 53", "SCTP 53"], False),
        ([{"port": 50, "endPort": 60, "protocol": "UDP"}], ["UDP 50-60"], False),
        ([{"protocol": "UDP"}], ["every UDP port"], False),
    ],
)
def test_ports_that_reach_outside(ports, external, dns_only):
    rule = {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}
    if ports is not None:
        rule["ports"] = ports
    (egress_rule,) = egress_for("ratings", POD, [policy("p", {"podSelector": {}, "egress": [rule]})]).rules
    got = egress_rule.external_ports
    assert (None if got is None else [p.describe() for p in got]) == external
    assert egress_rule.dns_only is dns_only
    assert egress_rule.reaches_outside is (external != [])
