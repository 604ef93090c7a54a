"""The rule catalog: every rule declared once (id, severity, scope, docs, options, check).

Rule families live in `hubguard.rules.<family>`; each exports `RULES`. The registry imports them
lazily so that `hubguard --version` stays fast.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable, Iterable, Iterator, Mapping

from hubguard.findings import Finding, Location, Severity

FAMILIES = ("schema", "secret", "ha", "pii", "suppress")


class Scope(str, enum.Enum):
    FILE = "file"  # check(file: SourceFile, ctx) once per source file
    HUB = "hub"  # check(hub: HubInventory, ctx) once per rendered hub
    REPO = "repo"  # check(ctx) once, seeing every file and the names of the hubs in the run
    # check(ctx) once, over what `summarise(hub, ctx)` kept of every hub (ctx.repo.summaries): the
    # hubs can be released as they are checked, and `hubguard merge` runs it over sharded runs.
    FLEET = "fleet"


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    scope: Scope
    summary: str
    doc: str  # what it checks and why, with a failing and a passing example
    remediation: str  # how to fix, and how to tune or suppress
    check: Callable[..., Iterable[Finding]]
    options: Mapping[str, Any] = field(default_factory=dict)  # JSON Schema properties, each with "default"
    # A cross-hub rule judges the set of hubs as a whole (how many, what each runs, how users and
    # backups move between them): it runs only on hubs declared in .hubguard.yaml, never on hubs
    # guessed from folder names (clusters/staging and clusters/production are no HA pair).
    cross_hub: bool = False
    # Fleet rules: what the check needs of one hub, as JSON values (a shard file carries it).
    summarise: Callable[[Any, "RuleContext"], Any] | None = None
    # File rules: rendered(file, hub, ctx) checks the objects one hub renders from the file (values
    # the file scan cannot see), as each hub is checked, so that the hub can then be released.
    rendered: Callable[..., Iterable[Finding]] | None = None

    @property
    def family(self) -> str:
        return self.id.split("/", 1)[0]

    def default_options(self) -> dict[str, Any]:
        return {name: spec.get("default") for name, spec in self.options.items()}


@dataclass
class RuleContext:
    """What a check receives besides its subject: the repository, the policy and its own options."""

    rule: Rule
    repo: Any  # hubguard.model.RepoContext
    options: Mapping[str, Any]

    @property
    def policy(self):
        return self.repo.policy

    def finding(
        self,
        message: str,
        at: Location | None = None,
        *,
        hub: str | None = None,
        obj: Any = None,
        key: str | None = None,
        severity: Severity | None = None,
    ) -> Finding:
        """A finding of this rule (at the rule's severity unless `severity` says otherwise, e.g. a
        deprecation that still works). `obj` may be a K8sObject or an object reference string."""
        ref = obj if isinstance(obj, str) or obj is None else obj.ref
        return Finding(
            rule=self.rule.id,
            severity=severity or self.rule.severity,
            path=at.path if at else None,
            line=at.line if at else None,
            column=at.column if at else None,
            hub=hub,
            object=ref,
            message=message,
            key=key,
        )


@functools.lru_cache(maxsize=1)
def all_rules() -> dict[str, Rule]:
    import importlib

    rules: dict[str, Rule] = {}
    for family in FAMILIES:
        module = importlib.import_module(f"hubguard.rules.{family}")
        for rule in module.RULES:
            if rule.id in rules:
                raise RuntimeError(f"rule {rule.id} declared twice")
            if rule.family != family:
                raise RuntimeError(f"rule {rule.id} declared in family {family}")
            rules[rule.id] = rule
    return dict(sorted(rules.items()))


def modules_by_rule_id(modules: Iterable[ModuleType]) -> dict[str, ModuleType]:
    """A family's index: each rule ID and the module that declares it (a rule ID leads to its file)."""
    return {rule.id: module for module in modules for rule in module.RULES}


def get_rule(rule_id: str) -> Rule | None:
    return all_rules().get(rule_id)


def matching(prefixes: Iterable[str]) -> Iterator[Rule]:
    """Rules whose id equals or starts with one of the prefixes (`ha/` or `ha` selects a family)."""
    for rule in all_rules().values():
        if any(id_matches(rule.id, p) for p in prefixes):
            yield rule


def check_rule_names(names: Iterable[str], where: str, *, prefixes: bool = True) -> None:
    """A ConfigError (exit 2) for a rule ID (or, with `prefixes`, a family prefix) that names no
    rule: `--select secrets/` would otherwise run nothing and pass. The message offers the closest
    ID or family."""
    import difflib

    from hubguard.errors import ConfigError

    rules = all_rules()
    for name in names:
        if name in rules or (prefixes and any(id_matches(rule_id, name) for rule_id in rules)):
            continue
        families = sorted({f"{rule.family}/" for rule in rules.values()}) if prefixes else []
        close = difflib.get_close_matches(name, families + list(rules), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else " (see `hubguard rules`)"
        raise ConfigError(f"{where}: no rule {name!r}{hint}")


def id_matches(rule_id: str, pattern: str) -> bool:
    pattern = pattern.rstrip("*")
    if not pattern:
        return True
    if pattern.endswith("/"):
        return rule_id.startswith(pattern)
    return rule_id == pattern or rule_id.startswith(pattern + "/")
