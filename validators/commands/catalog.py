"""`hubguard rules` and `hubguard explain`."""

from __future__ import annotations

import json

import click
from hubguard.errors import HubguardError
from hubguard.rules.registry import all_rules, get_rule


def print_rules(output_format: str) -> None:
    rules = all_rules().values()
    if output_format == "json":
        click.echo(json.dumps([
            {"id": r.id, "family": r.family, "severity": r.severity.value, "scope": r.scope.value,
             "summary": r.summary, "options": {k: v.get("default") for k, v in r.options.items()}}
            for r in rules
        ], indent=2))
        return
    width = max(len(r.id) for r in rules)
    for r in rules:
        click.echo(f"{r.id:<{width}}  {r.severity.value:<7}  {r.summary}")


def explain_rule(rule_id: str) -> None:
    rule = get_rule(rule_id)
    if rule is None:
        raise HubguardError(f"no rule {rule_id!r}; `hubguard rules` lists them")
    lines = [f"{rule.id} ({rule.severity.value}, checked per {rule.scope.value})", "", rule.summary, "", rule.doc.strip(), "",
             "How to fix:", rule.remediation.strip(), ""]
    if rule.options:
        lines.append("Options (in .hubguard.yaml under rules: {%s: {...}}):" % rule.id)
        for name, spec in rule.options.items():
            lines.append(f"  {name}: {spec.get('description', '')} (default: {json.dumps(spec.get('default'))})")
        lines.append("")
    lines.append("Tuning: `rules: {%s: {severity: warning}}` or `{enabled: false}` in .hubguard.yaml." % rule.id)
    reason = " reason" if rule.family in ("secret", "pii") else " reason (optional)"
    lines.append(f"Suppress: `# hubguard: ignore[{rule.id}]{reason}` on or above the line, "
                 f"`# hubguard: ignore-file[{rule.id}]{reason}` in the file, or the object annotation "
                 f"`hubguard.io/ignore: \"{rule.id}\"` with `hubguard.io/ignore-reason`.")
    click.echo("\n".join(lines))
