"""pii/log-collection: Container Insights agent config and log shippers."""

from __future__ import annotations

import pytest
from testkit import PII_NAMESPACE, repo_from_files, run_rule, where

NS = PII_NAMESPACE

AGENT = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: container-azm-ms-agentconfig
  namespace: kube-system
data:
  schema-version: v1
  log-data-collection-settings: |-
    [log_collection_settings]
       [log_collection_settings.stdout]
          enabled = {out_enabled}
          exclude_namespaces = {out_excluded}
       [log_collection_settings.stderr]
          enabled = true
          exclude_namespaces = {err_excluded}
"""

BOTH = '["kube-system", "ratings"]'
SYSTEM = '["kube-system"]'


@pytest.mark.parametrize(
    "out_enabled, out_excluded, err_excluded, expected",
    [
        ("true", BOTH, BOTH, []),
        ("true", SYSTEM, BOTH, [12]),  # the stdout exclude_namespaces line
        ("true", BOTH, SYSTEM, [15]),
        ("true", SYSTEM, SYSTEM, [12, 15]),
        ("false", SYSTEM, BOTH, []),  # stdout collection disabled
    ],
)
def test_container_insights(out_enabled, out_excluded, err_excluded, expected):
    agent = AGENT.format(out_enabled=out_enabled, out_excluded=out_excluded, err_excluded=err_excluded)
    findings = run_rule("pii/log-collection", repo_from_files({"ns.yaml": NS, "agent.yaml": agent}))
    assert where(findings) == [("pii/log-collection", "agent.yaml", line) for line in expected]
    assert all(f.hub == "a" and f.object == "ConfigMap/kube-system/container-azm-ms-agentconfig" for f in findings)


def test_container_insights_without_pii_namespace():
    agent = AGENT.format(out_enabled="true", out_excluded=SYSTEM, err_excluded=SYSTEM)
    assert run_rule("pii/log-collection", repo_from_files({"agent.yaml": agent})) == []


@pytest.mark.parametrize(
    "settings, expected",
    [
        ("[log_collection_settings.stdout]\n       enabled = true\n", [8, 11]),  # stderr absent: its default, at the key
        ("not = [valid toml\n", [8]),
    ],
)
def test_container_insights_defaults_and_errors(settings, expected):
    agent = AGENT.split("    [log_collection_settings]")[0] + "    [log_collection_settings]\n       " + settings
    findings = run_rule("pii/log-collection", repo_from_files({"ns.yaml": NS, "agent.yaml": agent}))
    assert [f.line for f in findings] == expected


def test_agent_daemonset_without_configmap():
    ds = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: ama-logs\n  namespace: kube-system\n"
    findings = run_rule("pii/log-collection", repo_from_files({"ns.yaml": NS, "ds.yaml": ds}))
    assert where(findings) == [("pii/log-collection", "ds.yaml", 4)]


FLUENT_BIT = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: fluent-bit
  namespace: logging
data:
  fluent-bit.conf: |
    [SERVICE]
        Flush 1
    @INCLUDE input-kubernetes.conf
    [OUTPUT]
        Name  {output}
        Match kube.*
        Host  {host}
  input-kubernetes.conf: |
    [INPUT]
        Name tail
        Tag  kube.*
        Path {path}
        Exclude_Path {exclude}
"""


@pytest.mark.parametrize(
    "output, host, path, exclude, expected",
    [
        ("azure", "-", "/var/log/containers/*.log", "/var/log/containers/*_kube-system_*.log", [11]),
        ("azure", "-", "/var/log/containers/*.log", "/var/log/containers/*_ratings_*.log", []),
        ("azure", "-", "/var/log/containers/*_web_*.log", "x", []),
        ("azure", "-", "/var/log/containers/*_rat*_*.log", "x", [11]),
        ("es", "elasticsearch.logging.svc", "/var/log/containers/*.log", "x", []),
        ("es", "logs.corp.example", "/var/log/containers/*.log", "x", []),
        ("es", "10.10.4.4", "/var/log/containers/*.log", "x", []),
        ("es", "my-deploy.es.westeurope.azure.elastic-cloud.com", "/var/log/containers/*.log", "x", [11]),
        ("forward", "192.0.2.7", "/var/log/containers/*.log", "x", [11]),
        ("cloudwatch_logs", "-", "/var/log/syslog", "x", []),  # not container logs
    ],
)
def test_fluent_bit(output, host, path, exclude, expected):
    cm = FLUENT_BIT.format(output=output, host=host, path=path, exclude=exclude)
    policy = {"hubs": {"a": {"onprem_cidrs": ["10.10.0.0/16"]}}, "pii": {"onprem_domains": ["corp.example"]}}
    findings = run_rule("pii/log-collection", repo_from_files({"ns.yaml": NS, "fb.yaml": cm}, policy=policy))
    assert where(findings) == [("pii/log-collection", "fb.yaml", line) for line in expected]


FLUENT_BIT_YAML = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: fluent-bit
  namespace: logging
data:
  fluent-bit.yaml: |
    pipeline:
      inputs:
        - name: tail
          tag: kube.*
          path: /var/log/containers/*.log
      outputs:
        - name: stdout
          match: "*"
        - name: azure_logs_ingestion
          match: "kube.*"
"""


def test_fluent_bit_yaml():
    findings = run_rule("pii/log-collection", repo_from_files({"ns.yaml": NS, "fb.yaml": FLUENT_BIT_YAML}))
    assert where(findings) == [("pii/log-collection", "fb.yaml", 16)]


FLUENTD = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: fluentd
  namespace: logging
data:
  fluent.conf: |
    <source>
      @type tail
      path /var/log/containers/*.log
      exclude_path {exclude}
      tag kubernetes.*
    </source>
    <match kubernetes.**>
      @type copy
      <store>
        @type elasticsearch
        host elasticsearch.logging.svc
      </store>
      <store>
        @type azure-loganalytics
        customer_id x
      </store>
    </match>
"""


@pytest.mark.parametrize(
    "exclude, expected",
    [
        ('["/var/log/containers/*_kube-system_*.log"]', [20]),
        ('["/var/log/containers/*_kube-system_*.log", "/var/log/containers/*_ratings_*.log"]', []),
    ],
)
def test_fluentd(exclude, expected):
    findings = run_rule("pii/log-collection", repo_from_files({"ns.yaml": NS, "fd.yaml": FLUENTD.format(exclude=exclude)}))
    assert where(findings) == [("pii/log-collection", "fd.yaml", line) for line in expected]


OTEL = """\
apiVersion: opentelemetry.io/v1beta1
kind: OpenTelemetryCollector
metadata:
  name: logs
  namespace: monitoring
spec:
  config:
    receivers:
      filelog:
        include: [/var/log/pods/*/*/*.log]
        exclude: [{exclude}]
    exporters:
      otlphttp:
        endpoint: https://loki.monitoring.svc:3100/otlp
      azuremonitor:
        connection_string: x
    service:
      pipelines:
        logs:
          receivers: [filelog]
          exporters: [otlphttp, azuremonitor]
"""


@pytest.mark.parametrize(
    "exclude, expected",
    [
        ("/var/log/pods/kube-system_*/*/*.log", [15]),
        ("/var/log/pods/ratings_*/*/*.log", []),
    ],
)
def test_otel_collector(exclude, expected):
    files = {"ns.yaml": NS, "otel.yaml": OTEL.format(exclude=exclude)}
    assert where(run_rule("pii/log-collection", repo_from_files(files))) == [
        ("pii/log-collection", "otel.yaml", line) for line in expected
    ]


def test_otel_collector_in_configmap():
    config = OTEL.format(exclude="x").split("  config:\n")[1]
    cm = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: otel\n  namespace: monitoring\ndata:\n"
          "  relay: |\n" + "\n".join("  " + line for line in config.splitlines()) + "\n")
    findings = run_rule("pii/log-collection", repo_from_files({"ns.yaml": NS, "otel.yaml": cm}))
    assert where(findings) == [("pii/log-collection", "otel.yaml", 15)]


def test_namespace_of_pii_workload_counts():
    deploy = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: shop\nspec:\n"
              "  template:\n    metadata:\n      labels:\n        hubguard.io/data-classification: pii\n")
    agent = AGENT.format(out_enabled="true", out_excluded=BOTH, err_excluded=BOTH)
    findings = run_rule("pii/log-collection", repo_from_files({"d.yaml": deploy, "agent.yaml": agent}))
    assert where(findings) == [("pii/log-collection", "agent.yaml", 12), ("pii/log-collection", "agent.yaml", 15)]
    assert "shop" in findings[0].message
