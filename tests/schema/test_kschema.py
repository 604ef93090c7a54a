"""Loading and caching of schemas: version choice, retired APIs, CRD adaptation."""

from __future__ import annotations

import pytest
from hubguard.rules.schema import kubernetes_schemas

NEWEST = kubernetes_schemas.bundled_versions()[-1]
OLDEST = kubernetes_schemas.bundled_versions()[0]


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        (None, NEWEST),
        ("1.30", (1, 30)),
        ("v1.31.4", (1, 31)),
        ("1.3", (1, 30)),  # YAML read `kubernetes_version: 1.30` as the float 1.3
        ("1.99", NEWEST),  # newer than anything bundled: the newest
        ("1.20", OLDEST),  # older than anything bundled: the oldest
        ("latest", NEWEST),
    ],
)
def test_schema_version(requested, expected):
    assert kubernetes_schemas.schema_version(requested) == expected


def test_bundled_versions_cover_the_issue_examples():
    assert {(1, 25), (1, 30)} <= set(kubernetes_schemas.bundled_versions())


def test_core_validator_is_built_once_per_kind():
    first = kubernetes_schemas.core_validator((1, 30), True, "Deployment", "apps/v1")
    again = kubernetes_schemas.core_validator((1, 30), True, "Deployment", "apps/v1")
    assert first is not None and first is again
    assert kubernetes_schemas.core_registry((1, 30), True) is kubernetes_schemas.core_registry((1, 30), True)
    definitions = kubernetes_schemas.core_definitions((1, 30), True)
    assert kubernetes_schemas._quick_registry_of(definitions) is kubernetes_schemas._quick_registry_of(definitions)
    assert first.quick is not None  # the compiled check exists for core kinds


@pytest.mark.parametrize(
    ("kind", "api_version"),
    [
        ("Deployment", "apps.example.com/v1"),  # a custom group whose first label is a core group
        ("Affinity", "v1"),  # a sub-type with a schema file, not a kind
        ("Deployment", "apps/v2"),
    ],
)
def test_core_validator_matches_group_version_kind_exactly(kind, api_version):
    assert kubernetes_schemas.core_validator((1, 30), True, kind, api_version) is None


def test_every_bundled_crd_schema_loads():
    expected = {
        ("kustomize.toolkit.fluxcd.io", "kustomization", "v1"),
        ("source.toolkit.fluxcd.io", "gitrepository", "v1"),
        ("source.toolkit.fluxcd.io", "helmrepository", "v1"),
        ("source.toolkit.fluxcd.io", "ocirepository", "v1"),
        ("source.toolkit.fluxcd.io", "helmchart", "v1"),
        ("helm.toolkit.fluxcd.io", "helmrelease", "v2"),
        ("argoproj.io", "application", "v1alpha1"),
        ("argoproj.io", "applicationset", "v1alpha1"),
        ("argoproj.io", "appproject", "v1alpha1"),
        ("cert-manager.io", "certificate", "v1"),
        ("cert-manager.io", "issuer", "v1"),
        ("cert-manager.io", "clusterissuer", "v1"),
        ("external-secrets.io", "externalsecret", "v1"),
        ("external-secrets.io", "clusterexternalsecret", "v1"),
        ("external-secrets.io", "secretstore", "v1"),
        ("external-secrets.io", "clustersecretstore", "v1"),
        ("bitnami.com", "sealedsecret", "v1alpha1"),
        ("monitoring.coreos.com", "servicemonitor", "v1"),
        ("monitoring.coreos.com", "podmonitor", "v1"),
        ("monitoring.coreos.com", "prometheusrule", "v1"),
        ("notification.toolkit.fluxcd.io", "alert", "v1beta3"),
        ("notification.toolkit.fluxcd.io", "provider", "v1beta3"),
        ("notification.toolkit.fluxcd.io", "receiver", "v1"),
        ("image.toolkit.fluxcd.io", "imagerepository", "v1"),
        ("image.toolkit.fluxcd.io", "imagepolicy", "v1"),
        ("image.toolkit.fluxcd.io", "imageupdateautomation", "v1"),
        ("gateway.networking.k8s.io", "gatewayclass", "v1"),
        ("gateway.networking.k8s.io", "gateway", "v1"),
        ("gateway.networking.k8s.io", "httproute", "v1"),
        ("gateway.networking.k8s.io", "grpcroute", "v1"),
        ("gateway.networking.k8s.io", "referencegrant", "v1beta1"),
        ("gateway.networking.k8s.io", "backendtlspolicy", "v1"),
    }
    assert expected <= kubernetes_schemas.bundled_crds()
    for key in sorted(expected):
        assert kubernetes_schemas.bundled_crd_validator(key, True, NEWEST) is not None, key


FLUX_2_7 = (2, 7)


@pytest.mark.parametrize(
    ("api_version", "kind", "running", "expected"),
    [
        ("networking.k8s.io/v1beta1", "Ingress", {"Kubernetes": (1, 30)}, ("removed in Kubernetes 1.22; use networking.k8s.io/v1", True)),
        ("policy/v1beta1", "PodDisruptionBudget", {"Kubernetes": (1, 25)}, ("removed in Kubernetes 1.25; use policy/v1", True)),
        ("batch/v1beta1", "CronJob", {"Kubernetes": (1, 25)}, ("removed in Kubernetes 1.25; use batch/v1", True)),
        ("autoscaling/v2beta2", "HorizontalPodAutoscaler", {"Kubernetes": (1, 26)}, ("removed in Kubernetes 1.26; use autoscaling/v2", True)),
        ("autoscaling/v2beta2", "HorizontalPodAutoscaler", {"Kubernetes": (1, 25)}, ("deprecated since Kubernetes 1.23", False)),
        ("external-secrets.io/v1beta1", "ExternalSecret", {"Kubernetes": (1, 30)}, ("use external-secrets.io/v1", True)),
        # Flux API versions follow the hub's Flux release, not its Kubernetes version.
        ("helm.toolkit.fluxcd.io/v2beta1", "HelmRelease", {"Kubernetes": (1, 30), "Flux": FLUX_2_7},
         ("was removed in Flux 2.7; use helm.toolkit.fluxcd.io/v2", True)),
        ("helm.toolkit.fluxcd.io/v2beta1", "HelmRelease", {"Flux": (2, 6)},
         ("is deprecated since Flux 2.2 and removed in 2.7; use helm.toolkit.fluxcd.io/v2", False)),
        ("source.toolkit.fluxcd.io/v1beta2", "OCIRepository", {"Flux": FLUX_2_7},
         ("is deprecated since Flux 2.6 and removed in 2.8; use source.toolkit.fluxcd.io/v1", False)),
        ("source.toolkit.fluxcd.io/v1beta2", "OCIRepository", {"Flux": (2, 8)},
         ("was removed in Flux 2.8; use source.toolkit.fluxcd.io/v1", True)),
        ("kustomize.toolkit.fluxcd.io/v1beta2", "Kustomization", {"Flux": FLUX_2_7},
         ("is deprecated since Flux 2.0 and removed in 2.8; use kustomize.toolkit.fluxcd.io/v1", False)),
        ("source.toolkit.fluxcd.io/v1beta1", "GitRepository", {"Flux": FLUX_2_7},
         ("was removed in Flux 2.7; use source.toolkit.fluxcd.io/v1", True)),
    ],
)
def test_retired_api_versions_name_the_replacement(api_version, kind, running, expected):
    message, removed = kubernetes_schemas.retired_message(api_version, kind, running)
    assert expected[0] in message and message.startswith(f"{api_version} {kind} ")
    assert removed is expected[1]


@pytest.mark.parametrize(
    ("api_version", "kind", "running"),
    [("apps/v1", "Deployment", {"Kubernetes": (1, 30)}), ("policy/v1beta1", "PodDisruptionBudget", {"Kubernetes": (1, 20)}),
     ("source.toolkit.fluxcd.io/v1beta2", "OCIRepository", {"Flux": (2, 5)})],
)
def test_current_api_versions_are_not_retired(api_version, kind, running):
    assert kubernetes_schemas.retired_message(api_version, kind, running) is None


OPENAPI = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "size": {"type": "integer", "nullable": True},
                "values": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            },
        }
    },
}


@pytest.mark.parametrize(
    ("strict", "instance", "valid"),
    [
        (True, {"spec": {"size": None}}, True),  # nullable allows null
        (True, {"spec": {"size": 1, "colour": "red"}}, False),  # strict: unknown field
        (False, {"spec": {"size": 1, "colour": "red"}}, True),
        (True, {"spec": {"values": {"anything": 1}}}, True),  # preserved unknown fields stay allowed
        (True, {"spek": {}}, False),  # unknown at the top level too
    ],
)
def test_adapt_crd_schema(strict, instance, valid):
    import jsonschema

    schema = kubernetes_schemas.adapt_crd_schema(OPENAPI, strict)
    assert jsonschema.Draft7Validator(schema).is_valid(instance) is valid
    assert "additionalProperties" not in OPENAPI  # the original is never changed


def test_relaxed_bundled_schema_drops_additional_properties_false():
    key = ("kustomize.toolkit.fluxcd.io", "kustomization", "v1")
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("additionalProperties") is False:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(kubernetes_schemas._bundled_crd_schema(key, True))
    assert found, "the strict schema forbids unknown fields"
    found.clear()
    walk(kubernetes_schemas._bundled_crd_schema(key, False))
    assert found == []
