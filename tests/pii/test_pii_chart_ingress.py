"""pii/public-endpoint, inbound from Helm values: a HelmRelease or Argo CD Helm source that turns on
its chart's Ingress under a host name outside pii.onprem_domains, where the chart's pods handle
personal data (real Flux repositories rendered with the real kustomize)."""

from __future__ import annotations

import textwrap

import pytest
from testkit import PII_NAMESPACE, flux_hub_repo, line_of

POLICY = {"pii": {"onprem_domains": ["corp.example"]}}
PUBLIC_NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: site\n"


def release(values: str, *, namespace: str = "ratings", target: str | None = None, values_from: str = "") -> str:
    """A Flux HelmRelease of chart `ratings`, its `spec.values` given as YAML text."""
    target_line = f"  targetNamespace: {target}\n" if target else ""
    return (f"apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ratings\n  namespace: {namespace}\n"
            f"spec:\n  interval: 1h\n{target_line}  chart:\n    spec:\n      chart: ratings\n"
            "      sourceRef: {kind: HelmRepository, name: charts, namespace: flux-system}\n"
            + values_from + "  values:\n" + textwrap.indent(textwrap.dedent(values), "    "))


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
    # Twins that must not fire.
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
