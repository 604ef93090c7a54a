"""pii/telemetry-export and pii/public-endpoint: what a PII workload's configuration points at."""

from __future__ import annotations

import base64

import pytest
from testkit import repo_from_files, run_rule, where

NS = """\
apiVersion: v1
kind: Namespace
metadata:
  name: {ns}
  labels:
    hubguard.io/data-classification: {cls}
"""

WORKLOAD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: {ns}
spec:
  template:
    metadata:
      labels:
        app: api
    spec:
      volumes:
      - name: settings
        configMap:
          name: files
      containers:
      - name: api
        image: api:1
        envFrom:
        - configMapRef:
            name: env
          prefix: {prefix}
        - secretRef:
            name: secret-env
        env:
        - name: {name}
          value: "{value}"
        - name: FROM_CM
          valueFrom:
            configMapKeyRef: {{name: env, key: ENDPOINT}}
"""

CONFIGMAPS = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: env
  namespace: {ns}
data:
  {key}: "{value}"
  ENDPOINT: "{endpoint}"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: files
  namespace: {ns}
data:
  appsettings.json: |
    {{"Logging": {{"Level": "Info"}},
     "Conn": "{file_value}"}}
---
apiVersion: v1
kind: Secret
metadata:
  name: secret-env
  namespace: {ns}
data:
  {secret_key}: {secret_value}
"""

AI_CS = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/"


def repo(ns="ratings", cls="pii", name="LOG_LEVEL", value="info", prefix="''", key="MODE", cm_value="x",
         endpoint="http://localhost", file_value="none", secret_key="OTHER", secret_value="eA==", policy=None):
    files = {
        "ns.yaml": NS.format(ns=ns, cls=cls),
        "deploy.yaml": WORKLOAD.format(ns=ns, name=name, value=value, prefix=prefix),
        "cm.yaml": CONFIGMAPS.format(ns=ns, key=key, value=cm_value, endpoint=endpoint, file_value=file_value,
                                     secret_key=secret_key, secret_value=secret_value),
    }
    return repo_from_files(files, policy=policy or {"pii": {"onprem_domains": ["corp.example"]},
                                                     "hubs": {"a": {"onprem_cidrs": ["10.10.0.0/16"]}}})


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({}, []),
        ({"name": "APPINSIGHTS_INSTRUMENTATIONKEY", "value": "0000-1111"}, [("deploy.yaml", 27)]),
        ({"name": "APPINSIGHTS_INSTRUMENTATIONKEY", "value": "${AI_KEY}"}, []),  # a placeholder configures nothing
        ({"name": "APPLICATIONINSIGHTS_CONNECTION_STRING", "value": AI_CS}, [("deploy.yaml", 27)]),
        ({"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "https://otlp.eu01.nr-data.net:4317"}, [("deploy.yaml", 27)]),
        ({"name": "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "value": "http://collector.monitoring.svc:4318"}, []),
        ({"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector:4317"}, []),
        ({"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://10.10.3.4:4317"}, []),
        ({"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://192.0.2.10:4317"}, [("deploy.yaml", 27)]),
        ({"name": "SENTRY_DSN", "value": "https://abc@o1.ingest.sentry.io/5"}, [("deploy.yaml", 27)]),
        ({"name": "SENTRY_DSN", "value": "https://abc@sentry.corp.example/5"}, []),
        ({"name": "DD_SITE", "value": "datadoghq.eu"}, [("deploy.yaml", 27)]),
        # envFrom a ConfigMap: the finding is at the ConfigMap key, with the prefix applied
        ({"key": "NEW_RELIC_LICENSE_KEY", "cm_value": "abcd"}, [("cm.yaml", 7)]),
        ({"key": "LICENSE_KEY", "cm_value": "abcd", "prefix": "NEW_RELIC_"}, [("cm.yaml", 7)]),
        # valueFrom a ConfigMap key, under the name of the env var
        ({"name": "X", "value": "y", "endpoint": "https://in.applicationinsights.azure.com"}, []),
        # envFrom a Secret: key names still tell
        ({"secret_key": "DD_API_KEY", "secret_value": b64("abcdefgh")}, [("cm.yaml", 26)]),
        # a mounted file with a connection string
        ({"file_value": AI_CS}, [("cm.yaml", 18)]),
        # not PII: nothing
        ({"cls": "public", "name": "APPINSIGHTS_INSTRUMENTATIONKEY", "value": "0000-1111"}, []),
        # extensible
        ({"name": "MYAPM_URL", "value": "https://apm.example.net",
          "policy": {"rules": {"pii/telemetry-export": {"extra_variables": {"MYAPM_*": "endpoint"}}}}},
         [("deploy.yaml", 27)]),
    ],
)
def test_telemetry_export(kwargs, expected):
    findings = run_rule("pii/telemetry-export", repo(**kwargs))
    assert where(findings) == [("pii/telemetry-export", path, line) for path, line in expected]
    for finding in findings:
        assert finding.hub == "a"
        assert "0000-1111" not in finding.message and "abcd" not in finding.message


def test_telemetry_value_from_configmap_key():
    r = repo(name="X", endpoint="x")
    r.hubs["a"].objects[1].data["spec"]["template"]["spec"]["containers"][0]["env"][1]["name"] = "SENTRY_DSN"
    r.hubs["a"].objects[2].data["data"]["ENDPOINT"] = "https://k@o1.ingest.sentry.io/1"
    assert where(run_rule("pii/telemetry-export", r)) == [("pii/telemetry-export", "cm.yaml", 8)]


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({}, []),
        ({"name": "MONGO", "value": "mongodb://u@ratings.mongo.cosmos.azure.com:10255/"}, [("deploy.yaml", 27)]),
        ({"name": "STORE", "value": "https://acct.blob.core.windows.net/x"}, [("deploy.yaml", 27)]),
        ({"name": "STORE", "value": "https://acct.blob.local.azurestack.external/x"}, []),  # the Azure Stack stamp
        ({"name": "STORE", "value": "https://files.azure.corp.example/x"}, []),  # pii.onprem_domains
        ({"name": "S3", "value": "s3.eu-west-1.amazonaws.com"}, [("deploy.yaml", 27)]),
        ({"name": "HOME_PAGE", "value": "https://mywindows.net"}, []),  # label-wise suffix match only
        ({"name": "DB", "value": "mongodb://mongodb.ratings.svc.cluster.local:27017"}, []),
        ({"endpoint": "https://storage.googleapis.com/bucket"}, [("cm.yaml", 8)]),
        ({"file_value": "https://ratings.azurewebsites.net/api"}, [("cm.yaml", 18)]),
        ({"secret_key": "URL", "secret_value": b64("https://x.servicebus.windows.net")}, [("cm.yaml", 26)]),
        ({"cls": "public", "name": "STORE", "value": "https://acct.blob.core.windows.net/x"}, []),
        ({"name": "API", "value": "https://api.example-saas.com",
          "policy": {"rules": {"pii/public-endpoint": {"extra_public_suffixes": ["example-saas.com"]}}}},
         [("deploy.yaml", 27)]),
    ],
)
def test_public_endpoint(kwargs, expected):
    findings = run_rule("pii/public-endpoint", repo(**kwargs))
    assert where(findings) == [("pii/public-endpoint", path, line) for path, line in expected]
    assert all(f.hub == "a" for f in findings)


EXTERNAL = """\
apiVersion: v1
kind: Service
metadata:
  name: cosmos
  namespace: {ns}
spec:
  type: ExternalName
  externalName: {target}
"""


@pytest.mark.parametrize(
    "ns, target, db_host, expected",
    [
        ("ratings", "ratings.mongo.cosmos.azure.com", "mongodb.ratings.svc", [("svc.yaml", 8)]),
        ("ratings", "mongo.corp.example", "mongodb.ratings.svc", []),
        # an ExternalName Service elsewhere is only a finding when the PII workload uses it
        ("shared", "ratings.mongo.cosmos.azure.com", "mongodb.ratings.svc", []),
        ("shared", "ratings.mongo.cosmos.azure.com", "cosmos.shared.svc.cluster.local", [("deploy.yaml", 27)]),
        ("shared", "ratings.mongo.cosmos.azure.com", "cosmos.shared", [("deploy.yaml", 27)]),
    ],
)
def test_public_endpoint_external_name(ns, target, db_host, expected):
    r = repo(name="DB", value=f"mongodb://{db_host}:27017")
    files = {"svc.yaml": EXTERNAL.format(ns=ns, target=target)}
    extra = repo_from_files(files).hubs["a"].objects
    r.hubs["a"].objects.extend(extra)
    r.hubs["a"].__dict__.pop("_by_key", None)
    r.hubs["a"].__dict__.pop("_by_kind", None)
    r.files.extend(repo_from_files(files).files)
    findings = run_rule("pii/public-endpoint", r)
    assert where(findings) == [("pii/public-endpoint", path, line) for path, line in expected]
