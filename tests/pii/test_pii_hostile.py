"""Malformed objects never crash a pii/* rule: the API server would refuse them, hubguard reports on."""

from __future__ import annotations

import pytest
from hubguard.rules.registry import matching
from testkit import repo_from_files, run_rule

NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ratings\n  labels: {hubguard.io/data-classification: pii}\n"
HEAD = "apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {ns}\n"

ODD = [
    ("networking.k8s.io/v1", "NetworkPolicy", "spec: null\n"),
    ("networking.k8s.io/v1", "NetworkPolicy", "spec: {podSelector: [], policyTypes: Egress, egress: 5}\n"),
    ("networking.k8s.io/v1", "NetworkPolicy",
     "spec:\n  podSelector: {}\n  egress: [x, {to: 7}, {to: [x, {ipBlock: 5}, {ipBlock: {cidr: [1]}}]},"
     " {ports: [{port: 53, endPort: x}, {port: [1]}]}]\n"),
    ("apps/v1", "Deployment", "spec: {template: {spec: {containers: [x, {env: 5, envFrom: [x, {configMapRef: 3}]}]}}}\n"),
    ("apps/v1", "Deployment",
     "spec:\n  template:\n    spec:\n      volumes: [x, {configMap: 1}, {projected: {sources: 3}}]\n"
     "      containers:\n      - env: [{name: A, valueFrom: {configMapKeyRef: {name: [1], key: {}}}}, {name: B, value: null}]\n"
     "        args: [1, null, https://x.blob.core.windows.net]\n"),
    ("v1", "ConfigMap", "data: {log-data-collection-settings: 'log_collection_settings = 5'}\n"),
    ("v1", "ConfigMap", "data:\n  fluent-bit.conf: \"[OUTPUT]\\n  Name azure\\n  Match_Regex ([\\n[INPUT]\\n  Name tail\\n\"\n"),
    ("v1", "ConfigMap", "data: {relay: 'exporters: {x: 1}\n\nservice: {pipelines: {logs: {receivers: [[1]], exporters: 5}}}'}\n"),
    ("v1", "ConfigMap", "data: {fluent-bit.yaml: 'pipeline: {inputs: 5, outputs: [x]}'}\n"),
    ("v1", "ConfigMap", "data: {fluent.conf: \"<match **>\\n</source>\\n</match>\\n</match>\\n\"}\n"),
    ("opentelemetry.io/v1beta1", "OpenTelemetryCollector", "spec: {config: '[unclosed'}\n"),
    ("v1", "Service", "spec: {type: ExternalName, externalName: [1]}\n"),
]


@pytest.mark.parametrize("api, kind, body", ODD)
@pytest.mark.parametrize("rule", [r.id for r in matching(["pii/"])])
def test_odd_objects_do_not_crash(rule, api, kind, body):
    ns = "kube-system" if "log-data" in body else "ratings"
    name = "container-azm-ms-agentconfig" if "log-data" in body else "odd"
    doc = HEAD.format(api=api, kind=kind, name=name, ns=ns) + body
    repo = repo_from_files({"ns.yaml": NS, "odd.yaml": doc})
    assert [o.kind for o in repo.hubs["a"].objects if o.name == name] == [kind]  # the odd object did parse
    findings = run_rule(rule, repo)
    assert all(f.rule == rule and f.hub == "a" for f in findings)
