"""pii/log-collection for every log agent teams deploy — Fluent Bit, Fluentd (and the fluent-operator
resources), Vector, the OpenTelemetry Collector, Promtail, Grafana Alloy, Datadog — in ConfigMaps and
in the Helm values of HelmRelease / Argo CD sources, with the exclusions written in the agent's own
configuration (real rendered repositories)."""

from __future__ import annotations

import textwrap

import pytest
from testkit import PII_NAMESPACE, flux_hub_repo, line_of

NAMESPACES = (PII_NAMESPACE + "---\n"
              "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n"
              "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: monitoring\n")


def config_map(key: str, text: str, name: str = "agent-config") -> str:
    return (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: monitoring\ndata:\n  {key}: |\n"
            + textwrap.indent(textwrap.dedent(text).strip("\n"), "    ") + "\n")


def helm_release(chart: str, values: str) -> str:
    return (f"apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {chart}\n  namespace: monitoring\n"
            f"spec:\n  interval: 1h\n  chart:\n    spec:\n      chart: {chart}\n      sourceRef: {{kind: HelmRepository, name: charts}}\n"
            "  values:\n" + textwrap.indent(textwrap.dedent(values).strip("\n"), "    ") + "\n")


def argo_application(chart: str, values: str) -> str:
    return ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: logs\n  namespace: argocd\nspec:\n"
            "  project: default\n  destination: {server: https://kubernetes.default.svc, namespace: monitoring}\n"
            f"  source:\n    repoURL: https://grafana.github.io/helm-charts\n    chart: {chart}\n    targetRevision: 6.16.6\n"
            "    helm:\n      values: |\n" + textwrap.indent(textwrap.dedent(values).strip("\n"), "        ") + "\n")


VECTOR = """\
sources:
  k8s:
    type: kubernetes_logs@SOURCE@
transforms:
  parsed:
    type: remap
    inputs: [k8s]
    source: '. = parse_json!(.message)'@TRANSFORM@
sinks:
  grafana_cloud:
    type: loki
    inputs: [@INPUT@]
    endpoint: @ENDPOINT@
"""


def vector(source: str = "", transform: str = "", endpoint: str = "https://logs-prod-eu-west-0.grafana.net",
           sink_input: str = "parsed") -> str:
    return (VECTOR.replace("@SOURCE@", source).replace("@TRANSFORM@", transform)
            .replace("@ENDPOINT@", endpoint).replace("@INPUT@", sink_input))


NS_FILTER = ('\n  drop_pii:\n    type: filter\n    inputs: [parsed]\n'
             '    condition: \'.kubernetes.pod_namespace != "ratings"\'')

PROMTAIL = """\
server: {http_listen_port: 3101}
clients:
  - url: https://logs-prod-eu-west-0.grafana.net/loki/api/v1/push
scrape_configs:
  - job_name: kubernetes-pods
    kubernetes_sd_configs:
      - role: pod
    relabel_configs:@RELABEL@
      - source_labels: [__meta_kubernetes_pod_node_name]
        target_label: node
"""
DROP_RATINGS = "\n      - source_labels: [__meta_kubernetes_namespace]\n        action: drop\n        regex: ratings|kube-system"

ALLOY = """\
discovery.kubernetes "pods" {
  role = "pod"
}
discovery.relabel "pods" {
  targets = discovery.kubernetes.pods.targets@RULE@
}
loki.source.kubernetes "pods" {
  targets    = discovery.relabel.pods.output
  forward_to = [loki.write.cloud.receiver]
}
loki.write "cloud" {
  endpoint {
    url = "https://logs-prod-eu-west-0.grafana.net/loki/api/v1/push"
  }
}
"""
ALLOY_DROP = '\n  rule {\n    source_labels = ["__meta_kubernetes_namespace"]\n    regex = "ratings"\n    action = "drop"\n  }'

FLUENT_BIT = """\
[INPUT]
    Name tail
    Path /var/log/containers/*.log
    Tag kube.*
@FILTER@[OUTPUT]
    Name es
    Match kube.*
    Host ratings-logs.es.westeurope.azure.elastic-cloud.com
"""
FB_GREP = "[FILTER]\n    Name grep\n    Match kube.*\n    Exclude $kubernetes['namespace_name'] ^ratings$\n"

FLUENTD = """\
<source>
  @type tail
  path /var/log/containers/*.log
  tag kubernetes.*
</source>
@FILTER@<match kubernetes.**>
  @type s3
  s3_bucket cluster-logs
</match>
"""
FLUENTD_GREP = "<filter kubernetes.**>\n  @type grep\n  <exclude>\n    key $.kubernetes.namespace_name\n    pattern /^ratings$/\n  </exclude>\n</filter>\n"

FB_OPERATOR = """\
apiVersion: fluentbit.fluent.io/v1alpha2
kind: ClusterInput
metadata:
  name: tail
spec:
  tail:
    tag: kube.*
    path: /var/log/containers/*.log
---
apiVersion: fluentbit.fluent.io/v1alpha2
kind: ClusterOutput
metadata:
  name: es
spec:
  matchRegex: (?:kube|service)\\.(.*)
  es:
    host: ratings-logs.es.westeurope.azure.elastic-cloud.com
    port: 443
"""
FB_OPERATOR_GREP = """\
---
apiVersion: fluentbit.fluent.io/v1alpha2
kind: ClusterFilter
metadata:
  name: drop-pii
spec:
  match: kube.*
  filters:
  - grep:
      exclude: "$kubernetes['namespace_name'] ratings"
"""


def fluentd_operator(watched: str) -> str:
    return textwrap.dedent(f"""\
        apiVersion: fluentd.fluent.io/v1alpha1
        kind: ClusterFluentdConfig
        metadata:
          name: all
          labels: {{config.fluentd.fluent.io/enabled: "true"}}
        spec:
          watchedNamespaces: {watched}
          clusterOutputSelector:
            matchLabels: {{output.fluentd.fluent.io/enabled: "true"}}
        ---
        apiVersion: fluentd.fluent.io/v1alpha1
        kind: ClusterOutput
        metadata:
          name: to-s3
          labels: {{output.fluentd.fluent.io/enabled: "true"}}
        spec:
          outputs:
          - s3:
              s3Bucket: cluster-logs
        """)


OTEL_VALUES = """\
mode: daemonset
presets:
  logsCollection: {enabled: true}
config:
  exporters:
    otlphttp:
      endpoint: https://otlp-gateway-prod-eu-west-0.grafana.net/otlp
  service:
    pipelines:
      logs: {exporters: [otlphttp]}
"""

# (id, file text, needle of the reported line or None)
CASES = [
    ("vector-to-grafana-cloud", config_map("vector.yaml", vector()), "grafana_cloud:"),
    ("vector-field-selector-excludes", config_map("vector.yaml", vector(
        source="\n    extra_field_selector: metadata.namespace!=ratings")), None),
    ("vector-namespace-label-selector-excludes", config_map("vector.yaml", vector(
        source="\n    extra_namespace_label_selector: hubguard.io/data-classification!=pii")), None),
    ("vector-filter-transform-excludes", config_map("vector.yaml", vector(transform=NS_FILTER, sink_input="drop_pii")), None),
    ("vector-exclude-paths", config_map("vector.yaml", vector(
        source="\n    exclude_paths_glob_patterns: ['/var/log/pods/ratings_*/**']")), None),
    ("vector-onprem-loki", config_map("vector.yaml", vector(endpoint="http://loki.monitoring.svc:3100")), None),
    ("vector-toml-datadog", config_map("vector.toml", """\
        [sources.k8s]
        type = "kubernetes_logs"

        [sinks.dd]
        type = "datadog_logs"
        inputs = ["k8s"]
        default_api_key = "${DD_API_KEY}"
        """), "[sinks.dd]"),
    ("fluent-bit-to-elastic-cloud", config_map("fluent-bit.conf", FLUENT_BIT.replace("@FILTER@", "")), "[OUTPUT]"),
    ("fluent-bit-grep-excludes", config_map("fluent-bit.conf", FLUENT_BIT.replace("@FILTER@", FB_GREP)), None),
    ("fluentd-to-s3", config_map("fluent.conf", FLUENTD.replace("@FILTER@", "")), "<match kubernetes.**>"),
    ("fluentd-grep-excludes", config_map("fluent.conf", FLUENTD.replace("@FILTER@", FLUENTD_GREP)), None),
    ("fluent-operator-output", FB_OPERATOR, "  es:"),
    ("fluent-operator-grep-excludes", FB_OPERATOR + FB_OPERATOR_GREP, None),
    ("fluentd-operator-all-namespaces", fluentd_operator("[]"), "- s3:"),
    ("fluentd-operator-watches-others", fluentd_operator("[shop, monitoring]"), None),
    ("promtail-to-grafana-cloud", config_map("promtail.yaml", PROMTAIL.replace("@RELABEL@", "")), "- url: https://logs-prod"),
    ("promtail-relabel-drops", config_map("promtail.yaml", PROMTAIL.replace("@RELABEL@", DROP_RATINGS)), None),
    ("alloy-to-grafana-cloud", config_map("config.alloy", ALLOY.replace("@RULE@", "")), 'url = "https://logs-prod'),
    ("alloy-relabel-drops", config_map("config.alloy", ALLOY.replace("@RULE@", ALLOY_DROP)), None),
    ("helmrelease-vector", helm_release("vector", "role: Agent\ncustomConfig:\n" + textwrap.indent(vector(), "  ")),
     "grafana_cloud:"),
    ("helmrelease-fluent-bit", helm_release("fluent-bit", "config:\n  outputs: |\n    [OUTPUT]\n        Name loki\n"
                                            "        Match kube.*\n        Host logs-prod-eu-west-0.grafana.net\n"),
     "[OUTPUT]"),
    ("helmrelease-fluent-bit-grep", helm_release("fluent-bit", "config:\n  filters: |\n" + textwrap.indent(FB_GREP, "    ")
                                                 + "  outputs: |\n    [OUTPUT]\n        Name loki\n        Match kube.*\n"
                                                 "        Host logs-prod-eu-west-0.grafana.net\n"), None),
    ("helmrelease-otel-collector-preset", helm_release("opentelemetry-collector", OTEL_VALUES), "otlphttp:"),
    ("helmrelease-datadog", helm_release("datadog", "datadog:\n  site: datadoghq.eu\n  logs:\n    enabled: true\n"
                                         "    containerCollectAll: true\n"), "containerCollectAll"),
    ("helmrelease-datadog-excludes", helm_release("datadog", "datadog:\n  containerExcludeLogs: kube_namespace:ratings\n"
                                                  "  logs:\n    enabled: true\n    containerCollectAll: true\n"), None),
    ("helmrelease-alloy", helm_release("alloy", "alloy:\n  configMap:\n    content: |\n" + textwrap.indent(ALLOY.replace("@RULE@", ""), "      ")),
     'url = "https://logs-prod'),
    ("argocd-promtail-values", argo_application("promtail", "config:\n  clients:\n    - url: https://logs-prod-eu-west-0.grafana.net/loki/api/v1/push\n"),
     "- url: https://logs-prod"),
    ("argocd-promtail-drops", argo_application("promtail", "config:\n  clients:\n    - url: https://logs-prod-eu-west-0.grafana.net/loki/api/v1/push\n"
                                                "  snippets:\n    extraRelabelConfigs:\n      - source_labels: [__meta_kubernetes_namespace]\n"
                                                "        action: drop\n        regex: ratings\n"), None),
]



@pytest.mark.parametrize(("text", "needle"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_log_agents(make_repo, validate_json, text, needle):
    root = make_repo(flux_hub_repo({"namespaces.yaml": NAMESPACES, "agent.yaml": text}))
    _, report = validate_json(root, "--select", "pii/log-collection")
    found = [(f["rule"], f["path"], f["line"], f["hub"]) for f in report["findings"]]
    assert found == ([("pii/log-collection", "apps/base/agent.yaml", line_of(text, needle), None)] if needle else [])
    assert all("ratings" in f["message"] and "shop" not in f["message"] for f in report["findings"])
