"""schema/flux-kubernetes: a Flux hub's Kubernetes version is one its Flux release supports.

The supported range of each Flux minor release is the template's table (FLUX_KUBERNETES in
hooks/hubinputs.py, with its sources), so that `hubguard new` refuses and `hubguard validate`
reports the same pairs.
"""

from __future__ import annotations

import functools
from typing import Iterator

from hubguard.errors import HubguardError
from hubguard.findings import Finding, Severity
from hubguard.generator.new_repository import template_root
from hubguard.generator.template_record import hook_module
from hubguard.model import HubInventory
from hubguard.policy import POLICY_FILE
from hubguard.rules.ha.common import policy_location
from hubguard.rules.registry import Rule, RuleContext, Scope
from hubguard.rules.schema.kubernetes_schemas import hub_flux, parse_version, version_text


@functools.lru_cache(maxsize=1)
def supported_ranges() -> dict[tuple[int, int], tuple[tuple[int, int], tuple[int, int]]]:
    """Flux minor -> (lowest, highest) Kubernetes minor it supports; empty without the template."""
    try:
        table = hook_module(template_root(), "hubinputs").FLUX_KUBERNETES
    except (HubguardError, AttributeError):
        return {}
    return {parse_version(flux): (parse_version(low), parse_version(high)) for flux, (low, high) in table.items()}


def check_flux_kubernetes(hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    kubernetes = parse_version(hub.policy.kubernetes_version)
    running = hub_flux(hub, ctx.repo)
    if kubernetes is None or running is None:
        return  # an Argo CD hub, or one whose versions are not declared
    flux, said_in = running
    supported = supported_ranges().get(flux)
    if supported is None or supported[0] <= kubernetes <= supported[1]:
        return  # a Flux release whose range is not known is not judged
    low, high = supported
    source = "its flux_version" if said_in == POLICY_FILE else f"the release `flux bootstrap` wrote in {said_in}"
    yield ctx.finding(
        f"hub {hub.name} runs Flux {version_text(flux)} ({source}), which supports Kubernetes {version_text(low)} "
        f"to {version_text(high)}; the hub's kubernetes_version is {hub.policy.kubernetes_version}",
        policy_location(ctx.repo, "hubs", hub.name, "kubernetes_version"), hub=hub.name,
    )


FLUX_KUBERNETES = Rule(
    id="schema/flux-kubernetes",
    severity=Severity.WARNING,
    scope=Scope.HUB,
    summary="A Flux hub's Kubernetes version is outside the range its Flux release supports.",
    doc="""Each Flux minor release supports the three newest Kubernetes minors of its time (its
announcement's "Supported Versions": Flux 2.8 supports 1.33 to 1.35, Flux 2.9 1.34 to 1.36).
Outside that range the controllers are not tested and not supported upstream, and `flux check`
fails below its own minimum. The hub's Flux release is its policy `flux_version`, else the release
`flux bootstrap` wrote atop the hub's `gotk-components.yaml`; its Kubernetes version is the policy's
`kubernetes_version`. The finding is at that `kubernetes_version`. Hubs without Flux, without a
declared Kubernetes version, or with a Flux release whose range hubguard does not know (older than
2.3, newer than 2.9) are not judged. `hubguard new` refuses the same pairs.

FAIL: `hubs: {seattle: {kubernetes_version: "1.33", flux_version: "2.9"}}`: Flux 2.9 supports 1.34 to 1.36.

PASS: `hubs: {seattle: {kubernetes_version: "1.33", flux_version: "2.8"}}`: Flux 2.8 supports 1.33 to 1.35.
""",
    remediation="""Run a Flux release that supports the hub's Kubernetes, or upgrade the cluster into the
release's range: `flux bootstrap git ... --version=v2.8.8` for a hub at 1.33, then set the hub's
`flux_version: "2.8"` in `.hubguard.yaml`. A deliberate exception (an upgrade in progress) is
suppressed on the line with `# hubguard: ignore[schema/flux-kubernetes] reason`, or turned off
with `rules: {schema/flux-kubernetes: {enabled: false}}`.""",
    check=check_flux_kubernetes,
)

RULES = [FLUX_KUBERNETES]
