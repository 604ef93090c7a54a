"""pii/telemetry-export is the one rule for every telemetry export form — SDK variables, connection
strings, collector exporters (a sidecar's, or the in-cluster collector a workload sends to) and
SaaS agents — and pii/public-endpoint reports none of them (real rendered repositories)."""

from __future__ import annotations

import textwrap

import pytest
from testkit import PII_NAMESPACE, deployment, flux_hub_repo, line_of

NAMESPACES = PII_NAMESPACE + "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: monitoring\n"


def api(env: str = "", containers: str = "", volumes: str = "") -> str:
    text = deployment("ratings-api", replicas=2, namespace="ratings", labels="{app: ratings-api}")
    text += "        env:\n        - {name: LOG_LEVEL, value: info}\n"
    text += textwrap.indent(textwrap.dedent(env), " " * 8) if env else ""
    text += textwrap.indent(textwrap.dedent(containers), " " * 6) if containers else ""
    text += "      volumes:\n" + textwrap.indent(textwrap.dedent(volumes), " " * 6) if volumes else ""
    return text


def collector_config(name: str, namespace: str, exporter: str) -> str:
    return (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {namespace}\ndata:\n"
            "  collector.yaml: |\n    receivers:\n      otlp:\n        protocols: {grpc: {}}\n    exporters:\n"
            + textwrap.indent(textwrap.dedent(exporter).strip("\n"), " " * 6) + "\n"
            f"    service:\n      pipelines:\n        traces: {{receivers: [otlp], exporters: [{exporter.split(':')[0].strip()}]}}\n")


SIDECAR = """\
- name: otel
  image: otel/opentelemetry-collector-contrib:0.110.0
  args: [--config=/conf/collector.yaml]
  volumeMounts: [{name: otel-config, mountPath: /conf}]
"""
SIDECAR_VOLUME = "- name: otel-config\n  configMap: {name: otel-sidecar}\n"
OTLP_TO_COLLECTOR = "- {name: OTEL_EXPORTER_OTLP_ENDPOINT, value: 'http://otel-collector.monitoring.svc:4317'}\n"
COLLECTOR_CR = textwrap.dedent("""\
    apiVersion: opentelemetry.io/v1beta1
    kind: OpenTelemetryCollector
    metadata:
      name: otel
      namespace: monitoring
    spec:
      config:
        receivers:
          otlp:
            protocols: {grpc: {}}
        exporters:
          datadog:
            api: {site: datadoghq.eu}
        service:
          pipelines:
            traces: {receivers: [otlp], exporters: [datadog]}
    """)
COLLECTOR_DEPLOYMENT = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: otel-collector
      namespace: monitoring
    spec:
      selector:
        matchLabels: {app: otel-collector}
      template:
        metadata:
          labels: {app: otel-collector}
        spec:
          containers:
          - name: otel
            image: otel/opentelemetry-collector-contrib:0.110.0
          volumes:
          - name: config
            configMap: {name: otel-config}
    ---
    apiVersion: v1
    kind: Service
    metadata:
      name: otel-collector
      namespace: monitoring
    spec:
      selector: {app: otel-collector}
      ports:
      - port: 4317
    """)

# (id, files beside the namespaces, [(file, needle of the reported line)])
CASES = [
    ("sidecar-collector-to-azure-monitor",
     {"api.yaml": api(containers=SIDECAR, volumes=SIDECAR_VOLUME),
      "otel.yaml": collector_config("otel-sidecar", "ratings", "azuremonitor:\n  connection_string: ${env:CONN}\n")},
     [("otel.yaml", "      azuremonitor:")]),
    ("sidecar-collector-to-saas-endpoint",
     {"api.yaml": api(containers=SIDECAR, volumes=SIDECAR_VOLUME),
      "otel.yaml": collector_config("otel-sidecar", "ratings", "otlphttp:\n  endpoint: https://otlp.eu01.nr-data.net\n")},
     [("otel.yaml", "      otlphttp:")]),
    ("sidecar-collector-onprem",
     {"api.yaml": api(containers=SIDECAR, volumes=SIDECAR_VOLUME),
      "otel.yaml": collector_config("otel-sidecar", "ratings", "otlp:\n  endpoint: tempo.monitoring.svc:4317\n")}, []),
    ("otlp-to-collector-resource-exporting-to-datadog",
     {"api.yaml": api(env=OTLP_TO_COLLECTOR), "collector.yaml": COLLECTOR_CR}, [("api.yaml", "OTEL_EXPORTER_OTLP_ENDPOINT")]),
    ("otlp-to-collector-deployment-exporting-to-saas",
     {"api.yaml": api(env=OTLP_TO_COLLECTOR), "collector.yaml": COLLECTOR_DEPLOYMENT,
      "otel.yaml": collector_config("otel-config", "monitoring", "otlp:\n  endpoint: api.honeycomb.io:443\n")},
     [("api.yaml", "OTEL_EXPORTER_OTLP_ENDPOINT")]),
    ("otlp-to-collector-deployment-onprem",
     {"api.yaml": api(env=OTLP_TO_COLLECTOR), "collector.yaml": COLLECTOR_DEPLOYMENT,
      "otel.yaml": collector_config("otel-config", "monitoring", "otlp:\n  endpoint: tempo.monitoring.svc:4317\n")}, []),
    ("app-insights-connection-string",
     {"api.yaml": api(env="- name: APPLICATIONINSIGHTS_CONNECTION_STRING\n  value: InstrumentationKey=abc;"
                          "IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/\n")},
     [("api.yaml", "value: InstrumentationKey")]),
    ("datadog-agent-host-from-node",
     {"api.yaml": api(env="- name: DD_AGENT_HOST\n  valueFrom:\n    fieldRef: {fieldPath: status.hostIP}\n")},
     [("api.yaml", "name: DD_AGENT_HOST")]),
    ("honeycomb-key-from-secret",
     {"api.yaml": api(env="- name: HONEYCOMB_API_KEY\n  valueFrom:\n    secretKeyRef: {name: honeycomb, key: key}\n")},
     [("api.yaml", "name: HONEYCOMB_API_KEY")]),
    ("new-relic-agent-sidecar",
     {"api.yaml": api(containers="- name: newrelic\n  image: newrelic/infrastructure-k8s:3.29.0\n")},
     [("api.yaml", "image: newrelic/")]),
    ("datadog-agent-sidecar",
     {"api.yaml": api(containers="- name: datadog\n  image: gcr.io/datadoghq/agent:7\n")}, [("api.yaml", "image: gcr.io/datadoghq")]),
]



@pytest.mark.parametrize(("files", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_every_form_is_telemetry_export(make_repo, validate_json, files, expected):
    root = make_repo(flux_hub_repo({"namespaces.yaml": NAMESPACES, **files}))
    _, report = validate_json(root, "--select", "pii/telemetry-export", "--select", "pii/public-endpoint")
    found = [(f["rule"], f["path"], f["line"], f["hub"]) for f in report["findings"]]
    assert found == [("pii/telemetry-export", f"apps/base/{name}", line_of(files[name], needle), None)
                     for name, needle in expected]
    assert all("exports telemetry off the premises" in f["message"] for f in report["findings"])
