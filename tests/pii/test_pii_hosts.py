"""Host classification and PII workload classification, without rules."""

from __future__ import annotations

import pytest
from hubguard.rules.pii.classification import pii_namespaces, pii_workloads
from hubguard.rules.pii.hosts import (
    PUBLIC_CLOUD_SUFFIXES,
    HostClassifier,
    endpoint_host,
    has_suffix,
    hosts_in,
)
from testkit import repo_from_files

CLASSIFIER = HostClassifier(
    onprem_domains=("corp.example",),
    onprem_cidrs=("10.10.0.0/16", "fd00:10::/32"),
    cluster_namespaces=frozenset({"monitoring"}),
)


@pytest.mark.parametrize(
    "host, onprem, public",
    [
        ("otel-collector", True, False),  # single label: a Service via search domains
        ("otel-collector.monitoring", True, False),  # service.namespace of this hub
        ("otel-collector.elsewhere", False, False),  # not a namespace here: unknown, not public
        ("mongodb.ratings.svc", True, False),
        ("mongodb.ratings.svc.cluster.local", True, False),
        ("logs.corp.example", True, False),
        ("corp.example", True, False),
        ("acct.blob.local.azurestack.external", True, False),
        ("10.10.3.4", True, False),
        ("10.11.3.4", False, False),
        ("127.0.0.1", True, False),
        ("fd00:10::5", True, False),
        ("acct.blob.core.windows.net", False, True),
        ("ratings.azurewebsites.net", False, True),
        ("x.cloudapp.net", False, True),
        ("s3.eu-west-1.amazonaws.com", False, True),
        ("storage.googleapis.com", False, True),
        ("ACCT.Blob.Core.Windows.NET.", False, True),  # case and a trailing dot
        ("mywindows.net", False, False),  # suffixes match whole labels
        ("example.org", False, False),
    ],
)
def test_host_classification(host, onprem, public):
    assert CLASSIFIER.is_onprem(host) is onprem
    assert CLASSIFIER.is_public_cloud(host, PUBLIC_CLOUD_SUFFIXES) is public


@pytest.mark.parametrize(
    "value, host",
    [
        ("https://otlp.example.net:4317/v1", "otlp.example.net"),
        ("otel-collector.monitoring:4317", "otel-collector.monitoring"),
        ("datadoghq.eu", "datadoghq.eu"),
        ("https://key@o1.ingest.sentry.io/5", "o1.ingest.sentry.io"),
        ("http://[fd00:10::1]:4317", "fd00:10::1"),
        ("InstrumentationKey=abc;IngestionEndpoint=https://x.in.applicationinsights.azure.com/", "x.in.applicationinsights.azure.com"),
        ("InstrumentationKey=abc", "dc.services.visualstudio.com"),  # the SDK's default ingestion
        ("", None),
    ],
)
def test_endpoint_host(value, host):
    assert endpoint_host(value) == host


def test_hosts_in_free_text():
    text = '{"db": "mongodb://u:p@a.mongo.cosmos.azure.com:10255", "file": "appsettings.json", "n": 1.5}'
    assert list(hosts_in(text)) == ["a.mongo.cosmos.azure.com", "appsettings.json"]
    assert has_suffix("a.b.azure.com", "*.azure.com") and not has_suffix("notazure.com", "azure.com")


FILES = {
    "ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ratings\n  labels:\n"
    "    hubguard.io/data-classification: pii\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n",
    "w.yaml": "\n---\n".join(
        f"apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n{spec}"
        for kind, name, ns, spec in [
            ("Deployment", "api", "ratings", "  template:\n    metadata:\n      labels:\n"
             "        hubguard.io/data-classification: public\n"),  # a PII namespace wins over pod labels
            ("Deployment", "web", "shop", "  template:\n    metadata:\n      labels: {app: web}\n"),
            ("CronJob", "export", "shop", "  jobTemplate:\n    spec:\n      template:\n        metadata:\n"
             "          labels: {hubguard.io/data-classification: pii}\n"),
            ("StatefulSet", "db", "vault", "  template:\n    metadata: {}\n"),
        ]
    ),
}


@pytest.mark.parametrize(
    "policy, workloads, namespaces",
    [
        ({}, ["Deployment/ratings/api", "CronJob/shop/export"], {"ratings", "shop"}),
        ({"pii": {"namespaces": ["vault"]}}, ["Deployment/ratings/api", "CronJob/shop/export", "StatefulSet/vault/db"],
         {"ratings", "shop", "vault"}),
        ({"pii": {"values": ["restricted"]}}, [], set()),
    ],
)
def test_pii_classification(policy, workloads, namespaces):
    repo = repo_from_files(FILES, policy=policy)
    hub = repo.hubs["a"]
    assert sorted(w.ref for w in pii_workloads(hub, repo.policy.pii)) == sorted(workloads)
    assert pii_namespaces(hub, repo.policy.pii) == namespaces
