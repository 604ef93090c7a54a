"""pii/public-egress and pii/no-egress-policy on real rendered repositories (git, kustomize, Flux
substitution): the NetworkPolicy semantics of `except`, named ports, DNS and hostNetwork, with the
reproducer policies of issue 21."""

from __future__ import annotations

import textwrap

import pytest
from testkit import PII_NAMESPACE, deployment, flux_hub_repo, line_of

NAMESPACE = PII_NAMESPACE
API = deployment("ratings-api", replicas=2, namespace="ratings", labels="{app: ratings-api}")

HUBS = {"seattle": {"onprem_cidrs": ["10.10.0.0/16", "fd00:10::/32"]}, "munich": {"onprem_cidrs": ["10.20.0.0/16"]}}


def egress_policy(rules: str) -> str:
    return ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-egress\n"
            "  namespace: ratings\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n"
            + textwrap.indent(textwrap.dedent(rules).strip("\n"), "  ") + "\n")



def public_egress(make_repo, validate_json, rules: str, options: dict | None = None) -> tuple[str, list[dict]]:
    policy_text = egress_policy(rules)
    extra = {"rules": {"pii/public-egress": options}} if options else {}
    root = make_repo(flux_hub_repo({"namespace.yaml": NAMESPACE, "api.yaml": API, "egress.yaml": policy_text},
                                   hubs=HUBS, policy=extra))
    _, report = validate_json(root, "--select", "pii/public-egress")
    return policy_text, report["findings"]


# (id, egress rules, [(needle of the reported line, severity, words the message must hold)])
CASES = [
    # item 5: except evaluated exactly (on-prem: 10.10.0.0/16 and fd00:10::/32 of seattle, 10.20.0.0/16 of munich)
    ("except-removes-the-off-prem-half", """
        - to:
          - ipBlock: {cidr: 10.10.0.0/15, except: [10.11.0.0/16]}
        """, []),
    ("except-removes-everything", """
        - to:
          - ipBlock: {cidr: 0.0.0.0/0, except: [0.0.0.0/1, 128.0.0.0/1]}
        """, []),
    ("except-leaves-a-hole", """
        - to:
          - ipBlock: {cidr: 10.10.0.0/15, except: [10.11.0.0/17]}
        """, [("cidr: 10.10.0.0/15", "error", ["still reaches 10.11.128.0/17"])]),
    ("except-of-metadata-only", """
        - to:
          - ipBlock:
              cidr: 0.0.0.0/0
              except: [169.254.169.254/32]
        """, [("cidr: 0.0.0.0/0", "error", ["except 169.254.169.254/32", "still reaches 0.0.0.0/5, 8.0.0.0/7", "more ranges"])]),
    ("ipv6-except", """
        - to:
          - ipBlock: {cidr: "fd00::/8", except: ["fd00::/9", "fd80::/9"]}
          - ipBlock: {cidr: "::/0", except: ["::/1"]}
        """, [('cidr: "::/0"', "error", ["except ::/1 still reaches 8000::/2, c000::/3"])]),
    # item 6: named ports resolve on the destination pod's containers
    ("named-port-without-to", """
        - ports:
          - {port: https}
        """, []),
    ("named-port-to-the-internet", """
        - to:
          - ipBlock: {cidr: 0.0.0.0/0}
          ports:
          - {port: metrics, protocol: TCP}
        """, []),
    ("named-and-numbered", """
        - ports:
          - {port: https}
          - {port: 8443}
        """, [("- ports:", "error", ["every destination on TCP 8443"])]),
    # item 7: DNS is UDP/TCP 53 only, and unrestricted DNS is a warning
    ("dns-anywhere", """
        - ports:
          - {protocol: UDP, port: 53}
          - {protocol: TCP, port: 53}
        """, [("- ports:", "warning", ["DNS", "UDP 53, TCP 53", "restrict `to`"])]),
    ("dns-to-public-resolver", """
        - to:
          - ipBlock: {cidr: 8.8.8.8/32}
          ports:
          - {protocol: UDP, port: 53}
        """, [("cidr: 8.8.8.8/32", "warning", ["DNS", "8.8.8.8/32"])]),
    ("dns-to-cluster-dns", """
        - to:
          - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
            podSelector: {matchLabels: {k8s-app: kube-dns}}
          ports:
          - {protocol: UDP, port: 53}
          - {protocol: TCP, port: 53}
        """, []),
    ("dns-to-onprem-resolver", """
        - to:
          - ipBlock: {cidr: 10.20.0.53/32}
          ports:
          - {protocol: UDP, port: 53}
        """, []),
    ("sctp-53-is-not-dns", """
        - ports:
          - {protocol: SCTP, port: 53}
        """, [("- ports:", "error", ["SCTP 53"])]),
    ("dns-range-is-not-dns", """
        - ports:
          - {protocol: UDP, port: 53, endPort: 54}
        """, [("- ports:", "error", ["UDP 53-54"])]),
]


@pytest.mark.parametrize(("rules", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_public_egress_semantics(make_repo, validate_json, rules, expected):
    text, findings = public_egress(make_repo, validate_json, rules)
    got = [(f["path"], f["line"], f["severity"], f["hub"]) for f in findings]
    assert got == [("apps/base/egress.yaml", line_of(text, needle), severity, None) for needle, severity, _ in expected]
    for finding, (_, _, words) in zip(findings, expected):
        assert all(word in finding["message"] for word in words), finding["message"]


def test_dns_as_any_other_port_when_not_treated_as_resolver_traffic(make_repo, validate_json):
    text, findings = public_egress(make_repo, validate_json, "- ports:\n  - {protocol: UDP, port: 53}\n",
                                   {"dns_is_cluster": False})
    assert [(f["line"], f["severity"]) for f in findings] == [(line_of(text, "- ports:"), "error")]


def test_except_on_one_hub_only(make_repo, validate_json):
    """munich's overlay widens the except-carved block: only munich is reported."""
    carved = egress_policy("- to:\n  - ipBlock: {cidr: 10.10.0.0/15, except: [10.11.0.0/16]}\n")
    widened = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-egress\n"
               "  namespace: ratings\nspec:\n  egress:\n  - to:\n    - ipBlock: {cidr: 10.10.0.0/15}\n")
    files = flux_hub_repo({"namespace.yaml": NAMESPACE, "api.yaml": API, "egress.yaml": carved}, hubs=HUBS,
                          overlays={"munich": {"patch-egress.yaml": widened}})
    _, report = validate_json(make_repo(files), "--select", "pii/public-egress")
    assert [(f["path"], f["hub"]) for f in report["findings"]] == [("apps/munich/patch-egress.yaml", "munich")]
    assert "still reaches 10.11.0.0/16" in report["findings"][0]["message"]


HOST_NETWORK = API.replace("    spec:\n      containers:", "    spec:\n      hostNetwork: true\n      containers:")
DENY = egress_policy("- to:\n  - podSelector: {}\n")
HOST_NETWORK_PATCH = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ratings-api\n  namespace: ratings\n"
                      "spec:\n  template:\n    spec:\n      hostNetwork: true\n")


@pytest.mark.parametrize(
    ("base", "overlays", "expected"),
    [
        # hostNetwork with a default-deny policy: the policy does not govern it
        ({"api.yaml": HOST_NETWORK, "egress.yaml": DENY}, {}, [("apps/base/api.yaml", "hostNetwork: true", None)]),
        ({"api.yaml": API, "egress.yaml": DENY}, {}, []),
        ({"api.yaml": HOST_NETWORK.replace("hostNetwork: true", "hostNetwork: false"), "egress.yaml": DENY}, {}, []),
        # one hub's overlay turns it on: that hub only, at the patch's line
        ({"api.yaml": API, "egress.yaml": DENY}, {"seattle": {"patch-host.yaml": HOST_NETWORK_PATCH}},
         [("apps/seattle/patch-host.yaml", "hostNetwork: true", "seattle")]),
    ],
    ids=["host-network", "pod-network", "host-network-false", "host-network-on-one-hub"],
)
def test_host_network_egress_is_not_governed(make_repo, validate_json, base, overlays, expected):
    files = flux_hub_repo({"namespace.yaml": NAMESPACE, **base}, hubs=HUBS, overlays=overlays)
    _, report = validate_json(make_repo(files), "--select", "pii/no-egress-policy")
    texts = {**{f"apps/base/{k}": v for k, v in base.items()},
             **{f"apps/{h}/{k}": v for h, o in overlays.items() for k, v in o.items()}}
    assert [(f["path"], f["line"], f["hub"]) for f in report["findings"]] == [
        (path, line_of(texts[path], needle), hub) for path, needle, hub in expected]
    for finding in report["findings"]:
        assert "not governed by NetworkPolicy" in finding["message"] and "hostNetwork" in finding["message"]
