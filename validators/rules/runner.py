"""Running rules over a repository: each rule on its scope, with its options merged from the policy.

Severity overrides, selection, suppressions and collapsing happen afterwards, in the engine. A rule
that raises on one subject is contained: the other rules and subjects still run, and the failure
is reported (the run then exits 3, SPEC's internal error), never a silent pass.
"""

from __future__ import annotations

import traceback
from typing import Any, Callable, Iterable, Mapping

from hubguard.errors import ConfigError
from hubguard.findings import Finding
from hubguard.model import HubInventory, RepoContext, SourceFile
from hubguard.rules.file_records import FileRecords
from hubguard.rules.registry import Rule, RuleContext, Scope


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
        from jsonschema.exceptions import best_match

        error = best_match(_options_validator(rule).iter_errors(options))
        if error is not None:
            path = ".".join(str(p) for p in error.absolute_path)
            raise ConfigError(f"rules.{rule.id}.{path}: {error.message}")
    return options


_OPTION_VALIDATORS: dict[str, Any] = {}


def _options_validator(rule: Rule) -> Any:
    """The validator of a rule's options, built once (`jsonschema.validate` would also check the
    schema itself against the metaschema on every call: most of a small run's start-up;
    tests/core/test_registry.py checks every option schema once)."""
    found = _OPTION_VALIDATORS.get(rule.id)
    if found is None:
        import jsonschema

        schema = {"type": "object", "properties": dict(rule.options)}
        found = _OPTION_VALIDATORS[rule.id] = jsonschema.validators.validator_for(schema)(schema)
    return found


def validate_rule_settings(repo: RepoContext, rules: Iterable[Rule]) -> dict[str, dict]:
    """Options per rule, checked before anything runs so that a bad policy fails fast (exit 2)."""
    from hubguard.rules.registry import check_rule_names

    check_rule_names(repo.policy.rules, f"{repo.policy.source or '.hubguard.yaml'}: rules", prefixes=False)
    return {rule.id: rule_options(rule, repo.policy.rules.get(rule.id, {})) for rule in rules}


class RuleRunner:
    """Runs the chosen rules by scope. Hub rules can run as soon as a hub is rendered (the engine
    overlaps them with the renders still under way); file and repository rules run last, when
    every hub is in."""

    def __init__(self, repo: RepoContext, rules: Iterable[Rule], errors: list[str] | None = None):
        self.repo = repo
        self.errors = errors
        self.rules = list(rules)
        options = validate_rule_settings(repo, self.rules)
        self.contexts = {rule.id: RuleContext(rule, repo, options[rule.id]) for rule in self.rules}

    def _of(self, scope: Scope) -> list[Rule]:
        return [rule for rule in self.rules if rule.scope is scope]

    def hub(self, hub: HubInventory) -> list[Finding]:
        findings: list[Finding] = []
        for rule in self._of(Scope.HUB):
            _contained(rule.check, (hub, self.contexts[rule.id]), findings, self.errors, f"{rule.id} on hub {hub.name}")
        return findings

    def files(self, sources: Iterable[SourceFile], records: FileRecords | None = None) -> list[Finding]:
        """The file rules on each of `sources`; with `records`, a file whose check would find what
        it found before (file_records.py) is not checked again."""
        findings: list[Finding] = []
        rules = self._of(Scope.FILE)

        def check(src: SourceFile) -> tuple[list[Finding], bool]:
            found: list[Finding] = []
            before = len(self.errors) if self.errors is not None else 0
            for rule in rules:
                _contained(rule.check, (src, self.contexts[rule.id]), found, self.errors, f"{rule.id} on {src.path}")
            return found, self.errors is not None and len(self.errors) > before

        for src in sources:
            if records is None:
                findings.extend(check(src)[0])
            else:
                findings.extend(records.findings(src, self.repo, lambda: check(src)))
        return findings

    def rendered(self, hub: HubInventory, sources: Mapping[str, SourceFile]) -> list[Finding]:
        """The file rules' checks of what `hub` renders from each file of `sources` (path -> file)."""
        findings: list[Finding] = []
        rules = [rule for rule in self._of(Scope.FILE) if rule.rendered is not None]
        for path in sorted(hub.by_anchor) if rules else ():
            src = sources.get(path)
            if src is None:
                continue
            for rule in rules:
                _contained(rule.rendered, (src, hub, self.contexts[rule.id]), findings, self.errors,
                           f"{rule.id} on {path} for hub {hub.name}")
        return findings

    def repository(self) -> list[Finding]:
        return self._once(Scope.REPO)

    def fleet(self) -> list[Finding]:
        """The fleet rules, over `repo.summaries` (every hub's, or every shard's in `merge`)."""
        return self._once(Scope.FLEET)

    def _once(self, scope: Scope) -> list[Finding]:
        findings: list[Finding] = []
        for rule in self._of(scope):
            _contained(rule.check, (self.contexts[rule.id],), findings, self.errors, rule.id)
        return findings

    def summarise(self, hub: HubInventory) -> None:
        """Keep in `repo.summaries` what each fleet rule needs of `hub`, so the hub can be released."""
        kept: dict[str, Any] = {}
        for rule in self._of(Scope.FLEET):
            if rule.summarise is None:
                continue
            try:
                kept[rule.id] = rule.summarise(hub, self.contexts[rule.id])
            except Exception as exc:
                if self.errors is None:
                    raise
                self.errors.append(f"internal error in {rule.id} on hub {hub.name}: {type(exc).__name__}: {exc}\n"
                                   f"{traceback.format_exc()}")
        self.repo.summaries[hub.name] = kept


def run_rules(repo: RepoContext, rules: Iterable[Rule], errors: list[str] | None = None) -> list[Finding]:
    """Every rule on its scope over a repository whose hubs are all rendered."""
    runner = RuleRunner(repo, rules, errors)
    for hub in repo.hubs.values():
        repo.received(hub)
    findings = runner.files(repo.files)
    by_path = {src.path: src for src in repo.files}
    for hub in repo.hubs.values():
        findings.extend(runner.hub(hub))
        findings.extend(runner.rendered(hub, by_path))
        runner.summarise(hub)
    return findings + runner.repository() + runner.fleet()


def _contained(check: Callable[..., Iterable[Finding]], args: tuple[Any, ...], into: list[Finding],
               errors: list[str] | None, what: str) -> None:
    if errors is None:  # tests and library callers see the real exception
        into.extend(check(*args))
        return
    produced: list[Finding] = []
    try:
        produced.extend(check(*args))
    except Exception as exc:  # a bug in one rule must not hide the other findings
        errors.append(f"internal error in {what}: {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
    into.extend(produced)
