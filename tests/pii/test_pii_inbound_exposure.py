"""pii/public-endpoint, inbound: an Ingress, Gateway API route or LoadBalancer Service publishing a
PII workload under a host name outside pii.onprem_domains (real rendered repositories)."""

from __future__ import annotations

import textwrap

import pytest
from testkit import PII_NAMESPACE, flux_hub_repo, line_of

BASE = {
    "namespace.yaml": PII_NAMESPACE,
    "web.yaml": textwrap.dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: ratings-web
          namespace: ratings
        spec:
          replicas: 2
          selector:
            matchLabels: {app: ratings-web}
          template:
            metadata:
              labels: {app: ratings-web}
            spec:
              containers:
              - name: web
                image: ratings-web:1
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: ratings-web
          namespace: ratings
        spec:
          selector: {app: ratings-web}
          ports:
          - port: 8080
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: status
          namespace: ratings
        spec:
          selector: {app: status-page}
          ports:
          - port: 8080
        """),
}
POLICY = {"pii": {"onprem_domains": ["corp.example"]}}


def ingress(host: str | None, service: str = "ratings-web") -> str:
    host_line = f"  - host: {host!r}\n    http:\n" if host else "  - http:\n"
    return ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ratings\n  namespace: ratings\n"
            "spec:\n  ingressClassName: nginx\n  rules:\n" + host_line +
            "      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n"
            f"          service: {{name: {service}, port: {{number: 8080}}}}\n")


def route(hostnames: list[str] | None) -> str:
    names = "  hostnames:\n" + "".join(f"  - {h}\n" for h in hostnames) if hostnames else ""
    return ("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: ratings\n  namespace: ratings\n"
            "spec:\n  parentRefs:\n  - {name: public, namespace: gateways}\n" + names +
            "  rules:\n  - backendRefs:\n    - {name: ratings-web, port: 8080}\n")


GATEWAY = ("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: public\n  namespace: gateways\n"
           "spec:\n  gatewayClassName: istio\n  listeners:\n  - name: https\n    hostname: \"*.ratings-demo.net\"\n"
           "    port: 443\n    protocol: HTTPS\n")


def load_balancer(annotations: dict[str, str]) -> str:
    lines = "".join(f"    {k}: {v!r}\n" for k, v in annotations.items())
    return ("apiVersion: v1\nkind: Service\nmetadata:\n  name: ratings-web-lb\n  namespace: ratings\n  annotations:\n"
            + lines + "spec:\n  type: LoadBalancer\n  selector: {app: ratings-web}\n  ports:\n  - port: 443\n")


# (id, files added to the base, [(file, needle of the reported line)])
CASES = [
    ("ingress-public-host", {"expose.yaml": ingress("ratings.westeurope.cloudapp.azure.com")},
     [("expose.yaml", "host: 'ratings.westeurope")]),
    ("ingress-any-domain-not-onprem", {"expose.yaml": ingress("ratings.example.com")}, [("expose.yaml", "host:")]),
    ("ingress-wildcard-public", {"expose.yaml": ingress("*.ratings.example.com")}, [("expose.yaml", "host:")]),
    ("ingress-onprem-host", {"expose.yaml": ingress("ratings.seattle.corp.example")}, []),
    ("ingress-non-pii-backend", {"expose.yaml": ingress("status.example.com", service="status")}, []),
    ("ingress-without-host", {"expose.yaml": ingress(None)}, []),
    ("httproute-public-hostname", {"expose.yaml": route(["ratings.corp.example", "ratings.example.org"])},
     [("expose.yaml", "- ratings.example.org")]),
    ("httproute-onprem-hostname", {"expose.yaml": route(["ratings.corp.example"])}, []),
    ("httproute-inherits-gateway-listener", {"expose.yaml": route(None), "gateway.yaml": GATEWAY},
     [("gateway.yaml", "hostname:")]),
    ("load-balancer-azure-dns-label", {"expose.yaml": load_balancer({"service.beta.kubernetes.io/azure-dns-label-name": "ratings"})},
     [("expose.yaml", "azure-dns-label-name")]),
    ("load-balancer-external-dns-public", {"expose.yaml": load_balancer({"external-dns.alpha.kubernetes.io/hostname": "ratings.example.net"})},
     [("expose.yaml", "external-dns")]),
    ("load-balancer-external-dns-onprem", {"expose.yaml": load_balancer({"external-dns.alpha.kubernetes.io/hostname": "ratings.corp.example"})}, []),
    ("load-balancer-internal", {"expose.yaml": load_balancer({"external-dns.alpha.kubernetes.io/hostname": "ratings.example.net",
                                                              "service.beta.kubernetes.io/azure-load-balancer-internal": "true"})}, []),
]



@pytest.mark.parametrize(("extra", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_inbound_exposure(make_repo, validate_json, extra, expected):
    root = make_repo(flux_hub_repo({**BASE, **extra}, policy=POLICY))
    _, report = validate_json(root, "--select", "pii/")
    found = [(f["rule"], f["path"], f["line"], f["hub"]) for f in report["findings"] if f["rule"] != "pii/no-egress-policy"]
    assert found == [("pii/public-endpoint", f"apps/base/{name}", line_of(extra[name], needle), None) for name, needle in expected]
    for finding in report["findings"]:
        if finding["rule"] == "pii/public-endpoint":
            assert "Deployment/ratings/ratings-web" in finding["message"] and "outside pii.onprem_domains" in finding["message"]


def test_public_host_on_one_hub(make_repo, validate_json):
    """munich's overlay renames the host to a public one: munich only, at the patch."""
    patch = ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ratings\n  namespace: ratings\n"
             "spec:\n  rules:\n  - host: ratings.munich.example.de\n    http:\n      paths:\n      - path: /\n"
             "        pathType: Prefix\n        backend:\n          service: {name: ratings-web, port: {number: 8080}}\n")
    files = flux_hub_repo({**BASE, "expose.yaml": ingress("ratings.corp.example")}, policy=POLICY,
                          overlays={"munich": {"patch-host.yaml": patch}})
    _, report = validate_json(make_repo(files), "--select", "pii/public-endpoint")
    assert [(f["path"], f["line"], f["hub"]) for f in report["findings"]] == [
        ("apps/munich/patch-host.yaml", line_of(patch, "host:"), "munich")]


def addressed_load_balancer(spec: str = "", annotations: dict[str, str] | None = None) -> str:
    """A LoadBalancer Service selecting the PII pods, its frontend address and source ranges in `spec`."""
    lines = "".join(f"    {k}: {v!r}\n" for k, v in (annotations or {}).items())
    meta = "  annotations:\n" + lines if lines else ""
    return ("apiVersion: v1\nkind: Service\nmetadata:\n  name: ratings-web-lb\n  namespace: ratings\n" + meta +
            "spec:\n  type: LoadBalancer\n  selector: {app: ratings-web}\n" + spec + "  ports:\n  - port: 443\n")


AZURE_IPV4 = "service.beta.kubernetes.io/azure-load-balancer-ipv4"
METALLB, METALLB_OLD = "metallb.io/loadBalancerIPs", "metallb.universe.tf/loadBalancerIPs"
CILIUM = "lbipam.cilium.io/ips"
# (id, the Service, the needle of the reported line or None, the address reported)
ADDRESS_CASES = [
    ("public-load-balancer-ip", addressed_load_balancer("  loadBalancerIP: 20.61.15.7\n"), "loadBalancerIP:", "20.61.15.7"),
    ("public-azure-ipv4-annotation", addressed_load_balancer(annotations={AZURE_IPV4: "20.61.15.8"}), "azure-load-balancer-ipv4",
     "20.61.15.8"),
    ("public-ip-open-to-a-public-range",
     addressed_load_balancer("  loadBalancerIP: 20.61.15.7\n  loadBalancerSourceRanges: [10.10.0.0/16, 0.0.0.0/0]\n"),
     "loadBalancerIP:", "20.61.15.7"),
    ("annotation-wins-over-spec", addressed_load_balancer("  loadBalancerIP: 20.61.15.7\n", {AZURE_IPV4: "20.61.15.9"}),
     "azure-load-balancer-ipv4", "20.61.15.9"),
    ("public-ipv6", addressed_load_balancer("  loadBalancerIP: 2603:1020:203::7\n"), "loadBalancerIP:", "2603:1020:203::7"),
    ("private-annotation-wins-over-public-spec",
     addressed_load_balancer("  loadBalancerIP: 20.61.15.7\n", {AZURE_IPV4: "172.16.40.7"}), None, None),
    ("private-ip", addressed_load_balancer("  loadBalancerIP: 172.16.40.7\n"), None, None),
    ("cgnat-ip", addressed_load_balancer("  loadBalancerIP: 100.64.3.7\n"), None, None),
    # The stamp's public VIP pool, routed on the premises only: seattle declares it on-prem.
    ("public-ip-declared-on-prem", addressed_load_balancer("  loadBalancerIP: 20.61.15.7\n# on-prem: 20.61.15.0/24\n"),
     None, None),
    ("public-ip-on-prem-sources-only",
     addressed_load_balancer("  loadBalancerIP: 20.61.15.7\n  loadBalancerSourceRanges: [10.10.0.0/16, 192.168.0.0/24]\n"),
     None, None),
    ("public-ip-sources-by-annotation",
     addressed_load_balancer("  loadBalancerIP: 20.61.15.7\n",
                             {"service.beta.kubernetes.io/azure-allowed-ip-ranges": "10.20.0.0/16"}), None, None),
    ("public-ip-internal", addressed_load_balancer(
        "  loadBalancerIP: 20.61.15.7\n", {"service.beta.kubernetes.io/azure-load-balancer-internal": "true"}), None, None),
    ("vip-from-the-stamp-pool", addressed_load_balancer(), None, None),
    # MetalLB: its stable annotation, else the deprecated one; never together with spec.loadBalancerIP.
    ("metallb-public", addressed_load_balancer(annotations={METALLB: "20.61.15.10"}), METALLB, "20.61.15.10"),
    ("metallb-deprecated-public", addressed_load_balancer(annotations={METALLB_OLD: "20.61.15.11"}), METALLB_OLD, "20.61.15.11"),
    ("metallb-dual-stack-public-ipv6", addressed_load_balancer(annotations={METALLB: "172.16.40.7, 2603:1020:203::7"}),
     METALLB, "2603:1020:203::7"),
    ("metallb-stable-wins-over-deprecated",
     addressed_load_balancer(annotations={METALLB: "172.16.40.7", METALLB_OLD: "20.61.15.11"}), None, None),
    ("metallb-refuses-annotation-and-spec", addressed_load_balancer("  loadBalancerIP: 20.61.15.7\n", {METALLB: "20.61.15.10"}),
     None, None),
    ("metallb-private", addressed_load_balancer(annotations={METALLB: "192.168.40.7"}), None, None),
    ("metallb-public-outside-the-pii-namespace",
     addressed_load_balancer(annotations={METALLB: "20.61.15.10"}).replace("namespace: ratings", "namespace: site"), None, None),
    # Cilium LB IPAM: spec.loadBalancerIP and its annotation (or the older alias) together.
    ("cilium-public", addressed_load_balancer(annotations={CILIUM: "172.16.40.7,20.61.15.12"}), CILIUM, "20.61.15.12"),
    ("cilium-alias-public", addressed_load_balancer(annotations={"io.cilium/lb-ipam-ips": "20.61.15.13"}),
     "io.cilium/lb-ipam-ips", "20.61.15.13"),
    ("cilium-public-beside-a-private-spec", addressed_load_balancer("  loadBalancerIP: 172.16.40.7\n", {CILIUM: "20.61.15.12"}),
     CILIUM, "20.61.15.12"),
    ("cilium-public-on-prem-sources-only",
     addressed_load_balancer("  loadBalancerSourceRanges: [10.10.0.0/16]\n", {CILIUM: "20.61.15.12"}), None, None),
    ("cilium-unresolved", addressed_load_balancer(annotations={CILIUM: "${RATINGS_LB_IP}"}), None, None),
    ("unresolved-address", addressed_load_balancer("  loadBalancerIP: ${RATINGS_LB_IP:=}\n"), None, None),
]


@pytest.mark.parametrize(("service", "needle", "address"), [c[1:] for c in ADDRESS_CASES], ids=[c[0] for c in ADDRESS_CASES])
def test_load_balancer_address(make_repo, validate_json, service, needle, address):
    """A frontend address is judged against every hub's onprem_cidrs; `# on-prem: CIDR` in a case adds one."""
    declared = [line.split(": ", 1)[1] for line in service.splitlines() if line.startswith("# on-prem: ")]
    hubs = {"seattle": {"onprem_cidrs": ["10.10.0.0/16", *declared]}, "munich": {"onprem_cidrs": ["10.20.0.0/16"]}}
    root = make_repo(flux_hub_repo({**BASE, "expose.yaml": service}, policy=POLICY, hubs=hubs))
    _, report = validate_json(root, "--select", "pii/public-endpoint")
    found = [(f["rule"], f["path"], f["line"], f["hub"]) for f in report["findings"]]
    assert found == ([("pii/public-endpoint", "apps/base/expose.yaml", line_of(service, needle), None)] if needle else [])
    for finding in report["findings"]:
        assert f"Deployment/ratings/ratings-web, which handles personal data, on {address}: a public address" in finding["message"]
