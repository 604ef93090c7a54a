"""Any repository out of the box (issue 18): the shapes of the public Flux and Argo CD example
repositories (fluxcd/flux2-kustomize-helm-example, fluxcd/flux2-multi-tenancy,
argoproj/argocd-example-apps), rebuilt small, validate with no .hubguard.yaml and no error but
their real secrets, and the report says which hubs were inferred."""

from __future__ import annotations

from testkit import flux_kustomization

BOOTSTRAP = {  # what `flux bootstrap` commits; the examples keep placeholders instead
    "flux-system/gotk-components.yaml": "# This file will be generated automatically by flux bootstrap.\n",
    "flux-system/gotk-sync.yaml": "# This file will be generated automatically by flux bootstrap.\n",
    "flux-system/kustomization.yaml": ("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                                       "resources:\n  - gotk-components.yaml\n  - gotk-sync.yaml\n"),
}
CROSS_HUB_NOTE = ("not run: ha/backup-offsite, ha/hub-count, ha/hub-parity, ha/traffic-routing: cross-hub rules need "
                  "the hubs declared in .hubguard.yaml (`hubguard init` writes one)")


def _clusters(per_cluster: dict[str, str]) -> dict[str, str]:
    return {f"clusters/{env}/{rel}": text.replace("ENV", env)
            for env in ("staging", "production") for rel, text in {**BOOTSTRAP, **per_cluster}.items()}


HELM_RELEASE = """apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: podinfo
spec:
  interval: 50m
  chart:
    spec:
      chart: podinfo
      sourceRef: {kind: HelmRepository, name: podinfo}
  values:
    redis: {enabled: true}
"""
KUSTOMIZE_HELM_EXAMPLE = {
    **_clusters({"apps.yaml": flux_kustomization("./apps/ENV"),
                 "infrastructure.yaml": flux_kustomization("./infrastructure/configs", name="infra-configs")}),
    "apps/base/podinfo/kustomization.yaml": "namespace: podinfo\nresources:\n  - namespace.yaml\n  - repository.yaml\n  - release.yaml\n",
    "apps/base/podinfo/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: podinfo\n",
    "apps/base/podinfo/repository.yaml": ("apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n"
                                          "  name: podinfo\nspec:\n  interval: 5m\n  url: https://stefanprodan.github.io/podinfo\n"),
    "apps/base/podinfo/release.yaml": HELM_RELEASE,
    **{f"apps/{env}/kustomization.yaml": "resources:\n  - ../base/podinfo\npatches:\n  - path: podinfo-values.yaml\n    target:\n      kind: HelmRelease\n"
       for env in ("staging", "production")},
    **{f"apps/{env}/podinfo-values.yaml": ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\n"
                                           f"  namespace: podinfo\nspec:\n  values:\n    ingress:\n      hosts: [podinfo.{env}]\n")
       for env in ("staging", "production")},
    "infrastructure/configs/kustomization.yaml": "resources:\n  - cluster-issuers.yaml\n",
    "infrastructure/configs/cluster-issuers.yaml": """apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: letsencrypt
spec:
  acme:
    email: fluxcdbot@users.noreply.github.com
    server: https://acme-v02.api.letsencrypt.org/directory
    privateKeySecretRef:
      name: letsencrypt-nginx
    solvers:
      - http01:
          ingress:
            class: nginx
""",
}

OCI_SOURCE = """apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: OCIRepository
metadata:
  name: kyverno-controller
  namespace: flux-system
spec:
  interval: 120m0s
  url: oci://ghcr.io/kyverno/manifests/kyverno
  ref:
    tag: "v1.14.4"
"""
MULTI_TENANCY = {
    **_clusters({"infrastructure.yaml": flux_kustomization("./infrastructure/kyverno", name="kyverno")}),
    "infrastructure/kyverno/kustomization.yaml": "resources:\n  - source.yaml\n  - sync.yaml\n",
    "infrastructure/kyverno/source.yaml": OCI_SOURCE,
    "infrastructure/kyverno/sync.yaml": """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: kyverno-controller
  namespace: flux-system
spec:
  interval: 720m0s
  sourceRef:
    kind: OCIRepository
    name: kyverno-controller
  path: ./
  prune: true
""",
}

APPLICATIONS_TEMPLATE = """{{- range .Values.applications }}
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {{ printf "example.%s" .name | quote }}
  namespace: argocd
spec:
  destination:
    namespace: {{ .namespace | default .name | quote }}
  source:
    path: {{ .path | default .name | quote }}
    repoURL: {{ $.Values.repoURL }}
---
{{- end }}
"""
GUESTBOOK = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: guestbook-ui
spec:
  replicas: 1
  selector:
    matchLabels: {app: guestbook-ui}
  template:
    metadata:
      labels: {app: guestbook-ui}
    spec:
      containers:
      - image: gcr.io/heptio-images/ks-guestbook-demo:0.2
        name: guestbook-ui
"""
ARGOCD_EXAMPLE_APPS = {
    "apps/Chart.yaml": "apiVersion: v2\nname: applications\nversion: 0.1.0\n",
    "apps/templates/applications.yaml": APPLICATIONS_TEMPLATE,
    "apps/values.yaml": "repoURL: https://github.com/argoproj/argocd-example-apps\napplications:\n  - name: guestbook\n  - name: helm-dependency\n",
    "helm-dependency/Chart.yaml": "apiVersion: v2\nname: wordpress\nversion: 0.1.0\n",
    "helm-dependency/values.yaml": ("wordpress:\n  image:\n    tag: invalid\n  wordpressPassword: Kq3vTz8wLm\n  mariadb:\n"
                                    "    db:\n      password: Rb7nXc2pQs\n"),
    "guestbook/guestbook-ui-deployment.yaml": GUESTBOOK,
    "kustomize-guestbook/kustomization.yaml": "namePrefix: kustomize-\nresources:\n- guestbook-ui-deployment.yaml\n",
    "kustomize-guestbook/guestbook-ui-deployment.yaml": GUESTBOOK,
}


def _errors(report: dict) -> list[tuple[str, str, int]]:
    return [(f["rule"], f["path"], f["line"]) for f in report["findings"] if f["severity"] == "error"]


def test_flux_kustomize_helm_example_shape(make_repo, validate_json):
    _, report = validate_json(make_repo(KUSTOMIZE_HELM_EXAMPLE))
    assert _errors(report) == []
    assert report["summary"]["hubs"] == ["production", "staging"]
    assert report["summary"]["objects"] >= 2 * 4  # namespace, repository, release, issuer on each hub
    assert report["notes"][:2] == [
        "hubs inferred from the folders under clusters/ (none declared in .hubguard.yaml): production, staging",
        CROSS_HUB_NOTE]


def test_flux_multi_tenancy_shape_deprecated_oci_repository_is_a_warning(make_repo, validate_json):
    code, report = validate_json(make_repo(MULTI_TENANCY))
    assert code == 0 and _errors(report) == []
    deprecated = [(f["rule"], f["severity"], f["path"], f["line"], f["hub"], f["message"]) for f in report["findings"]]
    assert deprecated == [("schema/invalid", "warning", "infrastructure/kyverno/source.yaml", 1, None,
                           "source.toolkit.fluxcd.io/v1beta2 OCIRepository is deprecated since Flux 2.6 and removed in 2.8; "
                           "use source.toolkit.fluxcd.io/v1")]
    assert report["notes"][0].endswith(": production, staging")


def test_argocd_example_apps_shape_reports_only_its_real_secrets(make_repo, validate_json):
    code, report = validate_json(make_repo(ARGOCD_EXAMPLE_APPS))
    assert code == 1
    assert _errors(report) == [("secret/sensitive-literal", "helm-dependency/values.yaml", 4),
                               ("secret/sensitive-literal", "helm-dependency/values.yaml", 7)]
    assert report["summary"]["hubs"] == []
    assert report["notes"][:2] == [
        "no hubs: .hubguard.yaml declares none and there is no clusters/<hub>/ folder, so only the checks of files "
        "ran (no rendered objects)",
        CROSS_HUB_NOTE]
