"""schema/invalid and schema/unknown-kind on objects built from in-memory files."""

from __future__ import annotations

import json

import pytest
from testkit import repo_from_files, run_rule, where

INVALID = "schema/invalid"
UNKNOWN = "schema/unknown-kind"


def findings(files: dict[str, str], rule: str = INVALID, **kwargs):
    return run_rule(rule, repo_from_files(files, **kwargs))


# A native sidecar (an init container with restartPolicy: Always) exists since Kubernetes 1.28.
SIDECAR = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      initContainers:
      - name: proxy
        image: envoyproxy/envoy:v1.30
        restartPolicy: Always
      containers:
      - name: web
        image: nginx:1.27
"""


def test_field_newer_than_the_hub_is_flagged_on_that_hub_only():
    result = findings(
        {"apps/web.yaml": SIDECAR},
        hubs={"munich": ["apps/web.yaml"], "seattle": ["apps/web.yaml"]},
        policy={"hubs": {"munich": {"kubernetes_version": "1.25"}, "seattle": {"kubernetes_version": "1.30"}}},
    )
    assert [(f.rule, f.hub, f.path, f.line) for f in result] == [(INVALID, "munich", "apps/web.yaml", 17)]
    assert result[0].message == "spec.template.spec.initContainers[0].restartPolicy: unknown field 'restartPolicy'"
    assert result[0].object == "Deployment/shop/web"


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        {extra}
"""


@pytest.mark.parametrize(
    ("strict", "expected"),
    [
        (True, [(INVALID, "web.yaml", 16)]),
        (False, []),
    ],
)
def test_unknown_field_is_an_error_only_in_strict_mode(strict, expected):
    text = DEPLOYMENT.format(replicas=2, extra="readinesProbe: {httpGet: {path: /, port: 80}}")
    result = findings({"web.yaml": text}, policy={"schema": {"strict": strict}})
    assert where(result) == expected
    if expected:
        assert result[0].message == (
            "spec.template.spec.containers[0].readinesProbe: unknown field 'readinesProbe'; did you mean 'readinessProbe'?"
        )


def test_every_error_is_reported_at_its_own_line():
    text = DEPLOYMENT.format(replicas="two", extra="imagePullPolicy: 3")
    result = findings({"web.yaml": text})
    assert where(result) == [(INVALID, "web.yaml", 6), (INVALID, "web.yaml", 16)]
    assert [f.message for f in result] == [
        "spec.replicas: 'two' is not of type 'integer'",
        "spec.template.spec.containers[0].imagePullPolicy: 3 is not of type 'string'",
    ]


def test_valid_deployment_passes_on_every_bundled_version():
    from hubguard.rules.schema import kubernetes_schemas

    text = DEPLOYMENT.format(replicas=2, extra="ports: [{containerPort: 80}]")
    hubs = {f"hub{minor}": ["web.yaml"] for _, minor in kubernetes_schemas.bundled_versions()}
    policy = {"hubs": {f"hub{minor}": {"kubernetes_version": f"1.{minor}"} for _, minor in kubernetes_schemas.bundled_versions()}}
    assert findings({"web.yaml": text}, hubs=hubs, policy=policy) == []
    assert findings({"web.yaml": text}, UNKNOWN, hubs=hubs, policy=policy) == []


FLUX_KUSTOMIZATION = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps/seattle
  prune: true
  sourceRef:
    kind: GitRepository
    nmae: flux-system
"""


def test_flux_kustomization_source_ref_typo_is_flagged_at_its_line():
    result = findings({"clusters/seattle/apps.yaml": FLUX_KUSTOMIZATION})
    assert where(result) == [(INVALID, "clusters/seattle/apps.yaml", 10), (INVALID, "clusters/seattle/apps.yaml", 12)]
    assert [f.message for f in result] == [
        "spec.sourceRef: 'name' is a required property",
        "spec.sourceRef.nmae: unknown field 'nmae'; did you mean 'name'?",
    ]


VALID_CUSTOM_RESOURCES = {
    "argocd-application": """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ratings
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://git.example.local/platform/gitops.git
    targetRevision: main
    path: apps/seattle
  destination:
    server: https://kubernetes.default.svc
    namespace: ratings
  syncPolicy:
    automated: {prune: true, selfHeal: true}
    syncOptions: [CreateNamespace=true]
""",
    "external-secret": """\
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: mongodb-credentials
  namespace: ratings
spec:
  refreshInterval: 1h
  secretStoreRef:
    name: vault
    kind: ClusterSecretStore
  target:
    name: mongodb-credentials
  data:
  - secretKey: password
    remoteRef:
      key: ratings/mongodb
      property: password
""",
    "flux-helmrelease": """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ingress-nginx
  namespace: ingress-nginx
spec:
  interval: 30m
  chart:
    spec:
      chart: ingress-nginx
      version: 4.11.x
      sourceRef:
        kind: HelmRepository
        name: ingress-nginx
  values:
    controller:
      replicaCount: 2
""",
    "flux-gitrepository": """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m
  url: ssh://git@git.example.local/platform/gitops
  ref:
    branch: main
  secretRef:
    name: flux-system
""",
    "cert-manager-certificate": """\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: ratings-tls
  namespace: ratings
spec:
  secretName: ratings-tls
  dnsNames: [ratings.seattle.example.local]
  issuerRef:
    name: corp-ca
    kind: ClusterIssuer
""",
    "sealed-secret": """\
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: token
  namespace: ratings
spec:
  encryptedData:
    token: AgBy8hCi0000000000
""",
    "service-monitor": """\
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: ratings-api
  namespace: ratings
  labels: {release: monitoring}
spec:
  selector:
    matchLabels: {app: ratings-api}
  endpoints:
  - port: http
    interval: 30s
""",
    # Kinds of the repositories Flux's own examples are made of (flux2-kustomize-helm-example,
    # flux2-multi-tenancy): notifications, image automation and Gateway API.
    "flux-alert": """\
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: on-call
  namespace: flux-system
spec:
  providerRef: {name: teams}
  eventSeverity: error
  eventSources:
  - {kind: Kustomization, name: '*'}
""",
    "flux-image-policy": """\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: ratings-api
  namespace: flux-system
spec:
  imageRepositoryRef: {name: ratings-api}
  policy:
    semver: {range: 1.x}
""",
    "gateway-httproute": """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ratings
  namespace: ratings
spec:
  parentRefs:
  - {name: internal, namespace: gateways}
  hostnames: [ratings.seattle.example.local]
  rules:
  - backendRefs:
    - {name: ratings-web, port: 80}
""",
}


def test_gateway_api_routes_are_checked_against_their_schema():
    text = VALID_CUSTOM_RESOURCES["gateway-httproute"].replace("  hostnames: [", "  hostname: [")
    result = findings({"route.yaml": text})
    assert where(result) == [(INVALID, "route.yaml", 9)]
    assert "hostname" in result[0].message


@pytest.mark.parametrize("name", sorted(VALID_CUSTOM_RESOURCES))
def test_valid_custom_resources_pass(name):
    files = {f"{name}.yaml": VALID_CUSTOM_RESOURCES[name]}
    assert findings(files) == []
    assert findings(files, UNKNOWN) == []


def test_custom_resource_metadata_is_checked_as_object_meta():
    text = VALID_CUSTOM_RESOURCES["flux-gitrepository"].replace("  namespace: flux-system\n", "  lables: {a: b}\n", 1)
    result = findings({"repo.yaml": text})
    assert where(result) == [(INVALID, "repo.yaml", 5)]
    assert result[0].message == "metadata.lables: unknown field 'lables'; did you mean 'labels'?"


SOPS_SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: mongodb-credentials
  namespace: ratings
type: Opaque
stringData:
  password: ENC[AES256_GCM,data:f2Vn0w==,iv:abc=,tag:def=,type:str]
  port: ENC[AES256_GCM,data:MjcwMTc=,iv:abc=,tag:def=,type:int]
sops:
  age:
  - recipient: age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq
    enc: |
      -----BEGIN AGE ENCRYPTED FILE-----
      YWdlLWVuY3J5cHRpb24ub3JnL3YxCg==
      -----END AGE ENCRYPTED FILE-----
  lastmodified: "2024-05-01T10:00:00Z"
  mac: ENC[AES256_GCM,data:abc=,iv:abc=,tag:abc=,type:str]
  version: 3.9.0
"""


def test_sops_encrypted_secret_passes():
    assert findings({"secret.enc.yaml": SOPS_SECRET}) == []


ENCRYPTED_INT = "ENC[AES256_GCM,data:Mw==,iv:abc=,tag:def=,type:int]"
SOPS_BLOCK = "sops:\n  mac: ENC[AES256_GCM,data:abc=,iv:abc=,tag:abc=,type:str]\n  version: 3.9.0\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (DEPLOYMENT.format(replicas=ENCRYPTED_INT, extra="") + SOPS_BLOCK, []),
        # Without a sops block nothing decrypts the value: it stays a string.
        (DEPLOYMENT.format(replicas=ENCRYPTED_INT, extra=""), [(INVALID, "web.yaml", 6)]),
    ],
)
def test_sops_encrypted_values_of_other_types(text, expected):
    assert where(findings({"web.yaml": text})) == expected


def test_unencrypted_secret_values_are_never_shown_in_messages():
    text = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData:\n  pin: 98765432101234\n"
    result = findings({"secret.yaml": text})
    assert where(result) == [(INVALID, "secret.yaml", 5)]
    assert "98765432101234" not in result[0].message
    assert result[0].message == "stringData.pin: 9876…(14 chars) is not of type 'string'"


def test_flux_substitution_placeholders_are_not_errors():
    text = DEPLOYMENT.format(replicas="${REPLICAS}", extra="")
    assert findings({"web.yaml": text}) == []


@pytest.mark.parametrize(
    ("api_version", "kind", "version", "message"),
    [
        ("networking.k8s.io/v1beta1", "Ingress", "1.30",
         "networking.k8s.io/v1beta1 Ingress was removed in Kubernetes 1.22; use networking.k8s.io/v1"),
        ("policy/v1beta1", "PodDisruptionBudget", "1.25",
         "policy/v1beta1 PodDisruptionBudget was removed in Kubernetes 1.25; use policy/v1"),
        ("autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.25",
         "autoscaling/v2beta2 HorizontalPodAutoscaler is deprecated since Kubernetes 1.23 and removed in 1.26; use autoscaling/v2"),
        ("external-secrets.io/v1beta1", "ExternalSecret", "1.30",
         "external-secrets.io/v1beta1 ExternalSecret is no longer served by External Secrets Operator 0.17 and later; "
         "use external-secrets.io/v1"),
    ],
)
def test_retired_api_versions(api_version, kind, version, message):
    text = f"apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: x\n"
    policy = {"hubs": {"a": {"kubernetes_version": version}}}
    result = findings({"x.yaml": text}, policy=policy)
    assert where(result) == [(INVALID, "x.yaml", 1)]
    assert result[0].message == message
    assert findings({"x.yaml": text}, UNKNOWN, policy=policy) == []


@pytest.mark.parametrize(("flux_version", "severity", "message"), [
    (None, "warning", "source.toolkit.fluxcd.io/v1beta2 OCIRepository is deprecated since Flux 2.6 and removed in 2.8; "
                      "use source.toolkit.fluxcd.io/v1"),
    ("2.6", "warning", "source.toolkit.fluxcd.io/v1beta2 OCIRepository is deprecated since Flux 2.6 and removed in 2.8; "
                       "use source.toolkit.fluxcd.io/v1"),
    ("2.8", "error", "source.toolkit.fluxcd.io/v1beta2 OCIRepository was removed in Flux 2.8; use source.toolkit.fluxcd.io/v1"),
])
def test_a_flux_api_version_is_an_error_only_where_the_hubs_flux_no_longer_serves_it(flux_version, severity, message):
    text = ("apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: OCIRepository\nmetadata: {name: k, namespace: flux-system}\n"
            "spec: {interval: 1h, url: oci://ghcr.io/kyverno/manifests/kyverno}\n")
    policy = {"hubs": {"a": {"flux_version": flux_version} if flux_version else {}}}
    result = findings({"source.yaml": text}, policy=policy)
    assert [(f.rule, f.path, f.line, f.severity.value, f.message) for f in result] == [
        (INVALID, "source.yaml", 1, severity, message)]
    assert findings({"source.yaml": text}, UNKNOWN, policy=policy) == []  # the deprecation says it all


def test_the_flux_release_flux_bootstrap_wrote_decides_when_the_policy_does_not():
    source = ("apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: OCIRepository\nmetadata: {name: k, namespace: flux-system}\n"
              "spec: {interval: 1h, url: oci://ghcr.io/kyverno/manifests/kyverno}\n")
    components = ("---\n# This manifest was generated by flux. DO NOT EDIT.\n# Flux Version: v2.8.1\n"
                  "# Components: source-controller,kustomize-controller\n"
                  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: source-controller, namespace: flux-system}\n"
                  "spec: {selector: {matchLabels: {app: s}}, template: {metadata: {labels: {app: s}}, "
                  "spec: {containers: [{name: manager, image: ghcr.io/fluxcd/source-controller:v1.8.1}]}}}\n")
    files = {"clusters/a/flux-system/gotk-components.yaml": components, "source.yaml": source}
    result = findings(files, hubs={"a": list(files)})
    assert [(f.path, f.severity.value, f.message) for f in result] == [
        ("source.yaml", "error", "source.toolkit.fluxcd.io/v1beta2 OCIRepository was removed in Flux 2.8; use source.toolkit.fluxcd.io/v1")]
    declared = findings(files, hubs={"a": list(files)}, policy={"hubs": {"a": {"flux_version": "2.7"}}})
    assert [f.severity.value for f in declared] == ["warning"]  # the policy's word wins


def test_a_deprecated_kubernetes_api_still_served_is_a_warning_a_removed_one_an_error():
    text = "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\n" \
           "spec: {maxReplicas: 3, scaleTargetRef: {kind: Deployment, name: web}}\n"
    for version, severity in (("1.25", "warning"), ("1.26", "error")):
        result = findings({"x.yaml": text}, policy={"hubs": {"a": {"kubernetes_version": version}}})
        assert [(f.line, f.severity.value) for f in result] == [(1, severity)]


def test_deprecated_api_versions_can_be_tolerated():
    text = "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\n" \
           "spec: {maxReplicas: 3, scaleTargetRef: {kind: Deployment, name: web}}\n"
    policy = {"hubs": {"a": {"kubernetes_version": "1.25"}}, "rules": {INVALID: {"deprecated_apis": False}}}
    assert findings({"x.yaml": text}, policy=policy) == []


WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: big\n"


@pytest.mark.parametrize(
    ("text", "version", "message"),
    [
        (WIDGET, "1.30", "no schema for example.com/v1 Widget: add its CRD or JSON Schema to schema.crd_paths in .hubguard.yaml"),
        ("apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: x}\n", "1.30",
         "Kubernetes 1.30 has no apps/v1 Deploymnet: check the kind and apiVersion, or the hub's kubernetes_version"),
        # The Gateway API is a *.k8s.io group installed as CRDs: its experimental kinds are not bundled.
        ("apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\nmetadata: {name: db}\n", "1.30",
         "no schema for gateway.networking.k8s.io/v1alpha2 TCPRoute: add its CRD or JSON Schema to schema.crd_paths in .hubguard.yaml"),
    ],
)
def test_unknown_kind_names_api_version_and_kind(text, version, message):
    result = findings({"x.yaml": text}, UNKNOWN, policy={"hubs": {"a": {"kubernetes_version": version}}})
    assert [(f.rule, f.severity.value, f.path, f.line, f.hub) for f in result] == [(UNKNOWN, "warning", "x.yaml", 2, "a")]
    assert result[0].message == message
    assert findings({"x.yaml": text}, policy={"hubs": {"a": {"kubernetes_version": version}}}) == []


def test_unknown_kind_ignore_groups_option():
    policy = {"rules": {UNKNOWN: {"ignore_groups": ["example.com"]}}}
    assert findings({"x.yaml": WIDGET}, UNKNOWN, policy=policy) == []


def test_kustomize_configuration_is_not_an_object_to_validate():
    text = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [web.yaml]\n"
    assert findings({"kustomization.yaml": text}, UNKNOWN) == []
    assert findings({"kustomization.yaml": text}) == []


WIDGET_SCHEMA = {
    "type": "object",
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {"type": "object", "properties": {"size": {"type": "integer"}}},
    },
}

WIDGET_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
"""


@pytest.mark.parametrize(
    ("extra_files", "crd_paths"),
    [
        ({"schemas/extra/example.com/widget_v1.json": json.dumps(WIDGET_SCHEMA, indent=2)}, ["schemas/extra"]),
        ({"schemas/extra/example.com/widget_v1.json": json.dumps(WIDGET_SCHEMA, indent=2)}, ["./schemas/extra/"]),
        ({"crds/widget.yaml": WIDGET_CRD}, ["crds/widget.yaml"]),
        ({"crds/widget.yaml": WIDGET_CRD}, ["crds"]),
    ],
)
def test_user_crd_schemas(extra_files, crd_paths):
    files = {"apps/widget.yaml": WIDGET, **extra_files}
    kwargs = {"hubs": {"a": ["apps/widget.yaml"]}, "policy": {"schema": {"crd_paths": crd_paths}}}
    result = findings(files, **kwargs)
    assert where(result) == [(INVALID, "apps/widget.yaml", 6)]
    assert result[0].message == "spec.size: 'big' is not of type 'integer'"
    assert findings(files, UNKNOWN, **kwargs) == []
    fixed = {**files, "apps/widget.yaml": WIDGET.replace("big", "3")}
    assert findings(fixed, **kwargs) == []


def test_crd_a_hub_receives_defines_its_resources_on_that_hub():
    files = {"apps/widget.yaml": WIDGET, "crds/widget.yaml": WIDGET_CRD}
    hubs = {"a": ["apps/widget.yaml", "crds/widget.yaml"], "b": ["apps/widget.yaml"]}
    assert [(f.rule, f.hub, f.line) for f in findings(files, hubs=hubs)] == [(INVALID, "a", 6)]
    assert [(f.rule, f.hub, f.line) for f in findings(files, UNKNOWN, hubs=hubs)] == [(UNKNOWN, "b", 2)]
