"""ha/engine-overlap: every object of a hub is managed by one GitOps engine, never by Flux and Argo CD both."""

from __future__ import annotations

from typing import Iterator

from hubguard.findings import Finding, Severity
from hubguard.model import HubInventory, K8sObject
from hubguard.rules.registry import Rule, RuleContext, Scope

ENGINE_NAMES = {"flux": "Flux", "argocd": "Argo CD"}


def _flux_release(obj: K8sObject) -> tuple[str, str] | None:
    """(namespace, release name) a Flux HelmRelease installs."""
    if obj.kind != "HelmRelease" or obj.group != "helm.toolkit.fluxcd.io":
        return None
    namespace = obj.get("spec", "targetNamespace") or obj.namespace or "default"
    name = obj.get("spec", "releaseName") or (
        f"{obj.get('spec', 'targetNamespace')}-{obj.name}" if obj.get("spec", "targetNamespace") else obj.name)
    return str(namespace), str(name)


def _argo_releases(obj: K8sObject) -> Iterator[tuple[tuple[str, str], tuple]]:
    """((namespace, release name), path of the chart field) of each Helm chart an Argo CD Application installs."""
    if obj.kind != "Application" or obj.group != "argoproj.io":
        return
    namespace = str(obj.get("spec", "destination", "namespace") or "default")
    sources = [(obj.get("spec", "source"), ("spec", "source"))]
    sources += [(src, ("spec", "sources", i)) for i, src in enumerate(obj.get("spec", "sources") or [])]
    for src, path in sources:
        if isinstance(src, dict) and src.get("chart"):
            release = (src.get("helm") or {}).get("releaseName") if isinstance(src.get("helm"), dict) else None
            yield (namespace, str(release or obj.name)), (*path, "chart")


def check_engine_overlap(hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    # 1. One object reached through a Flux Kustomization and through an Argo CD Application.
    for obj in hub.objects:
        engines = hub.engines_of(obj)
        if len(engines) < 2:
            continue
        via = ", ".join(f"{ENGINE_NAMES[e]} ({where.path}:{where.line})" for e, where in sorted(engines.items()))
        yield ctx.finding(
            f"{obj.kind} {obj.name} is managed by two GitOps engines on hub {hub.name}: {via}; they overwrite "
            "and prune each other's changes. Bootstrap the hub with one engine",
            obj.locate("metadata", "name"), hub=hub.name, obj=obj,
        )
    # 2. One Helm release installed by a Flux HelmRelease and by an Argo CD Application.
    flux = {key: obj for obj in hub.objects if (key := _flux_release(obj)) is not None}
    for obj in hub.of_kind("Application"):
        for key, path in _argo_releases(obj):
            other = flux.get(key)
            if other is None:
                continue
            yield ctx.finding(
                f"Helm release {key[1]} in namespace {key[0]} is installed on hub {hub.name} by Argo CD Application "
                f"{obj.name} and by Flux HelmRelease {other.name} ({other.source.path}:{other.source.line}); "
                "each hub runs one engine",
                obj.locate(*path), hub=hub.name, obj=obj,
            )


ENGINE_OVERLAP = Rule(
    id="ha/engine-overlap",
    severity=Severity.ERROR,
    scope=Scope.HUB,
    summary="An object or Helm release of a hub is managed by two GitOps engines (Flux and Argo CD).",
    doc="""Each hub is bootstrapped by exactly one GitOps engine. When Flux and Argo CD both manage an
object on one hub, each reverts the other's changes and prunes what the other created: the hub
flaps, and an engine upgrade or a prune can take the application down — an availability fault,
hence an `ha/` rule. The rule reads what each hub receives: an object reached both through a Flux
`Kustomization` (`spec.path`) and through an Argo CD `Application`/`ApplicationSet` source path is a
finding (at the object, for the hub), and so is a Helm release (namespace and release name)
installed both by a Flux `HelmRelease` and by an Argo CD Application with a `chart` source.
Objects applied by hand from a hub's roots (the bootstrap) are not managed by an engine.

FAIL: `clusters/seattle/bootstrap/` holds a Flux Kustomization with `path: ./apps/ratings` and an
Argo CD Application with `source.path: apps/ratings`: every object of apps/ratings is managed twice.

FAIL: the hub receives HelmRelease `ingress-nginx` (`targetNamespace: ingress-nginx`) from Flux and
an Argo CD Application installing chart ingress-nginx as release `ingress-nginx` into `ingress-nginx`.

PASS: seattle's bootstrap holds the Flux entry only and munich's the Argo CD entry only; the
shared folders (apps/, infrastructure/) are reached by one engine per hub.
""",
    remediation="""Pick one engine per hub and keep only its entry point in that hub's roots, e.g. on an
Argo CD hub `clusters/munich/bootstrap/` holds the app of apps and no Flux Kustomization:

    apiVersion: argoproj.io/v1alpha1
    kind: Application
    metadata: {name: hub-munich, namespace: argocd}
    spec:
      source: {path: clusters/munich/argocd}

In a repository generated by `hubguard new`, give each hub its own `gitops_engine` (flux or
argocd). There is no threshold to tune; a deliberate, temporary overlap (a migration from one
engine to the other) is suppressed on the object with the annotations
`hubguard.io/ignore: ha/engine-overlap` and `hubguard.io/ignore-reason`.""",
    check=check_engine_overlap,
)

RULES = [ENGINE_OVERLAP]
