"""Which workloads of a hub handle personal data (SPEC "Hubs, rendering and classification").

A workload is PII when its namespace carries the policy's label with one of its values, when its
pod template does, or when its namespace is listed in `pii.namespaces`. A workload in a PII
namespace is PII whatever its own labels say: a namespace label cannot be opted out of per pod.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from hubguard.model import HubInventory, K8sObject
from hubguard.policy import PiiPolicy
from hubguard.rules.pii.hosts import HostClassifier
from hubguard.rules.workloads import POD_KINDS, PodTemplate, pod_template


@dataclass(frozen=True)
class PiiWorkload:
    obj: K8sObject
    template: PodTemplate
    namespace: str  # effective namespace ("default" when the object names none)
    reason: str  # why it is PII, for messages

    @property
    def ref(self) -> str:
        return self.obj.ref


def namespace_of(obj: K8sObject) -> str:
    return obj.namespace or "default"


def has_pii_label(labels: dict, pii: PiiPolicy) -> bool:
    value = (labels or {}).get(pii.label)
    return value is not None and str(value) in pii.values


def namespace_reason(hub: HubInventory, namespace: str, pii: PiiPolicy) -> str | None:
    if namespace in pii.namespaces:
        return f"namespace {namespace} is listed in pii.namespaces"
    labels = hub.namespace_labels(namespace)
    if has_pii_label(labels, pii):
        return f"namespace {namespace} is labelled {pii.label}={labels[pii.label]}"
    return None


def pii_workloads(hub: HubInventory, pii: PiiPolicy) -> list[PiiWorkload]:
    found: list[PiiWorkload] = []
    for obj in hub.of_kind(*POD_KINDS):
        template = pod_template(obj)
        if template is None:
            continue
        namespace = namespace_of(obj)
        reason = namespace_reason(hub, namespace, pii)
        if reason is None and has_pii_label(template.labels, pii):
            reason = f"its pod template is labelled {pii.label}={template.labels[pii.label]}"
        if reason is not None:
            found.append(PiiWorkload(obj, template, namespace, reason))
    return found


def hub_namespaces(hub: HubInventory) -> set[str]:
    """Namespaces that exist on the hub: declared, or holding some object."""
    names = {o.name for o in hub.of_kind("Namespace") if o.name}
    names.update(o.namespace for o in hub.objects if o.namespace)
    return names


def pii_namespaces(hub: HubInventory, pii: PiiPolicy) -> set[str]:
    """Namespaces whose container logs hold personal data: PII namespaces present on the hub and
    every namespace where a PII workload runs (log agents exclude by namespace, not by pod)."""
    present = hub_namespaces(hub)
    names = {ns for ns in present if namespace_reason(hub, ns, pii)}
    names.update(w.namespace for w in pii_workloads(hub, pii))
    return names


def host_classifier(hub: HubInventory, policy, extra_onprem: Iterable[str] = ()) -> HostClassifier:
    """On-prem knowledge for this hub: policy domains, the CIDRs of every hub (cross-hub traffic over
    the site-to-site VPN is on-prem), and the namespaces that make `svc.namespace` names local."""
    return HostClassifier(
        onprem_domains=tuple(policy.pii.onprem_domains) + tuple(extra_onprem),
        onprem_cidrs=policy.all_onprem_cidrs,
        cluster_namespaces=frozenset(hub_namespaces(hub)),
    )
