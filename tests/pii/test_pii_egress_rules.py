"""pii/no-egress-policy and pii/public-egress on in-memory repositories."""

from __future__ import annotations

import pytest
from hubguard.rules.registry import get_rule
from testkit import PII_NAMESPACE, repo_from_files, run_rule, where

NS_PII = PII_NAMESPACE

NS_PLAIN = """\
apiVersion: v1
kind: Namespace
metadata:
  name: web
"""

API = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ratings-api
  namespace: {ns}
spec:
  template:
    metadata:
      labels:
        app: ratings-api
{extra}    spec:
      containers:
      - name: api
        image: ratings-api:1
"""


def api(ns: str = "ratings", pod_label: bool = False) -> str:
    extra = "        hubguard.io/data-classification: pii\n" if pod_label else ""
    return API.format(ns=ns, extra=extra)


DENY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-egress
  namespace: ratings
spec:
  podSelector: {}
  policyTypes: [Egress]
"""

INGRESS_ONLY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ingress-only
  namespace: ratings
spec:
  podSelector: {}
  policyTypes: [Ingress]
"""

OTHER_APP = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-only
  namespace: ratings
spec:
  podSelector:
    matchExpressions:
    - {key: app, operator: In, values: [ratings-web]}
  policyTypes: [Egress]
"""


@pytest.mark.parametrize(
    "files, policy, expected",
    [
        ({"ns.yaml": NS_PII, "api.yaml": api()}, {}, [("api.yaml", 4)]),
        ({"ns.yaml": NS_PII, "api.yaml": api(), "np.yaml": DENY}, {}, []),
        ({"ns.yaml": NS_PII, "api.yaml": api(), "np.yaml": INGRESS_ONLY}, {}, [("api.yaml", 4)]),
        ({"ns.yaml": NS_PII, "api.yaml": api(), "np.yaml": OTHER_APP}, {}, [("api.yaml", 4)]),
        ({"ns.yaml": NS_PII, "api.yaml": api(), "np.yaml": OTHER_APP + "---\n" + DENY}, {}, []),
        # a non-PII namespace is none of this rule's business
        ({"ns.yaml": NS_PLAIN, "api.yaml": api("web")}, {}, []),
        # classified by the pod template label, or by policy pii.namespaces
        ({"ns.yaml": NS_PLAIN, "api.yaml": api("web", pod_label=True)}, {}, [("api.yaml", 4)]),
        ({"api.yaml": api("web")}, {"pii": {"namespaces": ["web"]}}, [("api.yaml", 4)]),
        # a custom label and value
        ({"ns.yaml": NS_PII.replace("hubguard.io/data-classification: pii", "corp/class: personal"),
          "api.yaml": api()}, {"pii": {"label": "corp/class", "values": ["personal"]}}, [("api.yaml", 4)]),
    ],
)
def test_no_egress_policy(files, policy, expected):
    findings = run_rule("pii/no-egress-policy", repo_from_files(files, policy=policy))
    assert where(findings) == [("pii/no-egress-policy", path, line) for path, line in expected]
    assert all(f.hub == "a" for f in findings)


def test_no_egress_policy_host_network():
    deploy = api().replace("    spec:\n      containers:", "    spec:\n      hostNetwork: true\n      containers:")
    files = {"ns.yaml": NS_PII, "api.yaml": deploy, "np.yaml": DENY}
    findings = run_rule("pii/no-egress-policy", repo_from_files(files))
    assert where(findings) == [("pii/no-egress-policy", "api.yaml", 12)]
    assert "hostNetwork" in findings[0].message


def test_no_egress_policy_per_hub():
    files = {"ns.yaml": NS_PII, "api.yaml": api(), "np.yaml": DENY}
    repo = repo_from_files(files, hubs={"east": ["ns.yaml", "api.yaml", "np.yaml"], "west": ["ns.yaml", "api.yaml"]})
    findings = run_rule("pii/no-egress-policy", repo)
    assert [(f.hub, f.path, f.line, f.object) for f in findings] == [
        ("west", "api.yaml", 4, "Deployment/ratings/ratings-api")
    ]


def egress_policy(rules: str, selector: str = "{}") -> str:
    return (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: egress\n  namespace: ratings\n"
        f"spec:\n  podSelector: {selector}\n  policyTypes: [Egress]\n  egress:\n{rules}"
    )


WIDE = "  - to:\n    - podSelector: {}\n    - ipBlock:\n        cidr: 0.0.0.0/0\n        except: [10.0.0.0/8]\n"
ONPREM = "  - to:\n    - ipBlock:\n        cidr: 10.10.4.0/24\n    - ipBlock:\n        cidr: 10.20.0.0/16\n"
NO_TO = "  - ports:\n    - {port: 443, protocol: TCP}\n"
DNS = "  - ports:\n    - {port: 53, protocol: UDP}\n    - {port: 53, protocol: TCP}\n"
IPV6 = "  - to:\n    - ipBlock:\n        cidr: '::/0'\n    - ipBlock:\n        cidr: fd00:10:1::/48\n"
HUBS = {"hubs": {"a": {"onprem_cidrs": ["10.10.0.0/16", "fd00:10::/32"]}, "b": {"onprem_cidrs": ["10.20.0.0/16"]}}}


@pytest.mark.parametrize(
    "rules, selector, options, expected",
    [
        (WIDE, "{}", {}, [13]),  # the cidr line of the wide block
        (ONPREM, "{}", {}, []),  # 10.20.0.0/16 belongs to hub b: cross-hub traffic is on-prem
        (NO_TO, "{}", {}, [10]),  # the rule itself
        (DNS, "{}", {}, [10]),  # a warning: DNS to any resolver (tests/pii/test_pii_egress_rendered.py)
        (DNS, "{}", {"dns_is_cluster": False}, [10]),
        (IPV6, "{}", {}, [12]),  # ::/0; the /48 inside fd00:10::/32 passes
        (ONPREM + WIDE, "{}", {}, [18]),
        # the wide rule only selects a non-PII pod: nothing to report
        (WIDE, "{matchLabels: {app: ratings-web}}", {}, []),
    ],
)
def test_public_egress(rules, selector, options, expected):
    files = {"ns.yaml": NS_PII, "api.yaml": api(), "np.yaml": egress_policy(rules, selector)}
    policy = {**HUBS, "rules": {"pii/public-egress": options}} if options else HUBS
    repo = repo_from_files(files, hubs={"a": list(files)}, policy=policy)
    findings = run_rule("pii/public-egress", repo)
    assert where(findings) == [("pii/public-egress", "np.yaml", line) for line in expected]
    assert all(f.hub == "a" and f.object == "NetworkPolicy/ratings/egress" for f in findings)


def test_public_egress_ignores_non_pii_namespace():
    files = {"ns.yaml": NS_PLAIN, "api.yaml": api("web"), "np.yaml": egress_policy(WIDE).replace("ratings", "web")}
    assert run_rule("pii/public-egress", repo_from_files(files)) == []


def test_public_egress_ignores_egress_rules_of_ingress_only_policy():
    np = egress_policy(WIDE).replace("policyTypes: [Egress]", "policyTypes: [Ingress]")
    files = {"ns.yaml": NS_PII, "api.yaml": api(), "np.yaml": np}
    assert run_rule("pii/public-egress", repo_from_files(files)) == []


def test_public_egress_counts_policy_without_policy_types():
    np = egress_policy(NO_TO).replace("  policyTypes: [Egress]\n", "")
    files = {"ns.yaml": NS_PII, "api.yaml": api(), "np.yaml": np}
    assert where(run_rule("pii/public-egress", repo_from_files(files))) == [("pii/public-egress", "np.yaml", 9)]


def test_explain_shows_copyable_policy():
    remediation = get_rule("pii/public-egress").remediation
    assert "kind: NetworkPolicy" in remediation
    assert "policyTypes: [Egress]" in remediation
    assert "0.0.0.0/0" not in remediation.split("Replace")[0]
