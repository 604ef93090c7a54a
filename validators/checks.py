"""Running rules over a repository: each rule on its scope, with its options merged from the policy.

Severity overrides, selection, suppressions and collapsing happen afterwards, in the engine.
"""

from __future__ import annotations

from typing import Iterable

from hubguard.errors import ConfigError
from hubguard.findings import Finding
from hubguard.model import RepoContext
from hubguard.registry import Rule, RuleContext, Scope


def rule_options(rule: Rule, settings: dict) -> dict:
    """The rule's options: its defaults, overridden by the policy's `rules: {id: {...}}` entry."""
    options = rule.default_options()
    for name, value in settings.items():
        if name in ("severity", "enabled"):
            continue
        if name not in rule.options:
            raise ConfigError(f"unknown option {name!r} for rule {rule.id} (see `hubguard explain {rule.id}`)")
        options[name] = value
    if rule.options:
        import jsonschema

        schema = {"type": "object", "properties": dict(rule.options)}
        try:
            jsonschema.validate(options, schema)
        except jsonschema.ValidationError as exc:
            path = ".".join(str(p) for p in exc.absolute_path)
            raise ConfigError(f"rules.{rule.id}.{path}: {exc.message}") from None
    return options


def run_rules(repo: RepoContext, rules: Iterable[Rule]) -> list[Finding]:
    findings: list[Finding] = []
    for rule in rules:
        ctx = RuleContext(rule, repo, rule_options(rule, repo.policy.rules.get(rule.id, {})))
        if rule.scope is Scope.FILE:
            for src in repo.files:
                findings.extend(rule.check(src, ctx))
        elif rule.scope is Scope.HUB:
            for hub in repo.hubs.values():
                findings.extend(rule.check(hub, ctx))
        else:
            findings.extend(rule.check(ctx))
    return findings
