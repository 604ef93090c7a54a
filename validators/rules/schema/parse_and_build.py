"""schema/yaml-error and schema/render-error, the two problems that stop everything else, and
schema/unresolved-reference, a reference the render needs that nothing in the repository provides."""

from __future__ import annotations

from typing import Iterator

from hubguard.findings import Finding, Location, Severity
from hubguard.model import HubInventory, SourceFile
from hubguard.rules.registry import Rule, RuleContext, Scope


def check_yaml(src: SourceFile, ctx: RuleContext) -> Iterator[Finding]:
    if src.error is None or src.kind not in ("yaml", "json"):
        return
    yield ctx.finding(src.error.message, Location(src.path, src.error.line, src.error.column))


def check_render(hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    """The hub's render problems of this rule (schema/render-error or schema/unresolved-reference)."""
    for problem in hub.problems:
        if problem.rule == ctx.rule.id:
            yield ctx.finding(problem.message, problem.location, hub=problem.hub)


YAML_ERROR = Rule(
    id="schema/yaml-error",
    severity=Severity.ERROR,
    scope=Scope.FILE,
    summary="A YAML or JSON file does not parse, has duplicate keys, or is too deeply nested or aliased.",
    doc="""A file that does not parse is never applied by Flux or Argo CD, and nothing in it can be
checked. Duplicate keys are accepted by some parsers and rejected by others: which value wins
depends on the tool, so they are errors too. Documents that expand past a million nodes through
aliases (a "billion laughs" bomb) or nest absurdly deep are refused rather than parsed.

FAIL:

    env:
      LOG_LEVEL: info
      LOG_LEVEL: debug      # duplicate key

PASS:

    env:
      LOG_LEVEL: debug
""",
    remediation="Fix the syntax at the reported line (`python -c 'import yaml,sys; yaml.safe_load(open(sys.argv[1]))' FILE` "
    "shows the same error). Files that are not YAML but end in .yaml (Helm templates outside a chart's "
    "templates/ folder, for instance) can be excluded with `ignore_paths` in .hubguard.yaml.",
    check=check_yaml,
)

RENDER_ERROR = Rule(
    id="schema/render-error",
    severity=Severity.ERROR,
    scope=Scope.HUB,
    summary="A kustomize root (hub root, Flux Kustomization path, Argo CD source path) does not build.",
    doc="""hubguard renders what each hub receives with the real kustomize. A root that does not build
fails on the hub too: Flux marks the Kustomization not ready and applies nothing from it. Remote
bases (URLs, `git::` references), exec/KRM function plugins and Helm chart inflation are refused
rather than fetched or run: a validator must never reach the network or execute repository code.
The finding names the hub, since an overlay can break one hub and not the others.

FAIL (apps/seattle/kustomization.yaml):

    resources:
    - ../base
    patches:
    - path: replicas.yaml        # the file does not exist

PASS: every path listed exists in the repository, and bases are local folders.
""",
    remediation="Run `hubguard render . --hub HUB` to see kustomize's full message, fix the path or "
    "field it names, and vendor remote bases into the repository (pinned) instead of referencing URLs.",
    check=check_render,
)

UNRESOLVED_REFERENCE = Rule(
    id="schema/unresolved-reference",
    severity=Severity.WARNING,
    scope=Scope.HUB,
    summary="A Flux postBuild.substituteFrom ConfigMap or Secret that is not optional and that nothing the hub receives creates.",
    doc="""Flux reads the variables of `postBuild.substituteFrom` from the cluster when it applies the
Kustomization, and fails it (applying nothing) while a reference that is not `optional` is
missing. hubguard looks for the ConfigMap or Secret among everything the hub receives from Git,
whichever Kustomization creates it. When none does, the object may still be created outside Git
(by hand, by a secrets operator): this is a warning, and the Kustomization's objects are checked
unsubstituted, with their `${VAR}` placeholders.

FAIL (clusters/seattle/apps.yaml; no cluster-vars ConfigMap anywhere in what seattle receives):

    postBuild:
      substituteFrom:
      - kind: ConfigMap
        name: cluster-vars

PASS: `clusters/seattle/cluster-vars.yaml` defines the ConfigMap `flux-system/cluster-vars`, or the
reference says `optional: true`.
""",
    remediation="Add the ConfigMap or Secret to the hub's folder (encrypt a Secret with SOPS), mark the "
    "reference `optional: true` if the Kustomization works without it, or suppress the finding with a "
    "reason naming who creates the object.",
    check=check_render,
)

RULES = [YAML_ERROR, RENDER_ERROR, UNRESOLVED_REFERENCE]
