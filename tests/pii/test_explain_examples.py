"""`hubguard explain` shows the FAIL and PASS examples of the rules issue 21 changed."""

from __future__ import annotations

import pytest
from hubguard.cli import main

# (rule, text of its FAIL example(s), text of its PASS example)
EXAMPLES = [
    ("ha/backup-offsite", ["value: mongodb://10.10.4.4:27017/backup"], ["mongodb://[fd00:20::5]:27017/backup"]),
    ("pii/public-egress", ["except: [169.254.169.254/32]", "{protocol: UDP, port: 53}"],
     ["except: [10.11.0.0/16]", "{port: https}"]),
    ("pii/public-endpoint", ["host: ratings.westeurope.cloudapp.azure.com", "loadBalancerIP: 20.61.15.7", "enabled: true",
                             'hostnames: ["{{ .Release.Name }}.example.net"]', "metallb.io/loadBalancerIPs: 20.61.15.10"],
     ["host: ratings.seattle.corp.example", "loadBalancerSourceRanges: [10.10.0.0/16]", "Ingress stays off",
      "app-template Ingress is turned off", "lbipam.cilium.io/ips: 172.16.40.7"]),
    ("pii/telemetry-export", ["value: http://otel-collector.monitoring.svc:4317", "exporters: [azuremonitor]"],
     ["endpoint: tempo.monitoring.svc:4317"]),
    ("pii/log-collection", ["k8s: {type: kubernetes_logs}", "endpoint: https://logs-prod-eu-west-0.grafana.net"],
     ["extra_field_selector: metadata.namespace!=ratings"]),
    ("pii/no-egress-policy", ["policyTypes: [Ingress]", "hostNetwork: true"], ["policyTypes: [Egress]"]),
]


@pytest.mark.parametrize(("rule_id", "fail", "passing"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_explain_shows_the_examples(capsys, rule_id, fail, passing):
    assert main(["explain", rule_id]) == 0
    text = capsys.readouterr().out.split("How to fix:")[0]
    fail_part, _, pass_part = text.partition("PASS")
    assert "FAIL" in fail_part and pass_part
    assert all(snippet in fail_part for snippet in fail), fail_part
    assert all(snippet in pass_part for snippet in passing), pass_part
