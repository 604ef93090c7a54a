"""ha/engine-overlap: an object or a Helm release of a hub is managed by Flux and Argo CD both
(real repositories rendered with kustomize: which engine applies an object is known only then)."""

from __future__ import annotations

import json

import pytest
from ha_support import dedent, line_of

from hubguard.cli import main

CONFIGMAP = dedent("""
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: web-settings
      namespace: web
    data:
      mode: ha
""")
FLUX = dedent("""
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata:
      name: web
      namespace: flux-system
    spec:
      interval: 10m
      path: ./apps/web
      prune: true
      sourceRef:
        kind: GitRepository
        name: flux-system
""")
ARGO = dedent("""
    apiVersion: argoproj.io/v1alpha1
    kind: Application
    metadata:
      name: web
      namespace: argocd
    spec:
      project: default
      source:
        repoURL: https://git.example.local/web.git
        targetRevision: main
        path: apps/web
      destination:
        server: https://kubernetes.default.svc
        namespace: web
""")
HELM_RELEASE = dedent("""
    apiVersion: helm.toolkit.fluxcd.io/v2
    kind: HelmRelease
    metadata:
      name: ingress-nginx
      namespace: flux-system
    spec:
      interval: 1h
      releaseName: ingress-nginx
      targetNamespace: ingress-nginx
      chart:
        spec:
          chart: ingress-nginx
          version: "4.12.1"
          sourceRef:
            kind: HelmRepository
            name: ingress-nginx
""")
ARGO_CHART = dedent("""
    apiVersion: argoproj.io/v1alpha1
    kind: Application
    metadata:
      name: ingress-nginx
      namespace: argocd
    spec:
      project: default
      source:
        repoURL: https://kubernetes.github.io/ingress-nginx
        chart: ingress-nginx
        targetRevision: 4.12.1
        helm:
          releaseName: ingress-nginx
      destination:
        server: https://kubernetes.default.svc
        namespace: ingress-nginx
""")
POLICY = "hubs:\n  seattle: {roots: [clusters/seattle]}\n  munich: {roots: [clusters/munich]}\n"


def findings(make_repo, capsys, files: dict[str, str]) -> list[tuple]:
    root = make_repo({".hubguard.yaml": POLICY, "apps/web/settings.yaml": CONFIGMAP, **files})
    code = main(["validate", str(root), "--format", "json", "--select", "ha/engine-overlap"])
    report = json.loads(capsys.readouterr().out)
    assert code == (1 if report["findings"] else 0)
    return [(f["path"], f["line"], f["hub"], f["object"]) for f in report["findings"]]


NAME_LINE = line_of(CONFIGMAP, "name: web-settings")


@pytest.mark.parametrize(("files", "expected"), [
    # one engine per hub, both reaching the same shared folder: fine
    ({"clusters/seattle/web.yaml": FLUX, "clusters/munich/web.yaml": ARGO}, []),
    # munich applies apps/web with both engines: each of its objects, for munich only
    ({"clusters/seattle/web.yaml": FLUX, "clusters/munich/web.yaml": FLUX + "---\n" + ARGO},
     [("apps/web/settings.yaml", NAME_LINE, "munich", "ConfigMap/web/web-settings")]),
    # the subtle case: a root applied by hand that an engine applies too is not two engines
    ({"clusters/seattle/web.yaml": FLUX, "clusters/munich/web.yaml": FLUX,
      "clusters/munich/settings.yaml": CONFIGMAP}, []),
    # one Helm release installed by a Flux HelmRelease and by an Argo CD Application
    ({"clusters/seattle/platform.yaml": HELM_RELEASE, "clusters/munich/platform.yaml": HELM_RELEASE + "---\n" + ARGO_CHART},
     [("clusters/munich/platform.yaml", line_of(HELM_RELEASE + "---\n" + ARGO_CHART, "chart: ingress-nginx", 2), "munich",
       "Application/argocd/ingress-nginx")]),
    # another release name is another release
    ({"clusters/seattle/platform.yaml": HELM_RELEASE,
      "clusters/munich/platform.yaml": HELM_RELEASE + "---\n" + ARGO_CHART.replace("releaseName: ingress-nginx",
                                                                                   "releaseName: edge")}, []),
], ids=["one-engine-each", "both-on-munich", "root-and-engine", "helm-release-twice", "other-release"])
def test_engine_overlap(make_repo, capsys, files, expected) -> None:
    assert findings(make_repo, capsys, files) == expected
