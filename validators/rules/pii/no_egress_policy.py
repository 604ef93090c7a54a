"""pii/no-egress-policy: every workload that handles personal data has its egress restricted."""

from __future__ import annotations

from typing import Iterator

from hubguard.findings import Finding, Severity
from hubguard.model import HubInventory
from hubguard.rules.pii.classification import pii_workloads
from hubguard.rules.pii.network_policy import egress_for, governed_by_network_policy
from hubguard.rules.registry import Rule, RuleContext, Scope


def check(hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    policies = hub.of_kind("NetworkPolicy")
    for workload in pii_workloads(hub, ctx.policy.pii):
        if not governed_by_network_policy(workload.template):
            yield ctx.finding(
                f"{workload.ref} handles personal data ({workload.reason}) and runs with hostNetwork: true, so its "
                "egress is not governed by NetworkPolicy (most network plugins do not apply policies to host-network "
                "pods); run it on the pod network",
                workload.obj.locate(*workload.template.at("spec", "hostNetwork")),
                hub=hub.name,
                obj=workload.obj,
                key=f"{workload.ref}:hostNetwork",
            )
            continue
        view = egress_for(workload.namespace, workload.template.labels, policies)
        if view.restricted:
            continue
        if view.selecting:
            why = f"NetworkPolicy {', '.join(p.name for p in view.selecting)} selects it but restricts only ingress"
        else:
            why = f"no NetworkPolicy in namespace {workload.namespace} selects its pods"
        yield ctx.finding(
            f"{workload.ref} handles personal data ({workload.reason}) but its egress is unrestricted: {why}; "
            "add a default-deny Egress policy with allowances to in-cluster and on-prem destinations",
            workload.obj.locate("metadata", "name"),
            hub=hub.name,
            obj=workload.obj,
        )


RULE = Rule(
    id="pii/no-egress-policy",
    severity=Severity.ERROR,
    scope=Scope.HUB,
    summary="A workload that handles personal data has no NetworkPolicy restricting its egress.",
    doc="""Personal data must stay on the premises. Kubernetes lets a pod send traffic anywhere until a
NetworkPolicy with `Egress` in its `policyTypes` selects it (a policy with `egress` rules and no
`policyTypes` counts too). Policies are additive; one that restricts only ingress leaves egress
open. A pod with `hostNetwork: true` shares its node's network: most network plugins apply no
NetworkPolicy to it, so its egress is reported as not governed even when a policy selects it.
Checked per hub, for every pod-bearing workload classified as PII (namespace or pod-template
label `hubguard.io/data-classification: pii`, or a namespace in the policy's `pii.namespaces`).

FAIL (namespace ratings is labelled pii; the only policy restricts ingress):

    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: allow-web, namespace: ratings}
    spec:
      podSelector: {}
      policyTypes: [Ingress]
      ingress:
      - from: [{podSelector: {matchLabels: {app: ratings-web}}}]

FAIL (a host-network pod: the default-deny policy below does not govern it):

    kind: Deployment
    metadata: {name: ratings-api, namespace: ratings}
    spec:
      template:
        spec:
          hostNetwork: true

PASS (the pod network, with a policy that restricts egress):

    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: default-deny-egress, namespace: ratings}
    spec:
      podSelector: {}
      policyTypes: [Egress]
""",
    remediation="""Add a default-deny egress policy to the namespace, then allow only in-cluster peers, DNS and
the on-prem CIDRs (see `hubguard explain pii/public-egress` for a complete example):

    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: default-deny-egress, namespace: ratings}
    spec:
      podSelector: {}
      policyTypes: [Egress]

If the workload does not handle personal data, remove the `hubguard.io/data-classification: pii`
label (or the namespace from `pii.namespaces`). To accept the risk for one workload, annotate it
`hubguard.io/ignore: "pii/no-egress-policy"` with a `hubguard.io/ignore-reason` (pii/* suppressions
need a reason).""",
    check=check,
)

RULES = [RULE]
