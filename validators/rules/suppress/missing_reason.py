"""suppress/missing-reason: a `secret/*` or `pii/*` suppression without a reason.

The engine decides which suppressions apply (hubguard.report.suppressions); this module only declares the rule
so that it has an id, docs and a severity like every other rule. Its findings are made by the engine.
"""

from __future__ import annotations

from typing import Iterator

from hubguard.findings import Finding, Severity
from hubguard.rules.registry import Rule, RuleContext, Scope


def _check(ctx: RuleContext) -> Iterator[Finding]:
    return iter(())  # produced by the engine while it applies suppressions


MISSING_REASON = Rule(
    id="suppress/missing-reason",
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="A suppression of a secret/* or pii/* finding gives no reason, so it is not honoured.",
    doc="""Silencing a leak detector must be a decision someone can review. A `# hubguard: ignore[...]`
comment, `ignore-file[...]` comment or `hubguard.io/ignore` annotation that covers a `secret/*` or
`pii/*` finding must say why; without a reason the finding stays and this one is added.

FAIL:

    password: not-a-secret   # hubguard: ignore[secret/sensitive-literal]

PASS:

    password: not-a-secret   # hubguard: ignore[secret/sensitive-literal] test fixture, no real system
""",
    remediation="Write the reason after the bracket (`# hubguard: ignore[RULE] why this is safe`), or set "
    "`hubguard.io/ignore-reason` next to the `hubguard.io/ignore` annotation.",
    check=_check,
)

RULES = [MISSING_REASON]
