"""pii/public-endpoint, inbound from Helm values: a HelmRelease or Argo CD Helm source that turns on
its chart's Ingress under a host name outside pii.onprem_domains, where the chart's pods handle
personal data (real Flux repositories rendered with the real kustomize)."""

from __future__ import annotations

import textwrap

import pytest
from testkit import PII_NAMESPACE, flux_hub_repo, line_of

POLICY = {"pii": {"onprem_domains": ["corp.example"]}}
PUBLIC_NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: site\n"


def release(values: str, *, namespace: str = "ratings", target: str | None = None, values_from: str = "",
            chart: str = "ratings", version: str = "", chart_ref: str | None = None) -> str:
    """A Flux HelmRelease, its `spec.values` given as YAML text; of `chart` from a HelmRepository, or
    of the OCIRepository named `chart_ref`."""
    target_line = f"  targetNamespace: {target}\n" if target else ""
    version_line = f"      version: {version}\n" if version else ""
    source = (f"  chartRef: {{kind: OCIRepository, name: {chart_ref}}}\n" if chart_ref else
              f"  chart:\n    spec:\n      chart: {chart}\n{version_line}"
              "      sourceRef: {kind: HelmRepository, name: charts, namespace: flux-system}\n")
    return (f"apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ratings\n  namespace: {namespace}\n"
            f"spec:\n  interval: 1h\n{target_line}{source}"
            + values_from + "  values:\n" + textwrap.indent(textwrap.dedent(values), "    "))


def oci_repository(name: str, url: str, tag: str) -> str:
    return (f"apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: {name}\n  namespace: ratings\n"
            f"spec:\n  interval: 15m\n  url: {url}\n  ref:\n    tag: {tag}\n")


def application(helm: str, namespace: str = "ratings") -> str:
    """An Argo CD Application of chart argo-cd installed into `namespace`; `helm` is its `helm:` block."""
    return ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: portal\n  namespace: argocd\nspec:\n"
            "  project: default\n  destination:\n    server: https://kubernetes.default.svc\n"
            f"    namespace: {namespace}\n  source:\n    repoURL: https://argoproj.github.io/argo-helm\n"
            "    chart: argo-cd\n    targetRevision: 7.6.8\n    helm:\n" + textwrap.indent(textwrap.dedent(helm), "      "))


HELM_CREATE = """\
    ingress:
      enabled: true
      className: nginx
      hosts:
      - host: ratings.corp.example
        paths: [{path: /, pathType: ImplementationSpecific}]
      - host: ratings.example.com
        paths: [{path: /, pathType: ImplementationSpecific}]
      tls:
      - secretName: ratings-tls
        hosts: [ratings.corp.example, ratings.example.com]
    """
BITNAMI = """\
    ingress:
      enabled: true
      hostname: ratings.seattle.corp.example
      extraHosts:
      - name: ratings.example.net
        path: /
      extraTls:
      - hosts: [ratings.example.net]
        secretName: ratings-public-tls
    """
TLS_ONLY = """\
    ingress:
      enabled: true
      hosts:
      - host: ratings.corp.example
      tls:
      - hosts:
        - ratings.corp.example
        - www.ratings.example.org
    """
STRING_HOSTS = """\
    ingress:
      enabled: "true"
      hosts:
      - ratings.example.io
    """
NESTED = """\
    server:
      ingress:
        enabled: true
        hostname: portal.example.com
    """

# bjw-s app-template, as home-ops repositories write it: named blocks, on unless `enabled` says not.
APP_TEMPLATE = """\
    ingress:
      app:
        className: external
        hosts:
        - host: ratings.corp.example
          paths: [{path: /, service: {identifier: app, port: http}}]
        - host: ratings.example.com
          paths: [{path: /, service: {identifier: app, port: http}}]
    """
APP_TEMPLATE_ROUTES = """\
    route:
      internal:
        hostnames: ["{{ .Release.Name }}.corp.example"]
        parentRefs: [{name: envoy-internal, namespace: network}]
      app:
        hostnames: ["{{ .Release.Name }}.example.net"]
        parentRefs: [{name: envoy-external, namespace: network}]
    """
APP_TEMPLATE_OCI = oci_repository("ratings", "oci://ghcr.io/bjw-s-labs/helm/app-template", "4.1.1")
APP_TEMPLATE_V2_MAIN = """\
    ingress:
      main:
        hosts:
        - host: ratings.example.com
          paths: [{path: /}]
    """
PODINFO_ROUTE = """\
    httpRoute:
      enabled: true
      parentRefs: [{name: gateway, sectionName: http}]
      hostnames:
      - ratings.corp.example
      - ratings.example.org
    """

VALUES_FROM = "  valuesFrom:\n  - {kind: ConfigMap, name: ratings-values}\n"
VALUES_CONFIG_MAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: ratings-values
  namespace: ratings
data:
  values.yaml: |
    ingress:
      hostname: ratings.example.eu
"""

# (id, files added to the PII namespace, [(file, needle of the reported line)])
CASES = [
    ("helm-create-hosts", {"release.yaml": release(HELM_CREATE)}, [("release.yaml", "- host: ratings.example.com")]),
    ("bitnami-extra-hosts", {"release.yaml": release(BITNAMI)}, [("release.yaml", "- name: ratings.example.net")]),
    ("tls-hosts", {"release.yaml": release(TLS_ONLY)}, [("release.yaml", "- www.ratings.example.org")]),
    ("string-hosts-and-string-enabled", {"release.yaml": release(STRING_HOSTS)}, [("release.yaml", "- ratings.example.io")]),
    ("released-into-the-pii-namespace", {"ns.yaml": PUBLIC_NAMESPACE,
                                         "release.yaml": release(BITNAMI, namespace="site", target="ratings")},
     [("release.yaml", "- name: ratings.example.net")]),
    ("pods-labelled-by-values", {"ns.yaml": PUBLIC_NAMESPACE,
                                 "release.yaml": release(BITNAMI + "podLabels: {hubguard.io/data-classification: pii}\n",
                                                         namespace="site")},
     [("release.yaml", "- name: ratings.example.net")]),
    ("host-from-values-config-map", {"values.yaml": VALUES_CONFIG_MAP,
                                     "release.yaml": release("ingress: {enabled: true}\n", values_from=VALUES_FROM)},
     [("values.yaml", "hostname: ratings.example.eu")]),
    ("argo-values-object-component", {"app.yaml": application("valuesObject:\n" + textwrap.indent(textwrap.dedent(NESTED), "  "))},
     [("app.yaml", "hostname: portal.example.com")]),
    ("argo-values-text", {"app.yaml": application("values: |\n" + textwrap.indent(textwrap.dedent(NESTED), "  "))},
     [("app.yaml", "hostname: portal.example.com")]),
    ("app-template-ingress-on-by-default", {"release.yaml": release(APP_TEMPLATE, chart="app-template", version="4.1.1")},
     [("release.yaml", "- host: ratings.example.com")]),
    ("app-template-route-release-name-via-oci-chart-ref", {"oci.yaml": APP_TEMPLATE_OCI,
                                                           "release.yaml": release(APP_TEMPLATE_ROUTES, chart_ref="ratings")},
     [("release.yaml", ".example.net")]),
    ("app-template-v2-named-block-on", {"release.yaml": release(APP_TEMPLATE_V2_MAIN.replace("main:", "public:"),
                                                                chart="app-template", version="2.6.0")},
     [("release.yaml", "- host: ratings.example.com")]),
    ("podinfo-http-route", {"release.yaml": release(PODINFO_ROUTE, chart="podinfo")}, [("release.yaml", "- ratings.example.org")]),
    # Twins that must not fire.
    ("app-template-ingress-disabled", {"release.yaml": release(APP_TEMPLATE.replace("className", "enabled: false\n    className"),
                                                               chart="app-template")}, []),
    ("app-template-v2-main-off-by-chart-default", {"release.yaml": release(APP_TEMPLATE_V2_MAIN, chart="app-template",
                                                                           version="2.6.0")}, []),
    ("app-template-on-prem-hosts", {"oci.yaml": APP_TEMPLATE_OCI,
                                    "release.yaml": release(APP_TEMPLATE_ROUTES.replace("example.net", "corp.example"),
                                                            chart_ref="ratings")}, []),
    ("app-template-outside-the-pii-namespace", {"ns.yaml": PUBLIC_NAMESPACE, "oci.yaml": APP_TEMPLATE_OCI,
                                                "release.yaml": release(APP_TEMPLATE_ROUTES, chart_ref="ratings", target="site")}, []),
    ("app-template-unresolved-template", {"release.yaml": release(APP_TEMPLATE_ROUTES.replace(".Release.Name", ".Values.domain"),
                                                                  chart="app-template")}, []),
    ("podinfo-http-route-disabled", {"release.yaml": release(PODINFO_ROUTE.replace("enabled: true", "enabled: false"),
                                                             chart="podinfo")}, []),
    ("ingress-disabled", {"release.yaml": release(HELM_CREATE.replace("enabled: true", "enabled: false"))}, []),
    ("ingress-left-at-the-chart-default", {"release.yaml": release(HELM_CREATE.replace("      enabled: true\n", ""))}, []),
    ("on-prem-hosts-only", {"release.yaml": release(BITNAMI.replace("example.net", "corp.example"))}, []),
    ("released-outside-the-pii-namespace", {"ns.yaml": PUBLIC_NAMESPACE,
                                            "release.yaml": release(BITNAMI, target="site")}, []),
    ("argo-outside-the-pii-namespace", {"ns.yaml": PUBLIC_NAMESPACE,
                                        "app.yaml": application("valuesObject:\n" + textwrap.indent(textwrap.dedent(NESTED), "  "),
                                                                namespace="site")}, []),
    ("templated-host", {"release.yaml": release('ingress:\n  enabled: true\n  hostname: "{{ .Values.domain }}"\n')}, []),
    ("config-map-host-overridden", {"values.yaml": VALUES_CONFIG_MAP, "release.yaml": release(
        "ingress: {enabled: true, hostname: ratings.corp.example}\n", values_from=VALUES_FROM)}, []),
]


@pytest.mark.parametrize(("extra", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_chart_ingress(make_repo, validate_json, extra, expected):
    root = make_repo(flux_hub_repo({"namespace.yaml": PII_NAMESPACE, **extra}, policy=POLICY))
    _, report = validate_json(root, "--select", "pii/public-endpoint")
    found = [(f["rule"], f["path"], f["line"], f["hub"]) for f in report["findings"]]
    assert found == [("pii/public-endpoint", f"apps/base/{name}", line_of(extra[name], needle), None) for name, needle in expected]
    for finding in report["findings"]:
        assert "personal data" in finding["message"] and "outside pii.onprem_domains" in finding["message"]


def test_public_chart_host_on_one_hub(make_repo, validate_json):
    """munich's overlay patches the release's host to a public one: munich only, at the patch."""
    patch = ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ratings\n  namespace: ratings\n"
             "spec:\n  values:\n    ingress:\n      hostname: ratings.munich.example.de\n")
    files = flux_hub_repo({"namespace.yaml": PII_NAMESPACE, "release.yaml": release(BITNAMI.replace("example.net", "corp.example"))},
                          policy=POLICY, overlays={"munich": {"patch-host.yaml": patch}})
    _, report = validate_json(make_repo(files), "--select", "pii/public-endpoint")
    assert [(f["path"], f["line"], f["hub"]) for f in report["findings"]] == [
        ("apps/munich/patch-host.yaml", line_of(patch, "hostname:"), "munich")]
    assert "HelmRelease ratings turns on the Ingress of chart ratings" in report["findings"][0]["message"]


@pytest.mark.parametrize(("extra", "target", "host", "what"), [
    ({"oci.yaml": APP_TEMPLATE_OCI, "release.yaml": release(APP_TEMPLATE_ROUTES, chart_ref="ratings")}, None,
     "ratings.example.net", "route app of chart app-template"),
    # Flux names a release with a target namespace `<targetNamespace>-<name>`.
    ({"ns.yaml": PUBLIC_NAMESPACE, "oci.yaml": APP_TEMPLATE_OCI.replace("namespace: ratings", "namespace: site"),
      "release.yaml": release(APP_TEMPLATE_ROUTES, chart_ref="ratings", namespace="site", target="ratings")},
     "ratings", "ratings-ratings.example.net", "route app of chart app-template"),
    ({"release.yaml": release(PODINFO_ROUTE, chart="podinfo")}, None, "ratings.example.org", "HTTPRoute of chart podinfo"),
], ids=["release-name", "release-name-with-target-namespace", "podinfo"])
def test_chart_route_message_names_the_resolved_host(make_repo, validate_json, extra, target, host, what):
    _, report = validate_json(make_repo(flux_hub_repo({"namespace.yaml": PII_NAMESPACE, **extra}, policy=POLICY)),
                              "--select", "pii/public-endpoint")
    assert [f["message"].split(" turns on the ")[1].split(",")[0] for f in report["findings"]] == [what]
    assert f"under {host}: a host name outside" in report["findings"][0]["message"]


APP_TEMPLATE_LB = """\
    service:
      app:
        controller: ratings
        ports: {http: {port: 8080}}
      lb:
        controller: ratings
        type: LoadBalancer
        annotations:
          lbipam.cilium.io/ips: 172.16.40.7,20.61.15.12
        ports: {https: {port: 443}}
    """
# (id, the release's values, the needle of the reported line or None, the address reported)
LB_CASES = [
    ("cilium-annotation", APP_TEMPLATE_LB, "lbipam.cilium.io/ips", "20.61.15.12"),
    ("load-balancer-ip", APP_TEMPLATE_LB.replace("annotations:\n          lbipam.cilium.io/ips: 172.16.40.7,20.61.15.12",
                                                 "loadBalancerIP: 20.61.15.7"), "loadBalancerIP", "20.61.15.7"),
    ("metallb-open-to-the-internet", APP_TEMPLATE_LB.replace(
        "lbipam.cilium.io/ips: 172.16.40.7,20.61.15.12", "metallb.io/loadBalancerIPs: 20.61.15.10").replace(
        "type: LoadBalancer", "type: LoadBalancer\n        loadBalancerSourceRanges: [10.10.0.0/16, 0.0.0.0/0]"),
     "metallb.io/loadBalancerIPs", "20.61.15.10"),
    # Twins that must not fire.
    ("private-address", APP_TEMPLATE_LB.replace(",20.61.15.12", ""), None, None),
    ("service-disabled", APP_TEMPLATE_LB.replace("type: LoadBalancer", "type: LoadBalancer\n        enabled: false"), None, None),
    ("cluster-ip", APP_TEMPLATE_LB.replace("type: LoadBalancer", "type: ClusterIP"), None, None),
    ("on-prem-sources-only", APP_TEMPLATE_LB.replace("type: LoadBalancer",
                                                     "type: LoadBalancer\n        loadBalancerSourceRanges: [10.10.0.0/16]"),
     None, None),
    ("metallb-refuses-both", APP_TEMPLATE_LB.replace("lbipam.cilium.io/ips: 172.16.40.7,20.61.15.12",
                                                     "metallb.io/loadBalancerIPs: 20.61.15.10").replace(
        "type: LoadBalancer", "type: LoadBalancer\n        loadBalancerIP: 20.61.15.7"), None, None),
]


@pytest.mark.parametrize(("values", "needle", "address"), [c[1:] for c in LB_CASES], ids=[c[0] for c in LB_CASES])
def test_app_template_load_balancer_address(make_repo, validate_json, values, needle, address):
    text = release(values, chart="app-template")
    root = make_repo(flux_hub_repo({"namespace.yaml": PII_NAMESPACE, "release.yaml": text}, policy=POLICY))
    _, report = validate_json(root, "--select", "pii/public-endpoint")
    found = [(f["rule"], f["path"], f["line"], f["hub"]) for f in report["findings"]]
    assert found == ([("pii/public-endpoint", "apps/base/release.yaml", line_of(text, needle), None)] if needle else [])
    for finding in report["findings"]:
        assert (f"turns on the LoadBalancer Service lb of chart app-template, whose pods handle personal data "
                f"(namespace ratings is labelled") in finding["message"]
        assert f"on {address}: a public address outside the hubs' onprem_cidrs" in finding["message"]


def test_app_template_load_balancer_outside_the_pii_namespace(make_repo, validate_json):
    files = {"namespace.yaml": PII_NAMESPACE, "ns.yaml": PUBLIC_NAMESPACE,
             "release.yaml": release(APP_TEMPLATE_LB, chart="app-template", target="site")}
    _, report = validate_json(make_repo(flux_hub_repo(files, policy=POLICY)), "--select", "pii/public-endpoint")
    assert report["findings"] == []
